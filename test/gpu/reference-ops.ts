/**
 * The reference computations the kernels are held to, built from reference/math.ts the way
 * reference/transformer.ts uses it, row by row.
 */
import type { KvView } from "../../src/interfaces.ts";
import { matmul, type RopeOptions, rmsnorm, rope, silu, softmax } from "../../reference/math.ts";

/** `[rows][d]` = x `[rows][n]` · wᵀ, w `[d][n]`. */
export function refMatmul(x: Float32Array, w: Float32Array, rows: number, n: number, d: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) matmul(out.subarray(r * d, (r + 1) * d), x.subarray(r * n, (r + 1) * n), w, n, d);
  return out;
}

/** Σ_j |x[r][j]·w[o][j]| for each output: the magnitude a float32 dot product's rounding scales with. */
export function matmulMagnitude(x: Float32Array, w: Float32Array, rows: number, n: number, d: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < d; o++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.abs(x[r * n + j]! * w[o * n + j]!);
      out[r * d + o] = s;
    }
  }
  return out;
}

export function refRmsnorm(x: Float32Array, w: Float32Array, rows: number, n: number, eps: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) rmsnorm(out.subarray(r * n, (r + 1) * n), x.subarray(r * n, (r + 1) * n), w, eps);
  return out;
}

/** RoPE on the first `rotated` columns of every row (whole heads), the rest untouched. */
export function refRope(
  x: Float32Array,
  rows: number,
  width: number,
  rotated: number,
  headDim: number,
  positions: readonly number[],
  theta: number,
  options: RopeOptions = {},
): Float32Array {
  const out = x.slice();
  for (let r = 0; r < rows; r++)
    rope(out.subarray(r * width, r * width + rotated), rotated / headDim, headDim, positions[r]!, theta, options);
  return out;
}

export function refSwiglu(gu: Float32Array, rows: number, h: number): Float32Array {
  const out = new Float32Array(rows * h);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) out[r * h + i] = silu(gu[r * 2 * h + i]!) * gu[r * 2 * h + h + i]!;
  }
  return out;
}

/** Softmax of the first `len[r]` entries of each row of `s [rows][cols]`; zeros after. */
export function refSoftmax(s: Float32Array, rows: number, cols: number, len: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = s.slice(r * cols, r * cols + len[r]!);
    softmax(row);
    out.set(row, r * cols);
  }
  return out;
}

/** reference/transformer.ts's attention loop for one token: per query head, probs over its KV head's view and the output. */
export function refAttention(
  q: Float32Array,
  views: readonly KvView[],
  nHeads: number,
  headDim: number,
): { probs: Float32Array[]; out: Float32Array } {
  const groupSize = nHeads / views.length;
  const probs: Float32Array[] = [];
  const out = new Float32Array(nHeads * headDim);
  for (let h = 0; h < nHeads; h++) {
    const kv = views[Math.floor(h / groupSize)]!;
    const att = new Float32Array(kv.length);
    for (let t = 0; t < kv.length; t++) {
      let score = 0;
      for (let i = 0; i < headDim; i++) score += q[h * headDim + i]! * kv.keys[t * headDim + i]!;
      att[t] = score / Math.sqrt(headDim);
    }
    softmax(att);
    for (let i = 0; i < headDim; i++) {
      let sum = 0;
      for (let t = 0; t < kv.length; t++) sum += att[t]! * kv.values[t * headDim + i]!;
      out[h * headDim + i] = sum;
    }
    probs.push(att);
  }
  return { probs, out };
}
