/**
 * Weight types, float conversions and the dequantized row (what the readers in src/model/ produce).
 * Part of the kernels described in index.ts.
 */
import { dequantPackedRow, packedRowBytes } from "./quants";

export const F32: i32 = 0;
export const F16: i32 = 1;
export const Q8_0: i32 = 8;
export const Q8_BLOCK_BYTES: i32 = 34;

// ---------------------------------------------------------------------------------------------
// Conversions

/** (l0 + l1) + (l2 + l3): the fixed lane order every dot product ends with. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * IEEE half → float, exact (matches gguf.ts halfToFloat). The magnitude bits shifted into a
 * float's place read as 2^-112 times the value (normals and subnormals alike), so one multiply by
 * 2^112 rescales them; an all-ones exponent (inf/NaN) gets the float's all-ones exponent.
 */
// @ts-ignore: decorator
@inline export function halfToF32(h: u32): f32 {
  let bits = reinterpret<u32>(reinterpret<f32>((h & 0x7fff) << 13) * reinterpret<f32>(0x77800000)); // × 2^112
  if ((h & 0x7c00) == 0x7c00) bits |= 0x7f800000;
  return reinterpret<f32>(bits | ((h & 0x8000) << 16));
}

/**
 * A float32 rounded to the nearest half, ties to even, as a float32 (reference/activations.ts
 * roundToHalf): halves are spaced 2^(e−10) in [2^e, 2^(e+1)) and 2^−24 below 2^−14.
 */
export function roundToHalf(x: f32): f32 {
  const e = <i32>((reinterpret<u32>(x) >> 23) & 0xff) - 127;
  if (e == 128) return x; // inf, NaN
  const spacing = reinterpret<f32>(<u32>(max<i32>(e, -14) - 10 + 127) << 23);
  const h = nearest<f32>(abs<f32>(x) / spacing) * spacing;
  return copysign<f32>(h >= 65520 ? Infinity : h, x);
}

/** A float32 rounded to bfloat16, ties to even, as a float32 (reference/activations.ts roundToBf16). */
export function roundToBf16(x: f32): f32 {
  const u = reinterpret<u32>(x);
  if ((u & 0x7fffffff) > 0x7f800000) return x;
  return reinterpret<f32>(((u + 0x7fff + ((u >> 16) & 1)) >> 16) << 16);
}

/** Four halves at `ptr` → f32x4, the same conversion as halfToF32 lane by lane. */
// @ts-ignore: decorator
@inline export function halves4(ptr: usize): v128 {
  const h = v128.load16x4_u(ptr);
  const mag = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const inf = v128.and(i32x4.eq(v128.and(h, i32x4.splat(0x7c00)), i32x4.splat(0x7c00)), i32x4.splat(0x7f800000));
  return v128.or(v128.or(mag, inf), i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** Bytes of one row of `n` weights of type `type` (F32, F16 or Q8_0; quants.ts packedRowBytes for the others). */
// @ts-ignore: decorator
@inline export function rowBytes(type: i32, n: i32): usize {
  return type == F32 ? <usize>n << 2 : type == F16 ? <usize>n << 1 : <usize>(n >> 5) * Q8_BLOCK_BYTES;
}

/**
 * Row `row` of an `[rows][n]` weight matrix as float32 into `out` (the token embedding lookup).
 * Matches: reference/quants.ts dequantize (the dequantized `tokenEmbedding` row), exactly.
 */
export function dequantRow(type: i32, w: usize, row: i32, n: i32, out: usize): void {
  if (type != F32 && type != F16 && type != Q8_0) {
    dequantPackedRow(type, w + <usize>row * packedRowBytes(type, n), n, out);
    return;
  }
  const p = w + <usize>row * rowBytes(type, n);
  if (type == F32) {
    memory.copy(out, p, <usize>n << 2);
  } else if (type == F16) {
    for (let j = 0; j < n; j++) store<f32>(out + (<usize>j << 2), halfToF32(load<u16>(p + (<usize>j << 1))));
  } else {
    for (let b = 0; b < n >> 5; b++) {
      const blk = p + <usize>b * Q8_BLOCK_BYTES;
      const scale = halfToF32(load<u16>(blk));
      for (let j = 0; j < 32; j++) store<f32>(out + (<usize>((b << 5) + j) << 2), scale * <f32>load<i8>(blk + 2 + j));
    }
  }
}
