/**
 * Side by side with llama.cpp (node-llama-cpp 3.21.1, pinned in bench/peer) on the same GGUF
 * files: prefill and decode tokens/s, ours (reference, each gpu.js mode) against theirs, as ratios.
 * Install the peer once: npm run bench:peer-install. Run: npx tsx bench/llama-cpp.ts [--quick | --long]
 */
import { kvLayoutOf } from "../src/interfaces.ts";
import { argmax } from "../src/generation/sampler.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { loadModel, resolveModelPath } from "../src/model/load.ts";
import { benchBackends } from "./lib/backends.ts";
import { benchTokens, synthGguf } from "./lib/models.ts";
import { loadPeer } from "./lib/peer.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";

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

const SETTINGS = {
  quick: { files: ["stories260K"], prefill: 16, decode: 16, repeats: 1 },
  default: { files: ["stories260K", "15M"], prefill: 64, decode: 64, repeats: 3 },
  long: { files: ["stories260K", "15M", "110M"], prefill: 128, decode: 128, repeats: 3 },
} as const;

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
    "llama.cpp runs with 1 thread (our backends are single-threaded JavaScript), CPU only, F32 weights; best of the repeats for both.",
  ];
  if (typeof peer === "string") notes.push(`llama.cpp NOT measured: ${peer}`);
  const rows: Row[] = [];
  for (const name of s.files) {
    const path = ggufFor(name, dir);
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
    for (const choice of benchBackends()) {
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
