/** Q4_K matrix products over a block-quantized input. Part of the kernels described in index.ts. */

import { halfToF32, hsum } from "./convert";
import { madd } from "./matmul";
import { kScaleMin } from "./quants";

// Q4_K (reference/quants.ts): super-blocks of 256 weights, 144 bytes — f16 d, f16 dmin, 12 bytes of
// eight 6-bit (scale, min) pairs, 128 bytes of nibbles; weight j of group g is d·sc_g·q_j − dmin·m_g.
// Against the input quantized per block of 32 by quantizeQ16 (matmul-q8.ts: x ≈ xq·sx, the same 32
// elements as one group), a group's sum is
//   Σ_j w_j x_j ≈ sx · ( (d·sc_g) · Σ_j q_j·xq_j − (dmin·m_g) · Σ_j xq_j ),
// both Σ exact in int32 (q ≤ 15, |xq| ≤ 32767, 32 terms). The only error is the input's, as for Q8_0.

/** Bytes of one Q4_K super-block. */
const Q4K_BYTES: usize = 144;

/**
 * W[i]·x for one Q4_K row over a quantized input, THE Q4_K ORDER: one f32x4 accumulator over the
 * groups in order, acc + Σq·xq (int32 lanes, as float32) · (d·sc·sx), then acc + Σxq · (−dmin·m·sx);
 * lanes (l0+l1)+(l2+l3). Every Q4_K kernel computes this per element.
 */
// @ts-ignore: decorator
@inline function dotRowQ4K(row: usize, xq: usize, xd: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const low4 = i8x16.splat(0xf);
  const supers = n >> 8;
  for (let sb = 0; sb < supers; sb++) {
    const blk = row + <usize>sb * Q4K_BYTES;
    const d = halfToF32(<u32>load<u16>(blk));
    const dmin = halfToF32(<u32>load<u16>(blk + 2));
    for (let pair = 0; pair < 4; pair++) {
      const qs = blk + 16 + <usize>(32 * pair);
      const raw0 = v128.load(qs);
      const raw1 = v128.load(qs, 16);
      for (let nibble = 0; nibble < 2; nibble++) {
        const g = 2 * pair + nibble;
        const q0 = nibble == 0 ? v128.and(raw0, low4) : i8x16.shr_u(raw0, 4);
        const q1 = nibble == 0 ? v128.and(raw1, low4) : i8x16.shr_u(raw1, 4);
        const b = (sb << 3) + g; // the input block of these 32 weights
        const xb = xq + (<usize>b << 6);
        const x0 = v128.load(xb);
        const x1 = v128.load(xb, 16);
        const x2 = v128.load(xb, 32);
        const x3 = v128.load(xb, 48);
        let dot = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(q0), x0);
        dot = i32x4.add(dot, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(q0), x1));
        dot = i32x4.add(dot, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(q1), x2));
        dot = i32x4.add(dot, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(q1), x3));
        let sum = i32x4.add(i32x4.extadd_pairwise_i16x8_s(x0), i32x4.extadd_pairwise_i16x8_s(x1));
        sum = i32x4.add(sum, i32x4.add(i32x4.extadd_pairwise_i16x8_s(x2), i32x4.extadd_pairwise_i16x8_s(x3)));
        const sx = load<f32>(xd + (<usize>b << 2));
        acc = madd(acc, f32x4.convert_i32x4_s(dot), f32x4.splat(d * <f32>kScaleMin(blk + 4, g, 0) * sx));
        acc = madd(acc, f32x4.convert_i32x4_s(sum), f32x4.splat(-(dmin * <f32>kScaleMin(blk + 4, g, 1)) * sx));
      }
    }
  }
  return hsum(acc);
}

/** Matrix–vector product for output rows [r0, r1) of a Q4_K matrix, x quantized by quantizeQ16. */
export function matvecQ4K(out: usize, xq: usize, xd: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const rb = <usize>(n >> 8) * Q4K_BYTES;
  for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), dotRowQ4K(w + <usize>i * rb, xq, xd, n));
}

/** out[t·d + i] for the `rows` quantized input rows and output rows [r0, r1): matvecQ4K per input row. */
export function matmmQ4K(out: usize, xq: usize, xd: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = <usize>(n >> 8) * Q4K_BYTES;
  const blocks = n >> 5;
  for (let t = 0; t < rows; t++) {
    const xqt = xq + (<usize>(t * n) << 1);
    const xdt = xd + (<usize>(t * blocks) << 2);
    const ot = out + (<usize>(t * d) << 2);
    for (let i = r0; i < r1; i++) store<f32>(ot + (<usize>i << 2), dotRowQ4K(w + <usize>i * rb, xqt, xdt, n));
  }
}
