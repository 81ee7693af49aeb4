/**
 * Side by side with llama.cpp (node-llama-cpp 3.21.1, pinned in bench/peer) on the same GGUF
 * files: prefill and decode tokens/s, ours (reference, each gpu.js mode) against theirs, as ratios.
 * Also the shapes of the models people download (`synth --like`, issue 20): SmolLM2-135M in Q8_0 and
 * Q4_K_M (and Llama-3.2-1B Q4_K_M with --long), where only the wasm backend runs (1 thread, as
 * llama.cpp): the reference and gpu.js would take minutes per row and measure nothing new.
 * Install the peer once: npm run bench:peer-install. Run: npx tsx bench/llama-cpp.ts [--quick | --long]
 */
import { kvLayoutOf } from "../src/interfaces.ts";
import { argmax } from "../src/generation/sampler.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { loadModel, resolveModelPath } from "../src/model/load.ts";
import { benchBackends } from "./lib/backends.ts";
import { benchTokens, likeGguf, synthGguf } from "./lib/models.ts";
import { loadPeer } from "./lib/peer.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";
import { createBackend } from "../src/create-backend.ts";
import type { FamilyName } from "../src/model/families.ts";
import type { LlamaModel } from "../src/model/types.ts";

interface PeerResult {
  prefillMs: number;
  decodeMs: number;
  version: string;
  generated: number[];
}
interface Peer {
  measure(o: {
    modelPath: string;
    tokens: number[];
    prefill: number;
    decode: number;
    threads: number;
    repeats: number;
  }): Promise<PeerResult>;
}

type Family = readonly [FamilyName, string];
const SETTINGS: Record<
  "quick" | "default" | "long",
  { files: readonly string[]; families: readonly Family[]; prefill: number; decode: number; repeats: number }
> = {
  quick: { files: ["stories260K"], families: [], prefill: 16, decode: 16, repeats: 1 },
  default: {
    files: ["stories260K", "15M"],
    families: [
      ["smollm2-135m", "Q8_0"],
      ["smollm2-135m", "Q4_K_M"],
    ],
    prefill: 64,
    decode: 64,
    repeats: 3,
  },
  long: {
    files: ["stories260K", "15M", "110M"],
    families: [
      ["smollm2-135m", "Q8_0"],
      ["smollm2-135m", "Q4_K_M"],
      ["llama-3.2-1b", "Q4_K_M"],
    ],
    prefill: 128,
    decode: 128,
    repeats: 3,
  },
};

/** The GGUF to compare on: stories260K as shipped, synthetic shapes written once under results/models. */
function ggufFor(name: string, dir: string): string {
  return name === "stories260K" ? resolveModelPath() : synthGguf(dir, name as "15M" | "110M", "F32");
}

export async function llamaCppBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const dir = outDir(argv);
  const peer = await loadPeer<Peer>();
  const notes: string[] = [
    "llama.cpp runs with 1 thread, CPU only; best of the repeats for both. stories260K/15M: F32 weights, every backend of ours. " +
      "Family shapes (synth --like, random weights): the file's types, our wasm backend on 1 thread and on 2 " +
      "(its ratios still against llama.cpp on 1 thread; the notes give 2 threads ÷ 1 thread).",
  ];
  if (typeof peer === "string") notes.push(`llama.cpp NOT measured: ${peer}`);
  const rows: Row[] = [];
  const files = [
    ...s.files.map((name) => ({ name, path: () => ggufFor(name, dir), backends: benchBackends() })),
    ...s.families.map((f) => ({
      name: `${f[0]} ${f[1]}`,
      path: () => likeGguf(dir, ...f),
      backends: [1, 2].map((threads) => ({
        label: `wasm (${threads} thread${threads > 1 ? "s" : ""})`,
        make: (m: LlamaModel) => createBackend(m, { backend: "wasm", gpuMode: "auto", threads }),
      })),
    })),
  ];
  for (const { name, path: pathOf, backends } of files) {
    const path = pathOf();
    const model = loadModel(path);
    const tokens = benchTokens(model, s.prefill + 1);
    let theirs: PeerResult | undefined;
    if (typeof peer !== "string") {
      try {
        theirs = await peer.measure({ modelPath: path, tokens, prefill: s.prefill, decode: s.decode, threads: 1, repeats: s.repeats });
        const prefillTps = (1000 * (s.prefill - 1)) / theirs.prefillMs;
        const decodeTps = (1000 * s.decode) / theirs.decodeMs;
        rows.push({ model: name, engine: "llama.cpp (1 thread)", prefillTokPerS: prefillTps, decodeTokPerS: decodeTps });
      } catch (e) {
        notes.push(`llama.cpp failed on ${name}: ${(e as Error).message}`);
      }
    }
    for (const choice of backends) {
      const backend = await choice.make(model);
      let best = { prefillMs: Infinity, decodeMs: Infinity };
      for (let r = 0; r < s.repeats + 1; r++) {
        const cache = new FullKvCache(kvLayoutOf(model.config));
        let t0 = performance.now();
        backend.prefill(tokens.slice(0, s.prefill - 1), 0, cache);
        const prefillMs = performance.now() - t0;
        t0 = performance.now();
        let token = tokens[s.prefill - 1]!;
        for (let p = s.prefill - 1; p < s.prefill - 1 + s.decode; p++) {
          const logits = backend.forward(token, p, cache);
          token = argmax(logits);
        }
        const decodeMs = performance.now() - t0;
        // The first round warms the JIT and compiles kernels; it is not counted.
        if (r > 0 && prefillMs + decodeMs < best.prefillMs + best.decodeMs) best = { prefillMs, decodeMs };
      }
      backend.dispose();
      const prefillTps = (1000 * (s.prefill - 1)) / best.prefillMs;
      const decodeTps = (1000 * s.decode) / best.decodeMs;
      const peerRow = rows.find((x) => x.model === name && String(x.engine).startsWith("llama.cpp"));
      rows.push({
        model: name,
        engine: `fastgen-ts ${choice.label}`,
        prefillTokPerS: prefillTps,
        decodeTokPerS: decodeTps,
        prefillVsLlamaCpp: peerRow ? prefillTps / (peerRow.prefillTokPerS as number) : null,
        decodeVsLlamaCpp: peerRow ? decodeTps / (peerRow.decodeTokPerS as number) : null,
      });
    }
    const ours = (label: string) => rows.find((x) => x.model === name && x.engine === `fastgen-ts wasm (${label})`);
    const one = ours("1 thread");
    const two = ours("2 threads");
    if (one && two) {
      const ratio = (k: "prefillTokPerS" | "decodeTokPerS") => ((two[k] as number) / (one[k] as number)).toFixed(2);
      notes.push(`${name}: wasm 2 threads ÷ 1 thread: prefill ${ratio("prefillTokPerS")}×, decode ${ratio("decodeTokPerS")}×.`);
    }
  }
  return writeReport(
    {
      bench: "llama-cpp",
      command: `npx tsx bench/llama-cpp.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: s,
      rows,
      notes,
    },
    dir,
  );
}

if (isMainModule(import.meta)) await llamaCppBench();
