/**
 * The packed tensor types (reference/quants.ts): the writer's quantizers (src/model/quantize.ts)
 * round-trip within each type's resolution, every scale check names its block, and the wasm
 * kernels (kernels/wasm/assembly/quants.ts) dequantize to the reference's float32 values bit for
 * bit and multiply like the F32 kernel over them. The values themselves are held to llama.cpp's
 * reading of the same files in test/peer/.
 */
import { describe, expect, it } from "vitest";
import { WasmHeap } from "../../kernels/wasm/runtime.ts";
import { BLOCK_LAYOUT, dequantize, firstNonFiniteScale, SCALE_OFFSETS, TENSOR_TYPES, type TensorType } from "../../reference/quants.ts";
import { quantize } from "../../src/model/quantize.ts";
import { halfToFloat } from "../../src/model/gguf.ts";
import { mulberry32 } from "../../src/random.ts";

/** Worst error per type, as a share of the largest |x| of a block (from each format's step size). */
const RESOLUTION: Record<TensorType, number> = {
  F32: 0,
  F16: 1e-3,
  BF16: 8e-3,
  Q8_0: 1 / 127,
  Q6_K: 1 / 31,
  Q5_0: 1 / 16,
  Q5_1: 1 / 31,
  Q5_K: 1 / 31 + 1 / 63,
  Q4_0: 1 / 8,
  Q4_1: 1 / 15,
  Q4_K: 1 / 15 + 1 / 63,
  IQ4_NL: 0.15,
  Q3_K: 1 / 4 + 1 / 32,
  Q2_K: 1 / 3 + 1 / 15,
};
const TYPES = Object.keys(RESOLUTION) as TensorType[];

function gaussian(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) * 0.05);
}

const heap = new WasmHeap();
const k = heap.kernels;
const put = (bytes: Uint8Array) => {
  const at = heap.alloc(bytes.byteLength);
  heap.u8.set(bytes, at);
  return at;
};

describe.each(TYPES)("%s", (type) => {
  const { elements } = BLOCK_LAYOUT[type];
  const n = 512; // two K-quant super-blocks per row
  const x = gaussian(4 * n, TENSOR_TYPES[type] + 1);
  const packed = quantize(type, x);
  const y = dequantize(type, packed, x.length);

  it("dequantize(quantize(x)) is within the type's resolution of x, block by block", () => {
    const block = Math.max(elements, 256);
    let worst = 0;
    for (let b = 0; b < x.length / block; b++) {
      let max = 0;
      let err = 0;
      for (let i = b * block; i < (b + 1) * block; i++) {
        max = Math.max(max, Math.abs(x[i]!));
        err = Math.max(err, Math.abs(x[i]! - y[i]!));
      }
      worst = Math.max(worst, err / max);
    }
    expect(worst).toBeLessThanOrEqual(RESOLUTION[type]);
    expect(packed.byteLength).toBe((x.length / elements) * BLOCK_LAYOUT[type].bytes);
  });

  it("the wasm kernels dequantize each row to the same float32 bits, and multiply like F32 over them", () => {
    if (type === "F32" || type === "F16" || type === "Q8_0") return; // the older kernels, tested in test/wasm
    const w = put(packed);
    const rowBytes = packed.byteLength / 4;
    const out = heap.alloc(n * 4);
    for (let r = 0; r < 4; r++) {
      k.dequantPackedRow(TENSOR_TYPES[type], w + r * rowBytes, n, out);
      const got = heap.f32.slice(out >> 2, (out >> 2) + n);
      expect(Buffer.from(got.buffer).equals(Buffer.from(y.slice(r * n, (r + 1) * n).buffer)), `row ${r}`).toBe(true);
    }
    // matmulPacked against matmmSimpleF32 over the dequantized rows (one dotRow per element, THE
    // ORDER), bit for bit: 70 weight rows (the 4 above repeated; more than one group of
    // packedGroupRows(n) rows), row ranges that start and end inside a group, 1 input row (the
    // matrix–vector path) and 5 (the tiles and their edges).
    const R = 70;
    const tiledPacked = new Uint8Array(R * rowBytes);
    const tiledDense = new Float32Array(R * n);
    for (let r = 0; r < R; r++) {
      tiledPacked.set(packed.subarray((r % 4) * rowBytes, ((r % 4) + 1) * rowBytes), r * rowBytes);
      tiledDense.set(y.subarray((r % 4) * n, ((r % 4) + 1) * n), r * n);
    }
    const wt = put(tiledPacked);
    const dense = put(new Uint8Array(tiledDense.buffer));
    expect(k.packedGroupRows(n)).toBeLessThan(R);
    for (const rows of [1, 5]) {
      const xp = put(new Uint8Array(gaussian(rows * n, 99 + rows).buffer));
      for (const [r0, r1] of [
        [0, R],
        [3, 67],
      ]) {
        const prod = heap.alloc(rows * R * 4);
        const want = heap.alloc(rows * R * 4);
        heap.f32.fill(0, prod >> 2, (prod >> 2) + rows * R);
        heap.f32.fill(0, want >> 2, (want >> 2) + rows * R);
        const scratch = heap.alloc(k.packedGroupRows(n) * n * 4);
        k.matmulPacked(TENSOR_TYPES[type], prod, xp, wt, n, R, rows, r0!, r1!, scratch);
        k.matmmSimpleF32(want, xp, dense, n, R, rows, r0!, r1!);
        const got = heap.f32.slice(prod >> 2, (prod >> 2) + rows * R);
        expect(
          Buffer.from(got.buffer).equals(Buffer.from(heap.f32.slice(want >> 2, (want >> 2) + rows * R).buffer)),
          `${rows} rows, [${r0}, ${r1})`,
        ).toBe(true);
        expect(got.some((v) => v !== 0)).toBe(true);
      }
    }
  });

  it("Q4_0, Q5_0, IQ4_NL: matmulPackedQ8 equals the Q8_0 kernels over the same weights re-encoded as Q8_0, bit for bit", () => {
    if (k.packedAsQ8(TENSOR_TYPES[type]) === 0) {
      expect(["Q4_0", "Q5_0", "IQ4_NL"]).not.toContain(type);
      return;
    }
    // The Q8_0 encoding of the same weights: each block's half scale, and y / d, an integer (y = d·q exactly).
    const { bytes } = BLOCK_LAYOUT[type];
    const R = 150; // more than one group of packedQ8GroupRows(n) rows
    const blocksPerRow = n / 32;
    const packedRows = new Uint8Array(R * blocksPerRow * bytes);
    const q8 = new Uint8Array(R * blocksPerRow * 34);
    const q8view = new DataView(q8.buffer);
    const pv = new DataView(packed.buffer, packed.byteOffset);
    for (let r = 0; r < R; r++) {
      const src = r % 4;
      packedRows.set(packed.subarray(src * blocksPerRow * bytes, (src + 1) * blocksPerRow * bytes), r * blocksPerRow * bytes);
      for (let b = 0; b < blocksPerRow; b++) {
        const half = pv.getUint16((src * blocksPerRow + b) * bytes, true);
        const at = (r * blocksPerRow + b) * 34;
        q8view.setUint16(at, half, true);
        for (let j = 0; j < 32; j++) {
          const v = y[src * n + b * 32 + j]!;
          const d = halfToFloat(half);
          const q = d === 0 ? 0 : v / d;
          expect(Number.isInteger(q) && Math.abs(q) <= 127, `block ${b} weight ${j}: ${v} / ${d}`).toBe(true);
          q8view.setInt8(at + 2 + j, q);
        }
      }
    }
    const wp = put(packedRows);
    const w8 = put(q8);
    const rows = 5;
    const xq = heap.alloc(rows * n * 2);
    const xd = heap.alloc((rows * n) / 8);
    k.quantizeQ16(put(new Uint8Array(gaussian(rows * n, 7).buffer)), n, rows, xq, xd);
    const scratch = heap.alloc(k.packedGroupRows(n) * n * 4);
    const got = heap.alloc(rows * R * 4);
    const want = heap.alloc(rows * R * 4);
    const read = (at: number, len: number) => Buffer.from(heap.f32.slice(at >> 2, (at >> 2) + len).buffer);
    for (const [r0, r1] of [
      [0, R],
      [3, 141],
    ]) {
      heap.f32.fill(0, got >> 2, (got >> 2) + rows * R);
      heap.f32.fill(0, want >> 2, (want >> 2) + rows * R);
      k.matmulPackedQ8(TENSOR_TYPES[type], got, xq, xd, wp, n, R, rows, r0!, r1!, scratch);
      k.matmmQ8(want, xq, xd, w8, n, R, rows, r0!, r1!);
      expect(read(got, rows * R).equals(read(want, rows * R)), `${rows} rows, [${r0}, ${r1})`).toBe(true);
      // One input row: the matrix-vector path, equal to the matrix-matrix product's first row.
      k.matmulPackedQ8(TENSOR_TYPES[type], got, xq, xd, wp, n, R, 1, r0!, r1!, scratch);
      expect(read(got + r0! * 4, r1! - r0!).equals(read(want + r0! * 4, r1! - r0!)), `1 row, [${r0}, ${r1})`).toBe(true);
    }
    expect(heap.f32.slice(want >> 2, (want >> 2) + R).some((v) => v !== 0)).toBe(true);
  });

  it("a NaN or infinite scale is found, with the index of its block's first weight", () => {
    const bad = packed.slice();
    const view = new DataView(bad.buffer);
    const { bytes } = BLOCK_LAYOUT[type];
    if (SCALE_OFFSETS[type].length === 0) {
      if (type === "F32") view.setFloat32(4 * 7, Number.NaN, true);
      else view.setUint16(2 * 7, type === "F16" ? 0x7c00 : 0x7f80, true);
      expect(firstNonFiniteScale(type, bad, x.length)).toEqual({ index: 7, value: type === "F32" ? Number.NaN : Infinity });
      return;
    }
    for (const offset of SCALE_OFFSETS[type]) {
      const copy = packed.slice();
      new DataView(copy.buffer).setUint16(3 * bytes + offset, 0x7c00, true);
      expect(firstNonFiniteScale(type, copy, x.length)).toEqual({ index: 3 * elements, value: Infinity });
    }
    expect(firstNonFiniteScale(type, packed, x.length)).toBeUndefined();
  });
});
