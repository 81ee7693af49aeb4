/**
 * What llama.cpp does to a matrix product's input before it multiplies it by a weight of a given
 * type, done the same way here. ggml's CPU backend never multiplies float32 activations by packed
 * weights: it first converts the input row to the weight type's partner format (ggml-cpu's
 * `vec_dot_type`) and multiplies the two encodings:
 *
 *   weight type                          input format   what happens to x
 *   F32                                  F32            nothing
 *   F16                                  F16            each value rounded to half
 *   BF16                                 BF16           each value rounded to bfloat16
 *   Q4_0, Q5_0, Q8_0, IQ4_NL             Q8_0           int8 per 32 values, one half scale
 *   Q4_1, Q5_1                           Q8_1           Q8_0's quants and scale, and a block sum
 *   Q2_K, Q3_K, Q4_K, Q5_K, Q6_K         Q8_K           int8 per 256 values, one float32 scale
 *
 * `roundInput` returns x as that format holds it (each quant times its scale, in float32), so a
 * plain float32 product with the dequantized weights computes what ggml's integer dot products
 * compute, up to the order of the float32 sums. That is what makes our next-token distributions
 * llama.cpp's on a quantized file instead of a float32 engine's (docs/models.md has the measured
 * difference). Q8_1 also stores s = d·Σq as a half, which ggml multiplies by the weight block's
 * minimum m (Q4_1, Q5_1: w = d·q + m) instead of summing m·x̃: `q8_1SumErrors` gives each block's
 * s − Σx̃, and the product adds m·(s − Σx̃) per block (reference/transformer.ts).
 *
 * Arithmetic is float32 step by step (Math.fround where C's float rounds). Imports only the type
 * names (reference/quants.ts).
 */
import type { TensorType } from "./quants.ts";

export type InputFormat = "F32" | "F16" | "BF16" | "Q8_0" | "Q8_1" | "Q8_K";

/** The input format ggml pairs with each weight type (ggml-cpu.c `type_traits_cpu[].vec_dot_type`). */
export const INPUT_FORMAT: Readonly<Record<TensorType, InputFormat>> = {
  F32: "F32",
  F16: "F16",
  BF16: "BF16",
  Q4_0: "Q8_0",
  Q5_0: "Q8_0",
  Q8_0: "Q8_0",
  IQ4_NL: "Q8_0",
  Q4_1: "Q8_1",
  Q5_1: "Q8_1",
  Q2_K: "Q8_K",
  Q3_K: "Q8_K",
  Q4_K: "Q8_K",
  Q5_K: "Q8_K",
  Q6_K: "Q8_K",
};

/** The input format of a weight of `type`; a matrix with no file encoding (llama2.c) is F32. */
export function inputFormatOf(type: TensorType | undefined): InputFormat {
  return type === undefined ? "F32" : INPUT_FORMAT[type];
}

/**
 * x as the input format holds it, written to `out` (which is returned; x itself for F32).
 * x.length must be a whole number of the format's blocks (32 for Q8_0, 256 for Q8_K), which the
 * weight's own rows guarantee.
 */
export function roundInput(format: InputFormat, x: Float32Array, out: Float32Array): Float32Array {
  const n = x.length;
  if (format === "F32") return x;
  if (format === "F16") for (let i = 0; i < n; i++) out[i] = roundToHalf(x[i]!);
  else if (format === "BF16") for (let i = 0; i < n; i++) out[i] = roundToBf16(x[i]!);
  else if (format === "Q8_0" || format === "Q8_1") for (let b = 0; b < n; b += 32) roundQ8_0Block(x, b, out);
  else for (let b = 0; b < n; b += 256) roundQ8KBlock(x, b, out);
  return out;
}

/**
 * block_q8_0 (ggml-common.h): { half d; int8 qs[32] }. x86's quantize_row_q8_0:
 * amax = max|x|, d = amax / 127 stored as a half, q = round-half-even(x · (127 / amax)).
 * Note the quants use 127 / amax, not 1 / half(d): the scale is rounded only where it is stored.
 */
function q8_0Scales(x: Float32Array, at: number): { readonly d: number; readonly half: number; readonly inverse: number } {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]!));
  const d = Math.fround(amax / 127);
  return { d, half: roundToHalf(d), inverse: amax !== 0 ? Math.fround(127 / amax) : 0 };
}

function roundQ8_0Block(x: Float32Array, at: number, out: Float32Array): void {
  const { half, inverse } = q8_0Scales(x, at);
  for (let j = 0; j < 32; j++) out[at + j] = Math.fround(half * roundHalfEven(Math.fround(x[at + j]! * inverse)));
}

/**
 * block_q8_K: { float d; int8 qs[256]; int16 bsums[16] }. quantize_row_q8_K_ref: `max` is the
 * first value of largest magnitude, with its sign; iscale = −127 / max, q = min(127,
 * nearest(iscale · x)) and d = 1 / iscale (float32), so x ≈ d·q with the largest value at ∓127.
 */
function roundQ8KBlock(x: Float32Array, at: number, out: Float32Array): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 256; j++) {
    const ax = Math.abs(x[at + j]!);
    if (ax > amax) {
      amax = ax;
      max = x[at + j]!;
    }
  }
  if (amax === 0) {
    out.fill(0, at, at + 256);
    return;
  }
  const iscale = Math.fround(-127 / max);
  const d = Math.fround(1 / iscale);
  for (let j = 0; j < 256; j++) out[at + j] = Math.fround(d * Math.min(127, roundHalfEven(Math.fround(iscale * x[at + j]!))));
}

/** Round to the nearest integer, ties to even (x86's _MM_ROUND_NEAREST; ggml's nearest_int). */
function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties go up here
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * A float32 rounded to the nearest IEEE half, ties to even (F16C's conversion, which ggml uses),
 * returned as a number. Halves are spaced 2^(e−10) in [2^e, 2^(e+1)) and 2^−24 below 2^−14.
 */
export function roundToHalf(x: number): number {
  f32[0] = x;
  const exponent = ((u32[0]! >>> 23) & 0xff) - 127;
  if (exponent === 128) return f32[0]!; // inf, NaN
  const spacing = 2 ** (Math.max(exponent, -14) - 10);
  const h = roundHalfEven(Math.abs(f32[0]!) / spacing) * spacing;
  const magnitude = h >= 65520 ? Infinity : h; // past the largest half (65504) by half a spacing
  return u32[0]! >>> 31 ? -magnitude : magnitude; // the sign bit, so that −0 stays −0
}

/** A float32 rounded to bfloat16 (its upper 16 bits), ties to even (ggml_compute_fp32_to_bf16). */
export function roundToBf16(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return f32[0]!; // NaN stays NaN
  u32[0] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16;
  return f32[0]!;
}

/**
 * Per block of 32 of a Q8_1 input: s − Σ x̃, where s = half(d · Σq) is what ggml multiplies by
 * the weight block's minimum (d = amax / 127 in float32, before its own rounding to a half) and
 * x̃ = roundInput("Q8_1", x). Written to `out[n / 32]`.
 */
export function q8_1SumErrors(x: Float32Array, out: Float32Array): Float32Array {
  for (let b = 0; b < x.length; b += 32) {
    const { d, half, inverse } = q8_0Scales(x, b);
    let sumQ = 0;
    let sumRounded = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundHalfEven(Math.fround(x[b + j]! * inverse));
      sumQ += q;
      sumRounded += Math.fround(half * q);
    }
    out[b / 32] = Math.fround(roundToHalf(Math.fround(d * sumQ)) - sumRounded);
  }
  return out;
}

/**
 * out[i] += Σ_b mins[i][b] · errors[b] over `blocks` blocks of 32 (float64 sums): a Q4_1/Q5_1
 * product's minimum terms taken over the Q8_1 input's stored sums s instead of Σx̃ (the product
 * over x̃ already holds m·Σx̃; errors = q8_1SumErrors).
 */
export function addMinTerms(out: Float32Array, mins: Float32Array, errors: Float32Array, blocks: number): void {
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let b = 0; b < blocks; b++) sum += mins[i * blocks + b]! * errors[b]!;
    out[i] = out[i]! + sum;
  }
}
