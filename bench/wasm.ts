/**
 * The wasm backend side by side with llama.cpp (node-llama-cpp 3.21.1, bench/peer) in one run on
 * the same GGUF files: the synthetic 15M shape in F32 and Q8_0 (as `fastgen synth --shape 15M`
 * writes them), prefill of 128 tokens and 64 greedy decode steps, 1 thread each; then the wasm
 * backend with every thread count up to the machine's cores (and llama.cpp with as many), with
 * decode against our own 1-thread figure.
 *
 * Prefill is timed two ways for us: `prefillLast` (the last row's logits only — what generation
 * needs and what llama.cpp computes for a prompt, so the like-for-like figure) and `prefill`
 * (every row's logits, the Backend contract, which adds the classifier for every row).
 * The engines alternate round by round (best round each, after a warm-up of ours; llama.cpp's
 * measure loads the model each round), so a load that comes and goes hits both alike.
 *
 * Install the peer once: npm run bench:peer-install. Run: npx tsx bench/wasm.ts [--quick] [--out DIR]
 */
import { WasmBackend } from "../kernels/wasm/backend.ts";
import { argmax } from "../src/generation/sampler.ts";
import { kvLayoutOf } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { loadModel } from "../src/model/load.ts";
import { isMainModule } from "../src/is-main.ts";
import { availableParallelism } from "node:os";
import { benchTokens, synthGguf } from "./lib/models.ts";
import { loadPeer } from "./lib/peer.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";

interface PeerResult {
  prefillMs: number;
  decodeMs: number;
  generated: number[];
}
interface Peer {
  measure(o: { modelPath: string; tokens: number[]; prefill: number; decode: number; threads: number; repeats: number }): Promise<PeerResult>;
}

const SETTINGS = {
  quick: { shape: "tiny", types: ["F32"], prefill: 16, decode: 8, repeats: 1 },
  default: { shape: "15M", types: ["F32", "Q8_0"], prefill: 128, decode: 64, repeats: 5 },
  long: { shape: "15M", types: ["F32", "Q8_0"], prefill: 128, decode: 64, repeats: 10 },
} as const;

/** Prefill (last row only / every row) and decode times of the wasm backend, best of `repeats` rounds. */
function measureWasm(backend: WasmBackend, tokens: number[], prefill: number, decode: number, repeats: number) {
  const layout = kvLayoutOf(backend.config);
  const best = { prefillLastMs: Infinity, prefillAllMs: Infinity, decodeMs: Infinity };
  for (let r = 0; r < repeats; r++) {
    // As llama-cpp.ts times llama.cpp: the prompt but its last token, then greedy steps from that token.
    const cache = new FullKvCache(layout, backend.kvStorage);
    let t0 = performance.now();
    backend.prefillLast(tokens.slice(0, prefill - 1), 0, cache);
    const prefillLastMs = performance.now() - t0;
    t0 = performance.now();
    let token = tokens[prefill - 1]!;
    for (let p = prefill - 1; p < prefill - 1 + decode; p++) token = argmax(backend.forward(token, p, cache));
    const decodeMs = performance.now() - t0;
    cache.release();
    const all = new FullKvCache(layout, backend.kvStorage);
    t0 = performance.now();
    backend.prefill(tokens.slice(0, prefill - 1), 0, all);
    const prefillAllMs = performance.now() - t0;
    all.release();
    best.prefillLastMs = Math.min(best.prefillLastMs, prefillLastMs);
    best.prefillAllMs = Math.min(best.prefillAllMs, prefillAllMs);
    best.decodeMs = Math.min(best.decodeMs, decodeMs);
  }
  return best;
}

export async function wasmBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const dir = outDir(argv);
  const peer = await loadPeer<Peer>();
  const notes: string[] = [
    "CPU only; ratios against llama.cpp with the same thread count. prefill = tokens/s over the prompt but its last token; ours with only the last row's logits (prefillLast, like llama.cpp) and with every row's (prefill).",
    `The engines alternate round by round (${s.repeats} rounds after a warm-up, best round each), so a load that comes and goes on a shared machine hits both alike; compare ratios, not absolute figures, across runs.`,
  ];
  if (typeof peer === "string") notes.push(`llama.cpp NOT measured: ${peer}`);
  const rows: Row[] = [];
  const tps = (ms: number, tokens: number) => (1000 * tokens) / ms;
  for (const type of s.types) {
    const path = synthGguf(dir, s.shape, type);
    const model = loadModel(path);
    const tokens = benchTokens(model, s.prefill + 1);
    const label = `${s.shape} ${type}`;
    let oneThreadDecode = NaN;
    for (let threads = 1; threads <= Math.max(1, availableParallelism()); threads++) {
      const backend = new WasmBackend(model, { threads });
      measureWasm(backend, tokens, s.prefill, s.decode, 1); // warm-up round (also starts the worker threads)
      const ours = { prefillLastMs: Infinity, prefillAllMs: Infinity, decodeMs: Infinity };
      let theirs: { prefillMs: number; decodeMs: number } | undefined;
      for (let round = 0; round < s.repeats; round++) {
        if (typeof peer !== "string") {
          try {
            const r = await peer.measure({ modelPath: path, tokens, prefill: s.prefill, decode: s.decode, threads, repeats: 1 });
            theirs = { prefillMs: Math.min(theirs?.prefillMs ?? Infinity, r.prefillMs), decodeMs: Math.min(theirs?.decodeMs ?? Infinity, r.decodeMs) };
          } catch (e) {
            if (round === 0) notes.push(`llama.cpp (${threads} threads) failed on ${label}: ${(e as Error).message}`);
          }
        }
        const m = measureWasm(backend, tokens, s.prefill, s.decode, 1);
        ours.prefillLastMs = Math.min(ours.prefillLastMs, m.prefillLastMs);
        ours.prefillAllMs = Math.min(ours.prefillAllMs, m.prefillAllMs);
        ours.decodeMs = Math.min(ours.decodeMs, m.decodeMs);
      }
      backend.dispose();
      const peerRow = theirs && { prefill: tps(theirs.prefillMs, s.prefill - 1), decode: tps(theirs.decodeMs, s.decode) };
      if (peerRow) {
        rows.push({ model: label, engine: `llama.cpp (${threads} thread${threads === 1 ? "" : "s"})`, prefillTokPerS: peerRow.prefill, prefillAllRowsTokPerS: null, decodeTokPerS: peerRow.decode, prefillVsLlamaCpp: null, decodeVsLlamaCpp: null, decodeVsOwn1Thread: null });
      }
      const prefill = tps(ours.prefillLastMs, s.prefill - 1);
      const decode = tps(ours.decodeMs, s.decode);
      if (threads === 1) oneThreadDecode = decode;
      rows.push({
        model: label,
        engine: `fastgen-ts ${backend.name}`,
        prefillTokPerS: prefill,
        prefillAllRowsTokPerS: tps(ours.prefillAllMs, s.prefill - 1),
        decodeTokPerS: decode,
        prefillVsLlamaCpp: peerRow ? prefill / peerRow.prefill : null,
        decodeVsLlamaCpp: peerRow ? decode / peerRow.decode : null,
        decodeVsOwn1Thread: decode / oneThreadDecode,
      });
    }
  }
  return writeReport(
    {
      bench: "wasm",
      command: `npx tsx bench/wasm.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: s,
      rows,
      notes,
    },
    dir,
  );
}

if (isMainModule(import.meta)) await wasmBench();
