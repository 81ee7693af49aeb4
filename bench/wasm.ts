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
 * The engines and thread counts alternate round by round (best round each, after a warm-up of
 * ours; llama.cpp's measure loads the model each round), so a load that comes and goes hits all
 * alike. Last, a memory-bandwidth probe (the F32 matrix–vector kernel over 256 MB with each thread
 * count): the ceiling of thread scaling for a decode that streams its weights from memory.
 *
 * Install the peer once: npm run bench:peer-install. Run: npx tsx bench/wasm.ts [--quick] [--out DIR]
 */
import { WasmBackend } from "../kernels/wasm/backend.ts";
import { WasmHeap } from "../kernels/wasm/runtime.ts";
import { ThreadPool } from "../kernels/wasm/threads.ts";
import { argmax } from "../src/generation/sampler.ts";
import { kvLayoutOf } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { loadModel } from "../src/model/load.ts";
import { isMainModule } from "../src/is-main.ts";
import { availableParallelism } from "node:os";
import { benchTokens, synthGguf } from "./lib/models.ts";
import { loadPeer } from "./lib/peer.ts";
import { benchSize, outDir, progress, type Row, writeReport } from "./lib/report.ts";

interface PeerResult {
  prefillMs: number;
  decodeMs: number;
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

/** Weights streamed by the bandwidth probe: far beyond any cache of this machine. */
const BANDWIDTH_MB = 256;

/**
 * Memory bandwidth the F32 matrix–vector kernel reaches with each thread count (GB/s, best of
 * `rounds` rounds, alternating): a 256 MB `[d][1024]` matrix times a vector.
 */
function measureBandwidth(threadCounts: readonly number[], rounds: number): number[] {
  const n = 1024;
  const d = (BANDWIDTH_MB * 2 ** 20) / (4 * n);
  const heap = new WasmHeap();
  const w = heap.alloc(d * n * 4);
  const x = heap.alloc(n * 4);
  const out = heap.alloc(d * 4);
  // Written, not just allocated: untouched pages may all map one zero page and never reach memory.
  heap.f32.fill(0.5, w >> 2, (w >> 2) + d * n);
  heap.f32.fill(1, x >> 2, (x >> 2) + n);
  const pools = threadCounts.map((threads) => new ThreadPool(heap, threads));
  const job = [{ kind: 0, out, x, xd: 0, w, n, d, rows: 1, scratch: 0 }];
  const best = threadCounts.map(() => 0);
  for (let round = 0; round <= rounds; round++) {
    for (const [i, pool] of pools.entries()) {
      const t0 = performance.now();
      for (let rep = 0; rep < 4; rep++) pool.run(job);
      const gbPerS = (4 * d * n * 4) / ((performance.now() - t0) / 1000) / 1e9;
      if (round > 0) best[i] = Math.max(best[i]!, gbPerS); // round 0 warms up (and starts the workers)
    }
  }
  for (const pool of pools) pool.dispose();
  return best;
}

export async function wasmBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const dir = outDir(argv);
  const peer = await loadPeer<Peer>();
  const notes: string[] = [
    "CPU only; ratios against llama.cpp with the same thread count. prefill = tokens/s over the prompt but its last " +
      "token; ours with only the last row's logits (prefillLast, like llama.cpp) and with every row's (prefill).",
    `The engines alternate round by round (${s.repeats} rounds after a warm-up, best round each), so a load that ` +
      `comes and goes on a shared machine hits both alike; compare ratios, not absolute figures, across runs.`,
  ];
  if (typeof peer === "string") notes.push(`llama.cpp NOT measured: ${peer}`);
  const rows: Row[] = [];
  const tps = (ms: number, tokens: number) => (1000 * tokens) / ms;
  const started = performance.now();
  const threadCounts = Array.from({ length: Math.max(1, availableParallelism()) }, (_, i) => i + 1);
  for (const type of s.types) {
    const path = synthGguf(dir, s.shape, type);
    const model = loadModel(path);
    const tokens = benchTokens(model, s.prefill + 1);
    const label = `${s.shape} ${type}`;
    // Every thread count's backend lives through the whole run, and each round measures them all
    // (with llama.cpp at the same count just before): the ratios between thread counts and against
    // llama.cpp come from the same minutes of a machine whose speed drifts.
    const backends = threadCounts.map((threads) => new WasmBackend(model, { threads }));
    for (const b of backends) measureWasm(b, tokens, s.prefill, s.decode, 1); // warm-up round (also starts the worker threads)
    const ours = backends.map(() => ({ prefillLastMs: Infinity, prefillAllMs: Infinity, decodeMs: Infinity }));
    const theirs: ({ prefillMs: number; decodeMs: number } | undefined)[] = backends.map(() => undefined);
    for (let round = 0; round < s.repeats; round++) {
      progress("wasm", `${label}: round ${round + 1} of ${s.repeats}`, started);
      for (const [i, threads] of threadCounts.entries()) {
        if (typeof peer !== "string") {
          try {
            const r = await peer.measure({ modelPath: path, tokens, prefill: s.prefill, decode: s.decode, threads, repeats: 1 });
            theirs[i] = {
              prefillMs: Math.min(theirs[i]?.prefillMs ?? Infinity, r.prefillMs),
              decodeMs: Math.min(theirs[i]?.decodeMs ?? Infinity, r.decodeMs),
            };
          } catch (e) {
            if (round === 0) notes.push(`llama.cpp (${threads} threads) failed on ${label}: ${(e as Error).message}`);
          }
        }
        const m = measureWasm(backends[i]!, tokens, s.prefill, s.decode, 1);
        const best = ours[i]!;
        best.prefillLastMs = Math.min(best.prefillLastMs, m.prefillLastMs);
        best.prefillAllMs = Math.min(best.prefillAllMs, m.prefillAllMs);
        best.decodeMs = Math.min(best.decodeMs, m.decodeMs);
      }
    }
    const oneThreadDecode = tps(ours[0]!.decodeMs, s.decode);
    for (const [i, threads] of threadCounts.entries()) {
      const backend = backends[i]!;
      backend.dispose();
      const peerResult = theirs[i];
      const peerRow = peerResult && { prefill: tps(peerResult.prefillMs, s.prefill - 1), decode: tps(peerResult.decodeMs, s.decode) };
      if (peerRow) {
        rows.push({
          model: label,
          engine: `llama.cpp (${threads} thread${threads === 1 ? "" : "s"})`,
          prefillTokPerS: peerRow.prefill,
          prefillAllRowsTokPerS: null,
          decodeTokPerS: peerRow.decode,
          prefillVsLlamaCpp: null,
          decodeVsLlamaCpp: null,
          decodeVsOwn1Thread: null,
        });
      }
      const prefill = tps(ours[i]!.prefillLastMs, s.prefill - 1);
      const decode = tps(ours[i]!.decodeMs, s.decode);
      rows.push({
        model: label,
        engine: `fastgen-ts ${backend.name}`,
        prefillTokPerS: prefill,
        prefillAllRowsTokPerS: tps(ours[i]!.prefillAllMs, s.prefill - 1),
        decodeTokPerS: decode,
        prefillVsLlamaCpp: peerRow ? prefill / peerRow.prefill : null,
        decodeVsLlamaCpp: peerRow ? decode / peerRow.decode : null,
        decodeVsOwn1Thread: decode / oneThreadDecode,
      });
    }
  }
  // The ceiling for more threads on a decode that streams its weights from memory.
  if (size !== "quick") {
    progress("wasm", `memory bandwidth, ${BANDWIDTH_MB} MB`, started);
    const bandwidth = measureBandwidth(threadCounts, s.repeats);
    for (const [i, threads] of threadCounts.entries()) {
      rows.push({
        model: `memory: F32 matrix–vector over ${BANDWIDTH_MB} MB`,
        engine: `wasm kernel (${threads} thread${threads === 1 ? "" : "s"})`,
        bandwidthGBPerS: bandwidth[i]!,
        decodeVsOwn1Thread: bandwidth[i]! / bandwidth[0]!,
      });
    }
    notes.push(
      `memory rows: the F32 matrix–vector kernel over ${BANDWIDTH_MB} MB of weights (far beyond the caches), GB/s ` +
        `read, rounds alternating between thread counts. A decode that reads all its weights from memory every token ` +
        `(15M F32: 60 MB > the L3 cache) cannot speed up with threads by more than this bandwidth does.`,
    );
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
