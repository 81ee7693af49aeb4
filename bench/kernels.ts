/**
 * Microbenchmarks of each gpu.js kernel, of one decode step and of a batched prefill: the reference
 * (reference/math.ts, reference/transformer.ts) against every gpu.js mode available here, at
 * stories260K's shape (real weights) and at stories15M's (dim 288, 6 layers, FFN 768, vocab 32000;
 * seeded random weights). A kernel's time includes reading its result back to the host, the honest
 * cost of one call (a GL draw is only queued until something reads it).
 * Run: xvfb-run -a npx tsx bench/kernels.ts [--quick] [--out DIR]   (without a display: no headlessgl)
 */
import { Bench } from "tinybench";
import { bucket } from "../kernels/gpu/buckets.ts";
import { GpuBackend } from "../kernels/gpu/gpu-backend.ts";
import { KvPacker } from "../kernels/gpu/kv-pack.ts";
import { availableModes, GPU_MODES, modeAvailability } from "../kernels/gpu/modes.ts";
import { attention } from "../kernels/gpu/ops/attention.ts";
import { matmul, uploadMatrix } from "../kernels/gpu/ops/matmul.ts";
import { rmsnorm } from "../kernels/gpu/ops/rmsnorm.ts";
import { rope, ropeTable } from "../kernels/gpu/ops/rope.ts";
import { softmax } from "../kernels/gpu/ops/softmax.ts";
import { swiglu } from "../kernels/gpu/ops/swiglu.ts";
import { KernelRuntime, readBack } from "../kernels/gpu/runtime.ts";
import { resident, toDevice } from "../kernels/gpu/transfer.ts";
import { ReferenceTransformer } from "../reference/transformer.ts";
import { type Backend, kvLayoutOf } from "../src/interfaces.ts";
import { mulberry32 } from "../src/random.ts";
import type { KvView } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import type { LlamaModel } from "../src/model/types.ts";
import { type BenchShape, benchModel, benchTokens } from "./lib/models.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { refAttention, refMatmul, refRmsnorm, refRope, refSoftmax, refSwiglu } from "../test/gpu/reference-ops.ts";
import { isMainModule } from "../src/is-main.ts";

const SETTINGS = {
  quick: { shapes: ["stories260K", "tiny"] as BenchShape[], context: 32, prefill: 16, iterations: 3 },
  default: { shapes: ["stories260K", "15M"] as BenchShape[], context: 128, prefill: 64, iterations: 10 },
  long: { shapes: ["stories260K", "15M", "110M"] as BenchShape[], context: 256, prefill: 64, iterations: 20 },
};
type Settings = (typeof SETTINGS)["default"];

/** One benchmarked operation: its name and a function running it once. */
type Case = readonly [op: string, run: () => void];

/** A full cache holding `length` random positions: decode steps then attend over that context. */
function randomCache(model: LlamaModel, length: number): FullKvCache {
  const layout = kvLayoutOf(model.config);
  const cache = new FullKvCache(layout);
  const random = mulberry32(length);
  const kv = (): Float32Array => Float32Array.from({ length: layout.headDim }, () => random() - 0.5);
  for (let p = 0; p < length; p++) {
    for (let l = 0; l < layout.nLayers; l++) for (let g = 0; g < layout.nKvHeads; g++) cache.append(l, g, p, kv(), kv());
  }
  return cache;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The data every case works on, shared by the reference and the gpu.js modes. */
function inputsFor(model: LlamaModel, s: Settings) {
  const c = model.config;
  const random = mulberry32(42);
  const vec = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const layer = model.weights.layers[0]!;
  const views: KvView[] = Array.from({ length: c.nKvHeads }, () => ({
    length: s.context,
    positions: Int32Array.from({ length: s.context }, (_, t) => t),
    keys: vec(s.context * c.headDim),
    values: vec(s.context * c.headDim),
  }));
  return {
    c,
    qDim,
    kvDim,
    qkvDim: qDim + 2 * kvDim,
    x: vec(c.dim),
    xBatch: vec(s.prefill * c.dim),
    wqkv: concat(layer.wq, layer.wk, layer.wv),
    w13: concat(layer.w1, layer.w3),
    qkv: vec(qDim + 2 * kvDim),
    gateUp: vec(2 * c.hiddenDim, 4),
    scores: vec(c.nHeads * bucket(s.context, 16), 4),
    views,
    q: vec(qDim),
    tokens: benchTokens(model, s.prefill),
  };
}
type Inputs = ReturnType<typeof inputsFor>;

function referenceCases(model: LlamaModel, d: Inputs, s: Settings): Case[] {
  const { c } = d;
  const w = model.weights;
  const backend = new ReferenceTransformer(model);
  const cap = bucket(s.context, 16);
  const cache = randomCache(model, s.context);
  let position = s.context;
  return [
    ["rmsnorm [1×dim]", () => refRmsnorm(d.x, w.layers[0]!.attnNorm, 1, c.dim, c.normEps)],
    ["matmul qkv [1×dim]", () => refMatmul(d.x, d.wqkv, 1, c.dim, d.qkvDim)],
    ["matmul w1|w3 [1×dim]", () => refMatmul(d.x, d.w13, 1, c.dim, 2 * c.hiddenDim)],
    ["matmul classifier [1×dim]", () => refMatmul(d.x, w.output, 1, c.dim, c.vocabSize)],
    [`matmul qkv [${s.prefill}×dim]`, () => refMatmul(d.xBatch, d.wqkv, s.prefill, c.dim, d.qkvDim)],
    ["rope [1×qkv]", () => refRope(d.qkv, 1, d.qkvDim, d.qDim + d.kvDim, c.headDim, [s.context], c.ropeTheta)],
    ["swiglu [1×hidden]", () => refSwiglu(d.gateUp, 1, c.hiddenDim)],
    [`softmax [heads×${s.context}]`, () => refSoftmax(d.scores, c.nHeads, cap, new Array<number>(c.nHeads).fill(s.context))],
    [`attention [1 token × ${s.context}]`, () => refAttention(d.q, d.views, c.nHeads, c.headDim)],
    [`decode step @${s.context}`, () => void backend.forward(5, position++, cache)],
    [`prefill ${s.prefill} tokens`, () => void backend.prefill(d.tokens, 0, new FullKvCache(kvLayoutOf(c)))],
  ];
}

function gpuCases(model: LlamaModel, d: Inputs, s: Settings, rt: KernelRuntime, backend: Backend): Case[] {
  const { c } = d;
  const w = model.weights;
  const attnNorm = resident(rt, w.layers[0]!.attnNorm, [c.dim]);
  const wqkv = uploadMatrix(rt, d.wqkv, c.dim, d.qkvDim);
  const w13 = uploadMatrix(rt, d.w13, c.dim, 2 * c.hiddenDim);
  const output = uploadMatrix(rt, w.output, c.dim, c.vocabSize);
  const table = ropeTable([s.context], c.headDim, c.ropeTheta);
  const cap = bucket(s.context, 16);
  const lens = new Float32Array(c.nHeads).fill(s.context);
  const packer = new KvPacker(kvLayoutOf(c));
  const cache = randomCache(model, s.context);
  let position = s.context;
  // Inputs that a forward pass keeps on the device are uploaded once, outside the timed call.
  const x = toDevice(rt, "x", d.x, [c.dim, 1]);
  const xBatch = toDevice(rt, "xBatch", d.xBatch, [c.dim, s.prefill]);
  const qkv = toDevice(rt, "qkv", d.qkv, [d.qkvDim, 1]);
  const gateUp = toDevice(rt, "gateUp", d.gateUp, [2 * c.hiddenDim, 1]);
  const scores = toDevice(rt, "scores", d.scores, [cap, c.nHeads]);
  return [
    ["rmsnorm [1×dim]", () => void readBack(rmsnorm(rt, "b", 1, c.dim, c.normEps, x, attnNorm))],
    ["matmul qkv [1×dim]", () => void readBack(matmul(rt, "b", { rows: 1, n: c.dim, d: d.qkvDim }, x, wqkv))],
    ["matmul w1|w3 [1×dim]", () => void readBack(matmul(rt, "b", { rows: 1, n: c.dim, d: 2 * c.hiddenDim }, x, w13))],
    ["matmul classifier [1×dim]", () => void readBack(matmul(rt, "b", { rows: 1, n: c.dim, d: c.vocabSize }, x, output))],
    [`matmul qkv [${s.prefill}×dim]`, () => void readBack(matmul(rt, "b", { rows: s.prefill, n: c.dim, d: d.qkvDim }, xBatch, wqkv))],
    [
      "rope [1×qkv]",
      () => void readBack(rope(rt, "b", { rows: 1, width: d.qkvDim, rotated: d.qDim + d.kvDim, headDim: c.headDim }, qkv, table)),
    ],
    ["swiglu [1×hidden]", () => void readBack(swiglu(rt, "b", 1, c.hiddenDim, gateUp))],
    [`softmax [heads×${s.context}]`, () => void readBack(softmax(rt, "b", c.nHeads, cap, scores, lens))],
    [
      `attention [1 token × ${s.context}]`,
      () => {
        const kv = packer.pack(d.views); // copying the views into the padded layout is part of the cost
        const shape = { rows: 1, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, cap: kv.cap };
        const r = attention(rt, "b", shape, d.q, kv.keys, kv.values, kv.headLen);
        readBack(r.probs);
        readBack(r.out);
      },
    ],
    [`decode step @${s.context}`, () => void backend.forward(5, position++, cache)],
    [`prefill ${s.prefill} tokens`, () => void backend.prefill(d.tokens, 0, new FullKvCache(kvLayoutOf(c)))],
  ];
}

async function measure(cases: readonly Case[], iterations: number): Promise<Map<string, { mean: number; p50: number; samples: number }>> {
  const bench = new Bench({ iterations, time: 0, warmupIterations: Math.min(5, iterations), warmupTime: 0 });
  for (const [op, run] of cases) bench.add(op, run);
  await bench.run();
  const out = new Map<string, { mean: number; p50: number; samples: number }>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state === "errored") throw r.error;
    if ("latency" in r) out.set(task.name, { mean: r.latency.mean, p50: r.latency.p50 ?? r.latency.mean, samples: r.latency.samplesCount });
  }
  return out;
}

export async function kernelsBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size] as Settings;
  for (const m of GPU_MODES) {
    const a = modeAvailability(m);
    if (!a.available) console.log(`  (gpu.js mode ${m} skipped: ${a.reason})`);
  }
  const rows: Row[] = [];
  for (const shapeName of s.shapes) {
    const model = benchModel(shapeName);
    const d = inputsFor(model, s);
    const results: Record<string, Map<string, { mean: number; p50: number; samples: number }>> = {};
    console.log(`${shapeName}: reference`);
    results.reference = await measure(referenceCases(model, d, s), s.iterations);
    for (const mode of availableModes()) {
      console.log(`${shapeName}: gpu.js ${mode}`);
      const rt = new KernelRuntime(mode);
      const backend = new GpuBackend(model, { mode });
      results[mode] = await measure(gpuCases(model, d, s, rt, backend), s.iterations);
      backend.dispose();
      await rt.destroy();
    }
    for (const [op, ref] of results.reference) {
      const row: Row = { shape: shapeName, op, "reference ms": ref.mean };
      for (const mode of availableModes()) {
        const r = results[mode]?.get(op);
        row[`${mode} ms`] = r?.mean ?? null;
        row[`${mode} ×ref`] = r ? ref.mean / r.mean : null;
      }
      rows.push(row);
    }
  }
  return writeReport(
    {
      bench: "kernels",
      command: `xvfb-run -a npx tsx bench/kernels.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: { ...s, modes: availableModes() },
      rows,
      notes: [
        "mean ms per call (kernel + read back to the host); ×ref > 1 means faster than the reference.",
        `decode step: one token through every layer over a full cache of ~${s.context} random positions (it grows by one per call).`,
        "prefill: the tokens through a fresh full cache (the gpu path batches the matmuls, and the attention while " +
          "the cache keeps everything).",
      ],
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await kernelsBench();
