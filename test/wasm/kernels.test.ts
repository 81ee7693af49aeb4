/**
 * Each wasm kernel against the reference function its comment names (reference/math.ts, the
 * attention loop of reference/transformer.ts, gguf.ts's dequantization), on seeded random data.
 * Tolerances, and why:
 * - rmsnorm, residual add, F16/Q8_0 dequantization: exact (the same float64/float32 arithmetic);
 * - swiglu, softmax: the same float32 bytes on large random inputs (their exp is our two-lane
 *   polynomial, within the last bit of a double of V8's Math.exp, which rounds away);
 * - rope: within 1 float32 ulp-scale (AssemblyScript's pow/cos/sin against V8's may differ in the
 *   last bit of a double, which almost always rounds away);
 * - products: float32 sums against reference float64 sums, bounded by 1e-6 · Σ|w·x| (n ≤ 800);
 *   and the blocked product equals the matrix–vector product bit for bit, whatever the row range;
 * - Q8_0 products: also the input's int16 block quantization, bounded by Σ_blocks Σ|w|·0.51·d.
 */
import { describe, expect, it } from "vitest";
import { matmul, rmsnorm, rope, silu, softmax } from "../../reference/math.ts";
import { WasmHeap } from "../../kernels/wasm/runtime.ts";
import { floatToHalf, halfToFloat } from "../../src/model/gguf.ts";
import { expectClose, randomArray, rng } from "../gpu/support.ts";
import { matmulMagnitude, refAttention } from "../gpu/reference-ops.ts";

const heap = new WasmHeap();
const k = heap.kernels;

/** Copies `a` into fresh wasm memory; returns its byte offset. */
function put(a: Float32Array | Uint8Array): number {
  const at = heap.alloc(a.byteLength);
  heap.u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
  return at;
}
const get = (at: number, n: number) => heap.f32.slice(at >> 2, (at >> 2) + n);
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** F16 and Q8_0 encodings of an `[d][n]` matrix, and the float32 values they decode to (gguf.ts semantics). */
function encodeF16(w: Float32Array): { bytes: Uint8Array; values: Float32Array } {
  const h = new Uint16Array(w.length);
  for (let i = 0; i < w.length; i++) h[i] = floatToHalf(w[i]!);
  return { bytes: new Uint8Array(h.buffer), values: Float32Array.from(h, halfToFloat) };
}
function encodeQ8(w: Float32Array): { bytes: Uint8Array; values: Float32Array } {
  const blocks = w.length / 32;
  const bytes = new Uint8Array(blocks * 34);
  const dv = new DataView(bytes.buffer);
  const values = new Float32Array(w.length);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(w[b * 32 + j]!));
    const half = floatToHalf(amax / 127);
    const scale = halfToFloat(half);
    dv.setUint16(b * 34, half, true);
    for (let j = 0; j < 32; j++) {
      const q = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(w[b * 32 + j]! / scale)));
      dv.setInt8(b * 34 + 2 + j, q);
      values[b * 32 + j] = scale * q;
    }
  }
  return { bytes, values };
}

describe("dequantization", () => {
  it("F16: every one of the 65536 halves converts exactly as gguf.ts halfToFloat (subnormals, ±inf, NaN)", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = heap.alloc(65536 * 4);
    k.dequantRow(1, put(new Uint8Array(all.buffer)), 0, 65536, out);
    const got = get(out, 65536);
    for (let i = 0; i < 65536; i++) {
      const want = halfToFloat(i);
      if (Number.isNaN(want)) expect(Number.isNaN(got[i]!), `half ${i}`).toBe(true);
      else if (!Object.is(got[i], Math.fround(want))) throw new Error(`half 0x${i.toString(16)}: got ${got[i]}, expected ${want}`);
    }
  });

  it("Q8_0 and F32 rows: exactly the dequantized values", () => {
    const w = randomArray(rng(3), 4 * 96, 2);
    const q = encodeQ8(w);
    const out = heap.alloc(96 * 4);
    k.dequantRow(8, put(q.bytes), 2, 96, out);
    expect(bytesOf(get(out, 96)).equals(bytesOf(q.values.subarray(192, 288)))).toBe(true);
    k.dequantRow(0, put(w), 3, 96, out);
    expect(bytesOf(get(out, 96)).equals(bytesOf(w.subarray(288, 384)))).toBe(true);
  });
});

describe.each([
  [288, 768],
  [768, 288],
  [172, 64], // n not a multiple of 16: the 4-element and scalar tails
  [30, 7], // n not a multiple of 4
])("products, n=%i d=%i", (n, d) => {
  const next = rng(n * 1000 + d);
  const w = randomArray(next, d * n);
  const rows = 5;
  const x = randomArray(next, rows * n);
  const types = [
    { name: "F32", id: 0, mv: k.matvecF32, mm: k.matmmF32, simple: k.matmmSimpleF32, enc: { bytes: new Uint8Array(w.buffer), values: w } },
    { name: "F16", id: 1, mv: k.matvecF16, mm: k.matmmF16, simple: k.matmmSimpleF16, enc: encodeF16(w) },
  ];
  it.each(types.map((t) => [t.name, t] as const))(
    "%s: matvec within 1e-6·Σ|w·x| of reference matmul; matmm equals matvec bit for bit",
    (_, t) => {
      const wp = put(t.enc.bytes);
      const xp = put(x);
      const out = heap.alloc(rows * d * 4);
      const magnitude = matmulMagnitude(x, t.enc.values, rows, n, d);
      const perRow = new Float32Array(rows * d);
      for (let r = 0; r < rows; r++) {
        t.mv.call(k, out, xp + r * n * 4, wp, n, 0, d);
        const got = get(out, d);
        perRow.set(got, r * d);
        const want = new Float32Array(d);
        matmul(want, x.subarray(r * n, (r + 1) * n), t.enc.values, n, d);
        expectClose(got, want, (i) => 1e-6 * magnitude[r * d + i]! + 1e-30, `${t.name} row ${r}`);
      }
      // The blocked product over all rows, split into two output ranges (as threads would split it).
      const split = Math.floor(d / 3);
      t.mm.call(k, out, xp, wp, n, d, rows, 0, split);
      t.mm.call(k, out, xp, wp, n, d, rows, split, d);
      expect(bytesOf(get(out, rows * d)).equals(bytesOf(perRow))).toBe(true);
      // The register-tiled product equals the simple one (one row's dot product per element), for every row count.
      const simple = heap.alloc(rows * d * 4);
      for (let r = 1; r <= rows; r++) {
        t.mm.call(k, out, xp, wp, n, d, r, 1, d);
        t.simple.call(k, simple, xp, wp, n, d, r, 1, d);
        for (let i = 0; i < r; i++) {
          expect(
            bytesOf(get(out + (i * d + 1) * 4, d - 1)).equals(bytesOf(get(simple + (i * d + 1) * 4, d - 1))),
            `${r} rows, row ${i}`,
          ).toBe(true);
        }
      }
      // F16 sums exactly like F32 over the dequantized weights.
      const dense = put(t.enc.values);
      k.matmmF32(out, xp, dense, n, d, rows, 0, d);
      expect(bytesOf(get(out, rows * d)).equals(bytesOf(perRow))).toBe(true);
    },
  );
});

describe.each([
  [288, 768],
  [768, 288],
  [64, 1000],
])("Q8_0 products over a block-quantized input, n=%i d=%i", (n, d) => {
  const next = rng(7 * n + d);
  const rows = 5;
  const w = randomArray(next, d * n);
  const x = randomArray(next, rows * n, 3);
  const q = encodeQ8(w);

  it("quantizeQ16: |x - q·d| ≤ 0.51·d (d/2, plus x·(1/d) rounded in float32) with d = max|x| / 32767 per block of 32", () => {
    const xq = heap.alloc(rows * n * 2);
    const xd = heap.alloc((rows * n) / 8);
    k.quantizeQ16(put(x), n, rows, xq, xd);
    const ints = new Int16Array(heap.u8.buffer, xq, rows * n);
    const scales = get(xd, (rows * n) / 32);
    for (let b = 0; b < (rows * n) / 32; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      expect(scales[b]).toBe(Math.fround(Math.fround(amax) / 32767));
      for (let j = 0; j < 32; j++) expect(Math.abs(x[b * 32 + j]! - ints[b * 32 + j]! * scales[b]!)).toBeLessThanOrEqual(scales[b]! * 0.51);
    }
  });

  it(
    "matvec within Σ_blocks Σ|w|·0.51·d (the input's quantization) + 1e-6·Σ|w·x| of reference matmul; " + "matmm equals matvec bit for bit",
    () => {
      const wp = put(q.bytes);
      const xq = heap.alloc(rows * n * 2);
      const xd = heap.alloc((rows * n) / 8);
      k.quantizeQ16(put(x), n, rows, xq, xd);
      const scales = get(xd, (rows * n) / 32);
      const magnitude = matmulMagnitude(x, q.values, rows, n, d);
      const out = heap.alloc(rows * d * 4);
      const perRow = new Float32Array(rows * d);
      for (let r = 0; r < rows; r++) {
        k.matvecQ8(out, xq + r * n * 2, xd + (r * n) / 8, wp, n, 0, d);
        const got = get(out, d);
        perRow.set(got, r * d);
        const want = new Float32Array(d);
        matmul(want, x.subarray(r * n, (r + 1) * n), q.values, n, d);
        const bound = (i: number) => {
          let e = 0;
          for (let b = 0; b < n / 32; b++) {
            let sw = 0;
            for (let j = 0; j < 32; j++) sw += Math.abs(q.values[i * n + b * 32 + j]!);
            e += (sw * scales[(r * n) / 32 + b]!) / 2;
          }
          return e * 1.02 + 1e-6 * magnitude[r * d + i]!;
        };
        expectClose(got, want, bound, `Q8_0 row ${r}`);
      }
      const split = Math.floor(d / 3);
      k.matmmQ8(out, xq, xd, wp, n, d, rows, 0, split);
      k.matmmQ8(out, xq, xd, wp, n, d, rows, split, d);
      expect(bytesOf(get(out, rows * d)).equals(bytesOf(perRow))).toBe(true);
      const simple = heap.alloc(rows * d * 4);
      for (let r = 1; r <= rows; r++) {
        k.matmmQ8(out, xq, xd, wp, n, d, r, 1, d);
        k.matmmSimpleQ8(simple, xq, xd, wp, n, d, r, 1, d);
        for (let i = 0; i < r; i++) {
          expect(
            bytesOf(get(out + (i * d + 1) * 4, d - 1)).equals(bytesOf(get(simple + (i * d + 1) * 4, d - 1))),
            `${r} rows, row ${i}`,
          ).toBe(true);
        }
      }
    },
  );
});

describe("element-wise kernels", () => {
  const next = rng(11);
  it("rmsnorm: bit for bit, each row", () => {
    const n = 288;
    const x = randomArray(next, 3 * n, 3);
    const w = randomArray(next, n);
    const out = heap.alloc(3 * n * 4);
    k.rmsnorm(out, put(x), put(w), n, 3, Math.fround(1e-5));
    const want = new Float32Array(3 * n);
    for (let r = 0; r < 3; r++) rmsnorm(want.subarray(r * n, (r + 1) * n), x.subarray(r * n, (r + 1) * n), w, Math.fround(1e-5));
    expect(bytesOf(get(out, 3 * n)).equals(bytesOf(want))).toBe(true);
  });

  it.each([0, 1, 17, 511, 8191])("rope at position %i: within 2e-7·max(1,|x|)", (pos) => {
    const nHeads = 6;
    const headDim = 48;
    const x = randomArray(next, nHeads * headDim, 2);
    const at = put(x);
    k.rope(at, nHeads, headDim, pos, 10000);
    const want = Float32Array.from(x);
    rope(want, nHeads, headDim, pos, 10000);
    expectClose(get(at, x.length), want, (i) => 2e-7 * Math.max(1, Math.abs(want[i]!)), `rope ${pos}`);
    // ropeQK: query and key heads in one call, bit for bit two rope calls.
    const kx = randomArray(next, 2 * headDim, 2);
    const qa = put(x),
      ka = put(kx),
      qb = put(x),
      kb = put(kx);
    k.ropeQK(qa, nHeads, ka, 2, headDim, pos, 10000, 0, 0);
    k.rope(qb, nHeads, headDim, pos, 10000);
    k.rope(kb, 2, headDim, pos, 10000);
    expect(bytesOf(get(qa, x.length)).equals(bytesOf(get(qb, x.length)))).toBe(true);
    expect(bytesOf(get(ka, kx.length)).equals(bytesOf(get(kb, kx.length)))).toBe(true);
  });

  it("softmax: within 1e-7 relative", () => {
    const s = randomArray(next, 300, 8);
    const at = put(s);
    k.softmax(at, 300);
    const want = Float32Array.from(s);
    softmax(want);
    expectClose(get(at, 300), want, (i) => 1e-7 * want[i]! + 1e-12, "softmax");
  });

  it(
    "softmax: the two-lane exp gives the reference's float32 bits on 200,000 entries spread over [-100, 0] (odd " +
      "length, ±inf and tiny ranges too)",
    () => {
      // x − max down to −100 crosses the scalar fallback below −87 and float32's subnormals.
      const n = 200_001;
      const s = Float32Array.from({ length: n }, () => -100 * next());
      s[7] = 0;
      const at = put(s);
      k.softmax(at, n);
      const want = Float32Array.from(s);
      softmax(want);
      expect(bytesOf(get(at, n)).equals(bytesOf(want))).toBe(true);
      for (const row of [Float32Array.of(-Infinity, 0, 1), Float32Array.of(3), Float32Array.of(1e-30, -1e-30, 0, 5e-45)]) {
        const p = put(row);
        k.softmax(p, row.length);
        const w = Float32Array.from(row);
        softmax(w);
        expect(bytesOf(get(p, row.length)).equals(bytesOf(w))).toBe(true);
      }
    },
  );

  it("swiglu: the two-lane exp gives the reference's float32 bits on 200,001 entries over [-100, 100], ±inf and NaN included", () => {
    const n = 200_001;
    const h = Float32Array.from({ length: n }, () => 200 * next() - 100);
    const u = Float32Array.from({ length: n }, () => 4 * next() - 2);
    h[10] = Infinity;
    h[11] = -Infinity;
    h[13] = NaN;
    const hp = put(h);
    k.swiglu(hp, put(u), n);
    const want = h.map((v, i) => silu(v) * u[i]!);
    expect(bytesOf(get(hp, n)).equals(bytesOf(want))).toBe(true);
  });

  it("swiglu and the residual add: bit for bit", () => {
    const n = 100;
    const h = randomArray(next, n, 6);
    const u = randomArray(next, n, 2);
    const hp = put(h);
    k.swiglu(hp, put(u), n);
    const want = h.map((v, i) => silu(v) * u[i]!);
    expect(bytesOf(get(hp, n)).equals(bytesOf(want))).toBe(true);
    const a = randomArray(next, 37);
    const b = randomArray(next, 37);
    const ap = put(a);
    k.addInPlace(ap, put(b), 37);
    expect(bytesOf(get(ap, 37)).equals(bytesOf(a.map((v, i) => v + b[i]!)))).toBe(true);
  });

  it("attend: probabilities within 1e-6, outputs within 1e-6 of the reference attention loop", () => {
    const headDim = 48;
    const group = 3;
    const len = 77;
    const q = randomArray(next, group * headDim, 1);
    const keys = randomArray(next, len * headDim, 1);
    const values = randomArray(next, len * headDim, 1);
    const probs = heap.alloc(group * len * 4);
    const out = heap.alloc(group * headDim * 4);
    k.attend(put(q), put(keys), put(values), len, headDim, group, probs, out);
    const view = { length: len, positions: new Int32Array(len), keys, values };
    const want = refAttention(q, [view], group, headDim);
    for (let h = 0; h < group; h++) expectClose(get(probs + h * len * 4, len), want.probs[h]!, 1e-6, `probs of head ${h}`);
    expectClose(get(out, group * headDim), want.out, 1e-6, "attention output");
  });

  it.each([
    [64, 3, 7603],
    [64, 1, 5],
    [128, 4, 301],
    [48, 7, 130],
    [8, 2, 2049],
    [16, 8, 0],
  ])("attend equals attendSimple bit for bit (head dim %i, group %i, %i entries): one summation order", (headDim, group, len) => {
    const q = randomArray(next, group * headDim, 1);
    const qp = put(q);
    const kp = put(randomArray(next, len * headDim, 1));
    const vp = put(randomArray(next, len * headDim, 1));
    const run = (kernel: "attend" | "attendSimple") => {
      const probs = heap.alloc(Math.max(1, group * len) * 4);
      const out = heap.alloc(group * headDim * 4);
      heap.f32.fill(Number.NaN, out >> 2, (out >> 2) + group * headDim); // every output written, none left over
      k[kernel](qp, kp, vp, len, headDim, group, probs, out);
      return { probs: get(probs, group * len), out: get(out, group * headDim) };
    };
    const fast = run("attend");
    const simple = run("attendSimple");
    expect(bytesOf(fast.probs).equals(bytesOf(simple.probs))).toBe(true);
    expect(bytesOf(fast.out).equals(bytesOf(simple.out))).toBe(true);
    expect(fast.out.every((v) => Number.isFinite(v))).toBe(true);
    if (len > 0) expect(fast.out.some((v) => v !== 0)).toBe(true);
  });
});

describe("memory", () => {
  it("reuses released spans and keeps views valid across growth", () => {
    const h = new WasmHeap();
    const a = h.alloc(1000);
    const b = h.alloc(1000);
    h.release(a, 1000);
    expect(h.alloc(500)).toBe(a); // first fit reuses the freed span
    const view = h.f32.subarray(b >> 2, (b >> 2) + 4);
    view.set([1, 2, 3, 4]);
    const before = h.memoryBytes;
    h.alloc(before * 2); // grows the memory
    expect(h.memoryBytes).toBeGreaterThan(before);
    expect(Array.from(view)).toEqual([1, 2, 3, 4]); // a shared memory's old views are not detached
    expect(h.owns(view)).toBe(true);
    expect(h.owns(new Float32Array(4))).toBe(false);
  });
});
