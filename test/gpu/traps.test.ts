/**
 * The gpu.js traps the kernels are built around (kernels/gpu/README.md "Traps"). For each: a canary
 * that shows the trap is real in this gpu.js (if one starts failing, gpu.js changed and the README
 * should say so), and a test of our code that would fail if we fell into it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GPU, type IKernelRunShortcut, type KernelFunction, type Texture } from "gpu.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KvPacker } from "../../kernels/gpu/kv-pack.ts";
import { attention, attentionScores } from "../../kernels/gpu/ops/attention.ts";
import { matmul, uploadMatrix } from "../../kernels/gpu/ops/matmul.ts";
import { rmsnorm } from "../../kernels/gpu/ops/rmsnorm.ts";
import { MASK, softmax } from "../../kernels/gpu/ops/softmax.ts";
import { KernelRuntime, readBack } from "../../kernels/gpu/runtime.ts";
import { resident, toDevice } from "../../kernels/gpu/transfer.ts";
import { repoRoot } from "../../src/model/load.ts";
import type { KvView } from "../../src/interfaces.ts";
import { refAttention, refMatmul, refRmsnorm } from "./reference-ops.ts";
import { describeEachMode, expectClose, maxAbsDiff, randomArray, rng } from "./support.ts";

/** A raw gpu.js kernel with the given settings, for the canaries. */
function rawKernel(gpu: GPU, body: (...args: never[]) => number, settings: object): IKernelRunShortcut {
  return gpu.createKernel(body as unknown as KernelFunction, {
    precision: "single",
    tactic: "precision",
    ...settings,
  }) as IKernelRunShortcut;
}

function host(value: unknown): Float32Array {
  return value instanceof Float32Array ? value : ((value as Texture).toArray() as Float32Array);
}

it("trap 1, static: every loop in a kernel body is bounded by this.constants, never by an argument", () => {
  const dir = join(repoRoot, "kernels", "gpu");
  const files = ["transfer.ts", ...readdirSync(join(dir, "ops")).map((f) => join("ops", f))].filter((f) => f.endsWith(".ts"));
  let bodies = 0;
  for (const file of files) {
    const source = readFileSync(join(dir, file), "utf8");
    // Kernel bodies are the functions whose `this` is a KernelThis; each ends at a closing brace in column 0.
    for (const body of source.match(/function \w+\(this: KernelThis[\s\S]*?\n\}/g) ?? []) {
      bodies++;
      for (const loop of body.match(/for \([^;]*;[^;]*;/g) ?? []) {
        expect(loop, `${file}: ${loop}`).toMatch(/;\s*\w+\s*<\s*this\.constants\.\w+\s*;/);
      }
    }
  }
  expect(bodies).toBeGreaterThanOrEqual(9);
});

describeEachMode("traps", (mode) => {
  let gpu: GPU;
  let rt: KernelRuntime;
  beforeAll(() => {
    gpu = new GPU({ mode });
    rt = new KernelRuntime(mode);
  });
  afterAll(async () => {
    await gpu.destroy();
    await rt.destroy();
  });

  it("trap 1, canary: a loop bounded by an argument stops at loopMaxIterations (1000) without an error", () => {
    const sum = rawKernel(
      gpu,
      function (this: { thread: { x: number } }, a: number[], n: number): number {
        let s = 0;
        for (let i = 0; i < n; i++) s += a[i]!;
        return s + this.thread.x * 0;
      },
      { output: [1] },
    );
    expect(host(sum(new Float32Array(3000).fill(1), 3000))[0]).toBe(1000);
  });

  it("trap 1: a 2048-wide product and attention over 1100 entries are not truncated", () => {
    const next = rng(2048);
    const x = randomArray(next, 2048);
    const w = randomArray(next, 3 * 2048);
    const got = readBack(matmul(rt, "trap1", { rows: 1, n: 2048, d: 3 }, toDevice(rt, "x", x, [2048, 1]), uploadMatrix(rt, w, 2048, 3)));
    // Truncating at 1000 of 2048 terms would be off by ~√1048 ≈ 30× a term; rounding is ≪ 0.01.
    expectClose(got, refMatmul(x, w, 1, 2048, 3), 0.01, "2048-wide matmul");

    const view: KvView = {
      length: 1100,
      positions: Int32Array.from({ length: 1100 }, (_, t) => t),
      keys: randomArray(next, 1100 * 4),
      values: randomArray(next, 1100 * 4),
    };
    const q = randomArray(next, 4);
    const kv = new KvPacker({ nLayers: 1, nHeads: 1, nKvHeads: 1, headDim: 4 }).pack([view]);
    const res = attention(rt, "trap1", { rows: 1, nHeads: 1, nKvHeads: 1, headDim: 4, cap: kv.cap }, q, kv.keys, kv.values, kv.headLen);
    const probs = readBack(res.probs);
    // Weights past entry 1000 are non-zero and the row sums to 1: the loops ran to the end.
    expect(probs.subarray(1000, 1100).every((p) => p > 0)).toBe(true);
    expect(probs.subarray(0, 1100).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(maxAbsDiff(readBack(res.out), refAttention(q, [view], 1, 4).out)).toBeLessThan(1e-5);
  });

  it("trap 2, canary: a mutable pipeline kernel's next call overwrites its previous result (webasm copies)", () => {
    const k = rawKernel(
      gpu,
      function (this: { thread: { x: number } }, v: number): number {
        return v + this.thread.x;
      },
      { output: [4], pipeline: true },
    );
    const first = k(1);
    const before = Array.from(host(first));
    k(100);
    const after = Array.from(host(first));
    expect(before).toEqual([1, 2, 3, 4]);
    expect(after).toEqual(mode === "webasm" ? [1, 2, 3, 4] : [100, 101, 102, 103]);
  });

  it("trap 2: resident weights survive later uploads of the same shape", () => {
    const next = rng(2);
    const x = randomArray(next, 5);
    const w1 = randomArray(next, 3 * 5);
    const norm1 = randomArray(next, 5);
    const m1 = uploadMatrix(rt, w1, 5, 3);
    const v1 = resident(rt, norm1, [5]);
    uploadMatrix(rt, randomArray(next, 3 * 5), 5, 3);
    resident(rt, randomArray(next, 5), [5]);
    const xs = toDevice(rt, "x", x, [5, 1]);
    expectClose(
      readBack(matmul(rt, "trap2", { rows: 1, n: 5, d: 3 }, xs, m1)),
      refMatmul(x, w1, 1, 5, 3),
      1e-6,
      "product with the first matrix",
    );
    expectClose(readBack(rmsnorm(rt, "trap2", 1, 5, 1e-5, xs, v1)), refRmsnorm(x, norm1, 1, 5, 1e-5), 1e-6, "norm with the first weights");
  });

  it("trap 3: growing views are padded to power-of-two capacities, so kernels compile per bucket, not per length", async () => {
    const next = rng(3);
    const packer = new KvPacker({ nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4 });
    const all: KvView = {
      length: 70,
      positions: Int32Array.from({ length: 70 }, (_, t) => t),
      keys: randomArray(next, 280),
      values: randomArray(next, 280),
    };
    const local = new KernelRuntime(mode);
    try {
      const caps = new Set<number>();
      for (let n = 1; n <= 70; n++) {
        const view: KvView = {
          length: n,
          positions: all.positions.subarray(0, n),
          keys: all.keys.subarray(0, 4 * n),
          values: all.values.subarray(0, 4 * n),
        };
        const q = randomArray(next, 8);
        const kv = packer.pack([view]);
        caps.add(kv.cap);
        const res = attention(
          local,
          "grow",
          { rows: 1, nHeads: 2, nKvHeads: 1, headDim: 4, cap: kv.cap },
          q,
          kv.keys,
          kv.values,
          kv.headLen,
        );
        expect(maxAbsDiff(readBack(res.out), refAttention(q, [view], 2, 4).out), `length ${n}`).toBeLessThan(1e-5);
      }
      expect([...caps].sort((a, b) => a - b)).toEqual([16, 32, 64, 128]);
      // scores, softmax stats, softmax apply, weighted sum: one of each per capacity.
      expect(local.kernelCount).toBe(4 * caps.size);
    } finally {
      await local.destroy();
    }
  });

  it("trap 4, canary: gpu.js's GL transpiler turns the literal -Infinity into a finite -3.4e38", () => {
    const k = rawKernel(
      gpu,
      function (this: { thread: { x: number } }): number {
        return -Infinity + this.thread.x * 0;
      },
      { output: [1] },
    );
    const v = host(k())[0]!;
    if (mode === "headlessgl") expect(v).toBe(-3.4028234663852886e38);
    else expect(v).toBe(-Infinity);
  });

  it("trap 4: padded scores hold the finite MASK, and even a softmax blind to lengths gives them exactly 0", () => {
    const next = rng(4);
    const views: KvView[] = [3, 0].map((n) => ({
      length: n,
      positions: Int32Array.from({ length: n }, (_, t) => t),
      keys: randomArray(next, 4 * n),
      values: randomArray(next, 4 * n),
    }));
    const kv = new KvPacker({ nLayers: 1, nHeads: 2, nKvHeads: 2, headDim: 4 }).pack(views);
    const shape = { rows: 1, nHeads: 2, nKvHeads: 2, headDim: 4, cap: kv.cap };
    const q = randomArray(next, 8);
    const scores = readBack(attentionScores(rt, "trap4", shape, q, kv.keys, kv.headLen));
    expect(scores.subarray(3, kv.cap).every((s) => s === MASK)).toBe(true);
    expect(scores.subarray(kv.cap).every((s) => s === MASK)).toBe(true);
    // Head 0 over all `cap` columns, its padding included: exp(MASK - max) underflows to exactly 0.
    const blind = readBack(
      softmax(rt, "trap4", 1, kv.cap, toDevice(rt, "s", scores.slice(0, kv.cap), [kv.cap, 1]), Float32Array.of(kv.cap)),
    );
    expect(blind.subarray(3).every((p) => p === 0)).toBe(true);
    expectClose(blind.subarray(0, 3), refAttention(q, views, 2, 4).probs[0]!, 1e-6, "weights of the real entries");
    // Head 1 has nothing to attend to: zero output, no NaN.
    const res = attention(rt, "trap4", shape, q, kv.keys, kv.values, kv.headLen);
    expect(Array.from(readBack(res.out).subarray(4))).toEqual([0, 0, 0, 0]);
    expect(readBack(res.probs).every((p) => Number.isFinite(p))).toBe(true);
  });
});
