/**
 * Every kernel against its reference counterpart (reference-ops.ts, built on reference/math.ts) on
 * random data, in every available mode, at awkward sizes: 1, odd, non-multiples of 4, outputs
 * spanning several texture rows, and loops longer than gpu.js's default 1000 iterations (trap 1).
 *
 * Tolerance: a float32 sum of n terms is within (n + 2)·2⁻²⁴·Σ|terms| of the exact sum (the
 * textbook γ_n bound), so dot products are held to that; elementwise ops to a few float32
 * roundings of their value; `exp(x)` to the GLSL ES 1.0 bound of (3 + 2·|x|) ulp (llvmpipe's exp
 * of large arguments really is that far off). Worst-case bounds, not tuned to observed errors.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { MIN_CAPACITY, KvPacker } from "../../kernels/gpu/kv-pack.ts";
import { attention } from "../../kernels/gpu/ops/attention.ts";
import { matmul, matmulAdd, uploadMatrix } from "../../kernels/gpu/ops/matmul.ts";
import { rmsnorm } from "../../kernels/gpu/ops/rmsnorm.ts";
import { addBias, headNorm } from "../../kernels/gpu/ops/qk.ts";
import { rope, ropeTable } from "../../kernels/gpu/ops/rope.ts";
import { rmsnorm as rmsnormRow } from "../../reference/math.ts";
import { MASK, softmax } from "../../kernels/gpu/ops/softmax.ts";
import { swiglu } from "../../kernels/gpu/ops/swiglu.ts";
import { hostArray, KernelRuntime, readBack } from "../../kernels/gpu/runtime.ts";
import { resident, toDevice } from "../../kernels/gpu/transfer.ts";
import type { KvView } from "../../src/interfaces.ts";
import { matmulMagnitude, refAttention, refMatmul, refRmsnorm, refRope, refSoftmax, refSwiglu } from "./reference-ops.ts";
import { describeEachMode, expectClose, maxAbsDiff, randomArray, rng } from "./support.ts";

/** One float32 rounding. */
const U = 2 ** -24;
/** GLSL ES 1.0's precision for exp(x), in ulp (relative to U), plus the division around it. */
const expUlps = (x: number): number => 3 + 2 * Math.abs(x) + 4;
/**
 * Bound for a softmax weight p over n entries: the normalising sum's (n + 2) roundings, the exp of
 * (s - max) with |s - max| ≤ -ln p, and `extra` ulps from computing s. A zero weight must be exact.
 */
const probBound = (p: number, n: number, extra = 0): number => (p > 0 ? (n + 4 + extra + expUlps(Math.log(p))) * U * p : 0);

describeEachMode("kernels vs reference", (mode) => {
  let rt: KernelRuntime;
  beforeAll(() => {
    rt = new KernelRuntime(mode);
  });
  afterAll(() => rt.destroy());

  // [rows, n, d]: n = 1031 and 2048 loop past 1000; d = 16411 is wider than a 16384 texture row;
  // 8 × (2²¹ + 1) weights are more than 2²⁴ floats (float indices into them are no longer exact).
  it.each([
    [1, 1, 1],
    [1, 7, 5],
    [3, 13, 17],
    [5, 64, 172],
    [2, 1031, 3],
    [1, 2048, 9],
    [2, 5, 16411],
    [1, 8, 2 ** 21 + 1],
  ])("matmul rows=%i n=%i d=%i", (rows, n, d) => {
    const next = rng(rows * 7919 + n * 31 + d);
    const x = randomArray(next, rows * n);
    const w = randomArray(next, d * n);
    const mag = matmulMagnitude(x, w, rows, n, d);
    const want = refMatmul(x, w, rows, n, d);
    // Both weight layouts: the mode's default (vec4 on headlessgl) and plain rows.
    for (const layout of ["auto", "rows"] as const) {
      const got = readBack(
        matmul(rt, `test-${layout}`, { rows, n, d }, toDevice(rt, "x", x, [n, rows]), uploadMatrix(rt, w, n, d, layout)),
      );
      expectClose(got, want, (i) => (n + 3) * U * mag[i]!, `matmul (${layout} layout)`);
    }
  });

  it.each([
    [1, 3, 5],
    [4, 1100, 6],
  ])("matmulAdd (residual) rows=%i n=%i d=%i", (rows, n, d) => {
    const next = rng(rows + n + d);
    const x = randomArray(next, rows * n);
    const w = randomArray(next, d * n);
    const res = randomArray(next, rows * d, 3);
    const got = readBack(
      matmulAdd(
        rt,
        "test",
        { rows, n, d },
        toDevice(rt, "x", x, [n, rows]),
        uploadMatrix(rt, w, n, d),
        toDevice(rt, "res", res, [d, rows]),
      ),
    );
    const want = refMatmul(x, w, rows, n, d).map((v, i) => Math.fround(v + res[i]!));
    const mag = matmulMagnitude(x, w, rows, n, d);
    expectClose(got, want, (i) => (n + 3) * U * mag[i]! + 2 * U * Math.abs(want[i]!), "matmulAdd");
  });

  // [rows, n, scale of x]
  it.each([
    [1, 1, 1],
    [3, 7, 1],
    [2, 64, 100],
    [1, 1500, 0.01],
  ])("rmsnorm rows=%i n=%i |x|≈%f", (rows, n, scale) => {
    const next = rng(rows * 13 + n);
    const x = randomArray(next, rows * n, scale);
    const w = randomArray(next, n, 2);
    const eps = 1e-5;
    const got = readBack(rmsnorm(rt, "test", rows, n, eps, toDevice(rt, "x", x, [n, rows]), resident(rt, w, [n])));
    const want = refRmsnorm(x, w, rows, n, eps);
    expectClose(got, want, (i) => (n + 8) * U * Math.abs(want[i]!), "rmsnorm");
  });

  // [rows, query heads, KV heads, headDim]; positions include 0, past the trained context, and large.
  it.each([
    [1, 1, 1, 2],
    [3, 8, 4, 8],
    [5, 3, 1, 16],
    [2, 6, 2, 6],
  ])("rope rows=%i heads=%i/%i headDim=%i", (rows, nHeads, nKvHeads, headDim) => {
    const next = rng(rows * 101 + nHeads * 11 + headDim);
    const width = (nHeads + 2 * nKvHeads) * headDim;
    const rotated = (nHeads + nKvHeads) * headDim;
    const positions = [0, 511, 2047, 99_999, 7].slice(0, rows);
    const x = randomArray(next, rows * width, 2);
    const table = ropeTable(positions, headDim, 10000, rows);
    const got = readBack(rope(rt, "test", { rows, width, rotated, headDim }, toDevice(rt, "x", x, [width, rows]), table));
    const want = refRope(x, rows, width, rotated, headDim, positions, 10000);
    // A rotated value mixes its pair: a few roundings of |x0| + |x1|. Values (not rotated) pass through exactly.
    const pairMag = (i: number): number => Math.abs(x[i - (i % 2)]!) + Math.abs(x[i - (i % 2) + 1]!);
    expectClose(got, want, (i) => (i % width < rotated ? 4 * U * pairMag(i) : 0), "rope");
  });

  // NEOX pairs (Qwen) and Llama 3's frequency factors, at positions where the factors move the angles.
  it.each([
    [3, 4, 2, 16, true, false],
    [2, 2, 1, 64, false, true],
    [4, 3, 1, 32, true, true],
  ])("rope rows=%i heads=%i/%i headDim=%i neox=%s freqs=%s", (rows, nHeads, nKvHeads, headDim, neox, withFreqs) => {
    const next = rng(rows * 103 + nHeads * 13 + headDim);
    const width = (nHeads + 2 * nKvHeads) * headDim;
    const rotated = (nHeads + nKvHeads) * headDim;
    const positions = [5_000, 1, 130_000, 0].slice(0, rows);
    const x = randomArray(next, rows * width, 2);
    const options = withFreqs ? { freqs: Float32Array.from({ length: headDim / 2 }, (_, j) => 1 + (31 * j) / (headDim / 2 - 1)) } : {};
    const table = ropeTable(positions, headDim, 500000, rows, options);
    const got = readBack(rope(rt, "test", { rows, width, rotated, headDim, neox }, toDevice(rt, "x", x, [width, rows]), table));
    const want = refRope(x, rows, width, rotated, headDim, positions, 500000, { neox, ...options });
    // A rotated value mixes its pair (columns p and p + headDim/2 with neox).
    const partner = (i: number): number => {
      const e = (i % width) % headDim;
      if (!neox) return i - (i % 2) + 1 - (i % 2);
      return e < headDim / 2 ? i + headDim / 2 : i - headDim / 2;
    };
    expectClose(got, want, (i) => (i % width < rotated ? 4 * U * (Math.abs(x[i]!) + Math.abs(x[partner(i)]!)) : 0), "rope");
    // The factors change the result at these positions (the test would notice them ignored).
    if (withFreqs) expect(maxAbsDiff(want, refRope(x, rows, width, rotated, headDim, positions, 500000, { neox }))).toBeGreaterThan(0.1);
  });

  it("addBias adds the bias row to every row; headNorm normalizes each query and key head, values untouched", () => {
    const next = rng(77);
    const [rows, qHeads, kHeads, headDim] = [3, 4, 2, 8];
    const width = (qHeads + 2 * kHeads) * headDim;
    const x = randomArray(next, rows * width, 2);
    const b = randomArray(next, width, 1);
    const biased = readBack(addBias(rt, "test", rows, width, toDevice(rt, "x", x, [width, rows]), resident(rt, b, [width])));
    expectClose(
      biased,
      x.map((v, i) => Math.fround(v + b[i % width]!)),
      0,
      "addBias",
    );
    const wq = randomArray(next, headDim, 2);
    const wk = randomArray(next, headDim, 2);
    const s = { rows, width, headDim, qHeads, kHeads, eps: 1e-6 };
    const got = readBack(
      headNorm(rt, "test", s, toDevice(rt, "x", x, [width, rows]), resident(rt, wq, [headDim]), resident(rt, wk, [headDim])),
    );
    const want = x.slice();
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < qHeads + kHeads; h++) {
        const at = r * width + h * headDim;
        const head = want.subarray(at, at + headDim);
        rmsnormRow(head, head, h < qHeads ? wq : wk, 1e-6);
      }
    }
    expectClose(got, want, (i) => (i % width < (qHeads + kHeads) * headDim ? (headDim + 8) * U * Math.abs(want[i]!) : 0), "headNorm");
  });

  it("rope's angle table is the reference's float32 angle computation", () => {
    const table = ropeTable([3, 1000], 8, 10000);
    const x = new Float32Array(16);
    for (let r = 0; r < 2; r++) {
      for (let p = 0; p < 4; p++) {
        // Rotating (1, 0) by the reference yields (cos, sin) of its angle.
        x.fill(0);
        x[2 * p] = 1;
        const rotated = refRope(x.subarray(0, 8), 1, 8, 8, 8, [[3, 1000][r]!], 10000);
        expect(table[r * 8 + 2 * p]).toBe(Math.fround(rotated[2 * p]!));
        expect(table[r * 8 + 2 * p + 1]).toBe(Math.fround(rotated[2 * p + 1]!));
      }
    }
  });

  // [rows, h, scale]: gate values up to ±scale, so exp(-g) overflows for the large ones.
  it.each([
    [1, 1, 1],
    [3, 7, 20],
    [2, 172, 4],
    [1, 1025, 120],
  ])("swiglu rows=%i h=%i |gate|≈%f", (rows, h, scale) => {
    const next = rng(rows * 3 + h);
    const gu = randomArray(next, rows * 2 * h, scale);
    const got = readBack(swiglu(rt, "test", rows, h, toDevice(rt, "gu", gu, [2 * h, rows])));
    const want = refSwiglu(gu, rows, h);
    const gate = (i: number): number => gu[Math.floor(i / h) * 2 * h + (i % h)]!;
    expectClose(got, want, (i) => expUlps(gate(i)) * U * Math.abs(want[i]!) + 1e-30, "swiglu");
  });

  // [rows, cols (padded), lengths]
  it.each([
    [1, 16, [1]],
    [3, 16, [16, 5, 9]],
    [4, 32, [0, 32, 17, 1]],
    [2, 2048, [2048, 1100]],
  ])("softmax rows=%i cols=%i lengths=%j", (rows, cols, lens) => {
    const next = rng(rows * 17 + cols);
    const s = randomArray(next, rows * cols, 8);
    // The second row sits far below zero: a max-subtracting softmax does not care.
    if (rows > 1) for (let t = 0; t < cols; t++) s[cols + t] = s[cols + t]! - 1e4;
    const len = Float32Array.from(lens);
    const got = readBack(softmax(rt, "test", rows, cols, toDevice(rt, "s", s, [cols, rows]), len));
    const want = refSoftmax(s, rows, cols, len);
    // Each weight: its exp's error, plus (len + 2) roundings of the normalising sum.
    expectClose(got, want, (i) => probBound(want[i]!, len[Math.floor(i / cols)]!), "softmax");
    for (let r = 0; r < rows; r++) {
      for (let t = len[r]!; t < cols; t++) expect(got[r * cols + t], "padding is exactly zero").toBe(0);
    }
  });

  // [query heads, KV heads, headDim, view length per KV head]: GQA groups 1..3, a view longer than
  // 1000 (trap 1), one of length 0 (trap 4: nothing to attend, no NaN), lengths across buckets.
  it.each([
    [2, 2, 8, [1, 5]],
    [8, 4, 8, [17, 16, 3, 40]],
    [6, 2, 16, [1100, 7]],
    [3, 1, 6, [33]],
    [4, 2, 4, [0, 9]],
  ])("attention heads=%i/%i headDim=%i lengths=%j", (nHeads, nKvHeads, headDim, lens) => {
    const next = rng(nHeads * 1000 + headDim * 10 + lens.length);
    const views: KvView[] = lens.map((n, g) => ({
      length: n,
      positions: Int32Array.from({ length: n }, (_, t) => t * 2 + g),
      keys: randomArray(next, n * headDim, 1.5),
      values: randomArray(next, n * headDim),
    }));
    const q = randomArray(next, nHeads * headDim, 1.5);
    const kv = new KvPacker({ nLayers: 1, nHeads, nKvHeads, headDim }).pack(views);
    expect(kv.cap).toBeGreaterThanOrEqual(Math.max(MIN_CAPACITY, ...lens));
    const got = attention(rt, "test", { rows: 1, nHeads, nKvHeads, headDim, cap: kv.cap }, q, kv.keys, kv.values, kv.headLen);
    const probs = readBack(got.probs);
    const out = readBack(got.out);
    const want = refAttention(q, views, nHeads, headDim);
    const groupSize = nHeads / nKvHeads;
    for (let h = 0; h < nHeads; h++) {
      const n = lens[Math.floor(h / groupSize)]!;
      const p = want.probs[h]!;
      // Each score is a headDim-term float32 dot product, off by up to (headDim + 2)·u·Σ|q·k|/√headDim;
      // that moves exp(s - max) by twice as much (s and max), relative. Then the exp and the sum.
      const view = views[Math.floor(h / groupSize)]!;
      let termSum = 0;
      for (let t = 0; t < n; t++) {
        let m = 0;
        for (let i = 0; i < headDim; i++) m += Math.abs(q[h * headDim + i]! * view.keys[t * headDim + i]!);
        termSum = Math.max(termSum, m);
      }
      const scoreUlps = (2 * (headDim + 2) * termSum) / Math.sqrt(headDim);
      const pBound = (t: number): number => probBound(p[t]!, n, scoreUlps);
      expectClose(probs.subarray(h * kv.cap, h * kv.cap + n), p, pBound, `probs of head ${h}`);
      for (let t = n; t < kv.cap; t++) expect(probs[h * kv.cap + t]).toBe(0);
      const v = view.values;
      for (let i = 0; i < headDim; i++) {
        let mag = 0;
        for (let t = 0; t < n; t++) mag += Math.abs(p[t]! * v[t * headDim + i]!);
        let pErr = 0;
        for (let t = 0; t < n; t++) pErr += pBound(t) * Math.abs(v[t * headDim + i]!);
        const bound = (n + 3) * U * mag + pErr + 1e-30;
        expectClose([out[h * headDim + i]!], [want.out[h * headDim + i]!], bound, `output of head ${h}, dim ${i}`);
      }
    }
    expect(out.every(Number.isFinite) && probs.every((p) => Number.isFinite(p) && p !== MASK)).toBe(true);
  });

  // Several rows over one packed array, each (row, KV head) over its own prefix: causal prefill.
  it.each([
    [3, 4, 2, 8, [5, 9]],
    [5, 6, 3, 4, [1, 20, 33]],
  ])("attention of %i rows, heads=%i/%i headDim=%i, row 0 lengths=%j", (rows, nHeads, nKvHeads, headDim, len0) => {
    const next = rng(rows * 31 + nHeads);
    const full: KvView[] = len0.map((n) => {
      const length = n + rows - 1;
      return {
        length,
        positions: Int32Array.from({ length }, (_, t) => t),
        keys: randomArray(next, length * headDim, 1.5),
        values: randomArray(next, length * headDim),
      };
    });
    const q = randomArray(next, rows * nHeads * headDim, 1.5);
    const groupSize = nHeads / nKvHeads;
    const len = Float32Array.from(
      { length: rows * nHeads },
      (_, rh) => len0[Math.floor((rh % nHeads) / groupSize)]! + Math.floor(rh / nHeads),
    );
    const kv = new KvPacker({ nLayers: 1, nHeads, nKvHeads, headDim }).pack(full);
    const got = attention(rt, "test", { rows, nHeads, nKvHeads, headDim, cap: kv.cap }, q, kv.keys, kv.values, len);
    const probs = readBack(got.probs);
    const out = readBack(got.out);
    for (let r = 0; r < rows; r++) {
      const prefix = full.map((v, g) => {
        const n = len0[g]! + r;
        return {
          length: n,
          positions: v.positions.subarray(0, n),
          keys: v.keys.subarray(0, n * headDim),
          values: v.values.subarray(0, n * headDim),
        };
      });
      const want = refAttention(q.subarray(r * nHeads * headDim, (r + 1) * nHeads * headDim), prefix, nHeads, headDim);
      for (let h = 0; h < nHeads; h++) {
        const at = (r * nHeads + h) * kv.cap;
        const n = len[r * nHeads + h]!;
        expectClose(probs.subarray(at, at + n), want.probs[h]!, 1e-6, `probs of row ${r} head ${h}`);
        expect(probs.subarray(at + n, at + kv.cap).every((p) => p === 0)).toBe(true);
      }
      expectClose(out.subarray(r * nHeads * headDim, (r + 1) * nHeads * headDim), want.out, 1e-6, `output of row ${r}`);
    }
  });

  it("hostArray wraps without copying", () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(hostArray(data, [3, 2]).value).toBe(data);
  });
});
