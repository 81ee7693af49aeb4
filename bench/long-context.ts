/**
 * The headline of FastGen in wall-clock time: decode at a long context, ours with a compressed
 * cache against llama.cpp with its full cache, side by side in one run on the same GGUF.
 *
 * The synthetic `long` shape (dim 256, 4 layers, 8 query / 2 KV heads, context 8192) in F32; a prompt
 * of ~7,600 tokens; then greedy decode steps, timed alone. Ours: the wasm backend through the FastGen
 * pipeline with H2O keeping ~27% (`--r-local 0.15 --r-frequent 0.15`), and with the full cache for
 * scale. llama.cpp (node-llama-cpp 3.21.1, bench/peer): full cache, flash attention on and off, the
 * best of the two. Same thread count on both sides. Default and --long also run the SmolLM2-135M
 * shape in Q8_0 (`synth --like smollm2-135m`, 30 layers, context 8192; issue 20's long-context target).
 *
 * Install the peer once: npm run bench:peer-install. Run: npx tsx bench/long-context.ts [--quick | --long] [--out DIR]
 */
import { WasmBackend } from "../kernels/wasm/backend.ts";
import { compressionSettingsSchema } from "../src/fastgen/settings.ts";
import { compressPrompt, decodeCompressed } from "../src/fastgen/pipeline.ts";
import { computeTokenClasses } from "../src/fastgen/token-classes.ts";
import { isMainModule } from "../src/is-main.ts";
import { loadModel } from "../src/model/load.ts";
import type { FamilyName } from "../src/model/families.ts";
import { benchTokens, likeGguf, synthGguf } from "./lib/models.ts";
import { loadPeer } from "./lib/peer.ts";
import { benchSize, outDir, progress, type Row, writeReport } from "./lib/report.ts";

interface PeerLong {
  measureLongContext(o: {
    modelPath: string;
    tokens: number[];
    prefill: number;
    decode: number;
    threads: number;
    flashAttention: boolean;
  }): Promise<{
    prefillMs: number;
    decodeMs: number;
  }>;
}

const SMOLLM2_Q8: readonly [FamilyName, string] = ["smollm2-135m", "Q8_0"];
const SETTINGS = {
  quick: { shape: "tiny", families: [], prefill: 100, decode: 8, threads: [1] },
  default: { shape: "long", families: [SMOLLM2_Q8], prefill: 7600, decode: 32, threads: [1] },
  long: { shape: "long", families: [SMOLLM2_Q8], prefill: 7600, decode: 64, threads: [1, 2] },
} as const;

/** H2O at 0.15 + 0.15 keeps ~27% of a 7,600-token prompt's entries after a few dozen steps. */
const H2O = { policy: "h2o", rLocal: 0.15, rFrequent: 0.15 } as const;

export async function longContextBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const dir = outDir(argv);
  const peer = await loadPeer<PeerLong>();
  const notes = [
    `Decode tok/s over ${s.decode} greedy steps after a ${s.prefill}-token prompt (the steps alone are timed). Ours ` +
      `through the FastGen pipeline (prefill → compress → decode); llama.cpp keeps its whole cache.`,
    "llama.cpp: the better of flash attention on and off; same thread count on both sides.",
  ];
  if (typeof peer === "string") notes.push(`llama.cpp NOT measured: ${peer}`);
  const tps = (ms: number) => (1000 * s.decode) / ms;
  const rows: Row[] = [];
  const started = performance.now();
  const files = [
    { name: `${s.shape} F32`, path: () => synthGguf(dir, s.shape, "F32") },
    ...s.families.map((f) => ({ name: `${f[0]} ${f[1]}`, path: () => likeGguf(dir, ...f) })),
  ];
  for (const file of files) {
    const path = file.path();
    const model = loadModel(path);
    const tokens = benchTokens(model, s.prefill + 1);
    const classes = computeTokenClasses(model.vocab!);
    for (const threads of s.threads) {
      let best: { tokPerS: number; flash: boolean } | undefined;
      if (typeof peer !== "string") {
        for (const flashAttention of [false, true]) {
          try {
            progress(
              "long-context",
              `${file.name}: llama.cpp, ${threads} thread(s), flash attention ${flashAttention ? "on" : "off"}: ${s.prefill}-token ` +
                `prompt, ${s.decode} steps`,
              started,
            );
            const r = await peer.measureLongContext({
              modelPath: path,
              tokens,
              prefill: s.prefill,
              decode: s.decode,
              threads,
              flashAttention,
            });
            const tokPerS = tps(r.decodeMs);
            rows.push({
              model: file.name,
              threads,
              engine: `llama.cpp, full cache, flash attention ${flashAttention ? "on" : "off"}`,
              kept: 1,
              decodeTokPerS: tokPerS,
              vsLlamaCppBest: null,
            });
            if (!best || tokPerS > best.tokPerS) best = { tokPerS, flash: flashAttention };
          } catch (e) {
            notes.push(`llama.cpp (${threads} threads, flash attention ${flashAttention ? "on" : "off"}) failed: ${(e as Error).message}`);
          }
        }
      }
      const backend = new WasmBackend(model, { threads });
      for (const settings of [{ policy: "full" } as const, H2O]) {
        const parsed = compressionSettingsSchema.parse(settings);
        progress(
          "long-context",
          `${file.name}: ours, ${backend.name}, ${settings.policy === "full" ? "full cache" : "H2O"}: ` +
            `${s.prefill}-token prompt, ${s.decode} steps`,
          started,
        );
        // The prompt but its last token goes through prefill, as llama.cpp's side does; the last prompt token starts decoding.
        const prompt = compressPrompt(backend, classes, parsed, tokens.slice(0, s.prefill));
        const t0 = performance.now();
        let steps = 0;
        for (const _ of decodeCompressed(backend, prompt, { maxTokens: s.decode + 1, sampling: { temperature: 0, topP: 1, seed: 0 } }))
          steps++;
        const ms = performance.now() - t0;
        const footprint = prompt.session.cache.footprint();
        const tokPerS = (1000 * (steps - 1)) / ms;
        rows.push({
          model: file.name,
          threads,
          engine: `fastgen-ts ${backend.name}, ${settings.policy === "full" ? "full cache" : "H2O 0.15 + 0.15"}`,
          kept: 1 - footprint.compression,
          decodeTokPerS: tokPerS,
          vsLlamaCppBest: best ? tokPerS / best.tokPerS : null,
        });
        prompt.session.cache.release();
      }
      backend.dispose();
    }
  }
  return writeReport(
    {
      bench: "long-context",
      command: `npx tsx bench/long-context.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: { ...s, h2o: H2O },
      rows,
      notes,
    },
    dir,
  );
}

if (isMainModule(import.meta)) await longContextBench();
