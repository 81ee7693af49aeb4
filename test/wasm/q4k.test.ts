/**
 * Q4_K products over a block-quantized input (kernels/wasm/assembly/matmul-q4k.ts) against the
 * reference's matmul over reference/quants.ts's dequantized weights. The one error is the input's
 * quantization (quantizeQ16: |x − q·d| ≤ 0.51·d per element, tested in kernels.test.ts), so the
 * bound is Σ_j |w_j|·0.51·d_block(j) plus float32 rounding (1e-6·Σ|w·x|); matmm equals matvec
 * bit for bit for every row range.
 */
import { describe, expect, it } from "vitest";
import { dequantize } from "../../reference/quants.ts";
import { matmul } from "../../reference/math.ts";
import { WasmHeap } from "../../kernels/wasm/runtime.ts";
import { quantize } from "../../src/model/quantize.ts";
import { expectClose, randomArray, rng } from "../gpu/support.ts";
import { matmulMagnitude } from "../gpu/reference-ops.ts";

const heap = new WasmHeap();
const k = heap.kernels;
const put = (a: Uint8Array | Float32Array) => {
  const bytes = a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const at = heap.alloc(bytes.byteLength);
  heap.u8.set(bytes, at);
  return at;
};
const get = (at: number, n: number) => heap.f32.slice(at >> 2, (at >> 2) + n);
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.each([
  [256, 7],
  [512, 33],
  [2048, 20],
])("Q4_K, n=%i d=%i", (n, d) => {
  const next = rng(3 * n + d);
  const rows = 5;
  const w = randomArray(next, d * n);
  const x = randomArray(next, rows * n, 3);
  const packed = quantize("Q4_K", w);
  const values = dequantize("Q4_K", packed, d * n);

  it("matvec within the input's quantization error of reference matmul; matmm equals matvec bit for bit", () => {
    const wp = put(packed);
    const xq = heap.alloc(rows * n * 2);
    const xd = heap.alloc((rows * n) / 8);
    k.quantizeQ16(put(x), n, rows, xq, xd);
    const scales = get(xd, (rows * n) / 32);
    const magnitude = matmulMagnitude(x, values, rows, n, d);
    const out = heap.alloc(rows * d * 4);
    const perRow = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      k.matvecQ4K(out, xq + r * n * 2, xd + (r * n) / 8, wp, n, 0, d);
      const got = get(out, d);
      perRow.set(got, r * d);
      const want = new Float32Array(d);
      matmul(want, x.subarray(r * n, (r + 1) * n), values, n, d);
      const bound = (i: number) => {
        let e = 0;
        for (let j = 0; j < n; j++) e += Math.abs(values[i * n + j]!) * 0.51 * scales[(r * n + j) >> 5]!;
        return e * 1.02 + 1e-6 * magnitude[r * d + i]!;
      };
      expectClose(got, want, bound, `Q4_K row ${r}`);
    }
    const split = Math.floor(d / 3);
    k.matmmQ4K(out, xq, xd, wp, n, d, rows, 0, split);
    k.matmmQ4K(out, xq, xd, wp, n, d, rows, split, d);
    expect(bytesOf(get(out, rows * d)).equals(bytesOf(perRow))).toBe(true);
  });
});
