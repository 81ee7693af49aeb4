/** Q8_0 matrix products over a block-quantized input. Part of the kernels described in index.ts. */

import { Q8_0, Q8_BLOCK_BYTES, halfToF32, hsum, roundToHalf } from "./convert";
import { packedBlockBytes, packedQ8dot } from "./quants";
import { BLOCK_BYTES, madd } from "./matmul";
// Q8_0 products over a block-quantized input (see the comment in index.ts)

/**
 * Quantizes `rows` rows of n float32 (n a multiple of 32) per block of 32: q = round(x / d) as
 * int16 with d = max|x| / 32767 over the block, written to `xq` (`[rows][n]` int16) and the scales
 * d to `xd` (`[rows][n/32]` float32). |x - q·d| ≤ 0.51·d for every element (d/2, plus the
 * float32 rounding of x·(1/d), at most 32767·2^-23·d).
 */
export function quantizeQ16(x: usize, n: i32, rows: i32, xq: usize, xd: usize): void {
  quantizeBlocks(x, n, rows, xq, xd, false);
}

/**
 * llama.cpp's Q8_0 input (x86 quantize_row_q8_0; reference/activations.ts roundInput "Q8_0"):
 * per block of 32, amax = max|x|, q = round-half-even(x · (127 / amax)) in [−127, 127], written
 * to `xq` as int16 (`[rows][n]`), and the scale amax / 127 rounded to a half, as a float32, to
 * `xd` (`[rows][n/32]`). q·xd is the reference's rounded input bit for bit (test/wasm).
 */
export function quantizeInputQ8(x: usize, n: i32, rows: i32, xq: usize, xd: usize): void {
  quantizeBlocks(x, n, rows, xq, xd, true);
}

/** The two quantizers above: int16 levels (amax / 32767) or, with `llama`, llama.cpp's int8 levels and half scale. */
// @ts-ignore: decorator
@inline function quantizeBlocks(x: usize, n: i32, rows: i32, xq: usize, xd: usize, llama: bool): void {
  const blocks = rows * (n >> 5);
  for (let b = 0; b < blocks; b++) {
    const xb = x + (<usize>b << 7);
    let m = f32x4.splat(0);
    for (let k = 0; k < 8; k++) m = f32x4.max(m, f32x4.abs(v128.load(xb + (<usize>k << 4))));
    const amax = max<f32>(
      max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
      max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)),
    );
    let inverse: f32;
    if (llama) {
      store<f32>(xd + (<usize>b << 2), roundToHalf(amax / 127));
      inverse = amax == 0 ? 0 : <f32>127 / amax;
    } else {
      const d: f32 = amax / 32767;
      store<f32>(xd + (<usize>b << 2), d);
      inverse = d == 0 ? 0 : <f32>1 / d;
    }
    const inv = f32x4.splat(inverse);
    const qb = xq + (<usize>b << 6);
    for (let k = 0; k < 4; k++) {
      const lo = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xb + (<usize>k << 5)), inv)));
      const hi = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xb + (<usize>k << 5), 16), inv)));
      v128.store(qb + (<usize>k << 4), i16x8.narrow_i32x4_s(lo, hi));
    }
  }
}

/** Σ over one Q8_0 block of int8 weights × int16 inputs, exact, as four int32 lanes. */
// @ts-ignore: decorator
@inline function q8dot(blk: usize, qb: usize): v128 {
  let acc = i32x4.dot_i16x8_s(v128.load8x8_s(blk + 2), v128.load(qb));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(blk + 10), v128.load(qb, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(blk + 18), v128.load(qb, 32)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(blk + 26), v128.load(qb, 48)));
}

/**
 * W[i]·x for one Q8_0 row and a quantized input, THE Q8_0 ORDER: one f32x4 accumulator over the
 * blocks in order, acc + (exact int32 block sum as float32) · (weight scale · input scale), lanes
 * (l0+l1)+(l2+l3). The simple version; the tiles and dotRowQ8Far4 compute this per element.
 * (Until 2026-12-02: two accumulators, even and odd blocks. The integer work per block hides the
 * one float add's latency, so one accumulator costs nothing at decode and frees registers.)
 */
// @ts-ignore: decorator
@inline function dotRowQ8(row: usize, xq: usize, xd: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const blocks = n >> 5;
  for (let b = 0; b < blocks; b++) {
    const blk = row + <usize>b * Q8_BLOCK_BYTES;
    const scale = f32x4.splat(halfToF32(load<u16>(blk)) * load<f32>(xd + (<usize>b << 2)));
    acc = madd(acc, f32x4.convert_i32x4_s(q8dot(blk, xq + (<usize>b << 6))), scale);
  }
  return hsum(acc);
}

/**
 * Q8_0 register tiles: TW weight rows × TX quantized input rows (xq + t·qs, scales xd + t·ds);
 * each weight vector widened to int16 once per block and used for TX inputs, each input vector for
 * TW weight rows; each element in dotRowQ8's order. 2 × 4 measured fastest (README).
 */
// @ts-ignore: decorator
@inline function q8tile2x4(w: usize, rb: usize, xq: usize, qs: usize, xd: usize, ds: usize, blocks: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const r1 = w + <usize>1 * rb;
  const y0 = xq + <usize>0 * qs; const z0 = xd + <usize>0 * ds;
  const y1 = xq + <usize>1 * qs; const z1 = xd + <usize>1 * ds;
  const y2 = xq + <usize>2 * qs; const z2 = xd + <usize>2 * ds;
  const y3 = xq + <usize>3 * qs; const z3 = xd + <usize>3 * ds;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wo = <usize>b * Q8_BLOCK_BYTES;
    const xo = <usize>b << 6;
    const so = <usize>b << 2;
    let i00: v128;
    let i01: v128;
    let i02: v128;
    let i03: v128;
    let i10: v128;
    let i11: v128;
    let i12: v128;
    let i13: v128;
    const w0_0 = v128.load8x8_s(r0 + wo, 2);
    const w1_0 = v128.load8x8_s(r1 + wo, 2);
    const u0_0 = v128.load(y0 + xo, 0);
    i00 = i32x4.dot_i16x8_s(w0_0, u0_0);
    i10 = i32x4.dot_i16x8_s(w1_0, u0_0);
    const u1_0 = v128.load(y1 + xo, 0);
    i01 = i32x4.dot_i16x8_s(w0_0, u1_0);
    i11 = i32x4.dot_i16x8_s(w1_0, u1_0);
    const u2_0 = v128.load(y2 + xo, 0);
    i02 = i32x4.dot_i16x8_s(w0_0, u2_0);
    i12 = i32x4.dot_i16x8_s(w1_0, u2_0);
    const u3_0 = v128.load(y3 + xo, 0);
    i03 = i32x4.dot_i16x8_s(w0_0, u3_0);
    i13 = i32x4.dot_i16x8_s(w1_0, u3_0);
    const w0_1 = v128.load8x8_s(r0 + wo, 10);
    const w1_1 = v128.load8x8_s(r1 + wo, 10);
    const u0_1 = v128.load(y0 + xo, 16);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_1, u0_1));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_1, u0_1));
    const u1_1 = v128.load(y1 + xo, 16);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_1, u1_1));
    i11 = i32x4.add(i11, i32x4.dot_i16x8_s(w1_1, u1_1));
    const u2_1 = v128.load(y2 + xo, 16);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_1, u2_1));
    i12 = i32x4.add(i12, i32x4.dot_i16x8_s(w1_1, u2_1));
    const u3_1 = v128.load(y3 + xo, 16);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_1, u3_1));
    i13 = i32x4.add(i13, i32x4.dot_i16x8_s(w1_1, u3_1));
    const w0_2 = v128.load8x8_s(r0 + wo, 18);
    const w1_2 = v128.load8x8_s(r1 + wo, 18);
    const u0_2 = v128.load(y0 + xo, 32);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_2, u0_2));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_2, u0_2));
    const u1_2 = v128.load(y1 + xo, 32);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_2, u1_2));
    i11 = i32x4.add(i11, i32x4.dot_i16x8_s(w1_2, u1_2));
    const u2_2 = v128.load(y2 + xo, 32);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_2, u2_2));
    i12 = i32x4.add(i12, i32x4.dot_i16x8_s(w1_2, u2_2));
    const u3_2 = v128.load(y3 + xo, 32);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_2, u3_2));
    i13 = i32x4.add(i13, i32x4.dot_i16x8_s(w1_2, u3_2));
    const w0_3 = v128.load8x8_s(r0 + wo, 26);
    const w1_3 = v128.load8x8_s(r1 + wo, 26);
    const u0_3 = v128.load(y0 + xo, 48);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_3, u0_3));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_3, u0_3));
    const u1_3 = v128.load(y1 + xo, 48);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_3, u1_3));
    i11 = i32x4.add(i11, i32x4.dot_i16x8_s(w1_3, u1_3));
    const u2_3 = v128.load(y2 + xo, 48);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_3, u2_3));
    i12 = i32x4.add(i12, i32x4.dot_i16x8_s(w1_3, u2_3));
    const u3_3 = v128.load(y3 + xo, 48);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_3, u3_3));
    i13 = i32x4.add(i13, i32x4.dot_i16x8_s(w1_3, u3_3));
    const h0 = halfToF32(load<u16>(r0 + wo));
    const h1 = halfToF32(load<u16>(r1 + wo));
    const d0 = load<f32>(z0 + so);
    const d1 = load<f32>(z1 + so);
    const d2 = load<f32>(z2 + so);
    const d3 = load<f32>(z3 + so);
    a00 = madd(a00, f32x4.convert_i32x4_s(i00), f32x4.splat(h0 * d0));
    a01 = madd(a01, f32x4.convert_i32x4_s(i01), f32x4.splat(h0 * d1));
    a02 = madd(a02, f32x4.convert_i32x4_s(i02), f32x4.splat(h0 * d2));
    a03 = madd(a03, f32x4.convert_i32x4_s(i03), f32x4.splat(h0 * d3));
    a10 = madd(a10, f32x4.convert_i32x4_s(i10), f32x4.splat(h1 * d0));
    a11 = madd(a11, f32x4.convert_i32x4_s(i11), f32x4.splat(h1 * d1));
    a12 = madd(a12, f32x4.convert_i32x4_s(i12), f32x4.splat(h1 * d2));
    a13 = madd(a13, f32x4.convert_i32x4_s(i13), f32x4.splat(h1 * d3));
  }
  store<f32>(out + <usize>0 * os, hsum(a00), 0); store<f32>(out + <usize>0 * os, hsum(a10), 4);
  store<f32>(out + <usize>1 * os, hsum(a01), 0); store<f32>(out + <usize>1 * os, hsum(a11), 4);
  store<f32>(out + <usize>2 * os, hsum(a02), 0); store<f32>(out + <usize>2 * os, hsum(a12), 4);
  store<f32>(out + <usize>3 * os, hsum(a03), 0); store<f32>(out + <usize>3 * os, hsum(a13), 4);
}
// @ts-ignore: decorator
@inline function q8tile1x4(w: usize, rb: usize, xq: usize, qs: usize, xd: usize, ds: usize, blocks: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const y0 = xq + <usize>0 * qs; const z0 = xd + <usize>0 * ds;
  const y1 = xq + <usize>1 * qs; const z1 = xd + <usize>1 * ds;
  const y2 = xq + <usize>2 * qs; const z2 = xd + <usize>2 * ds;
  const y3 = xq + <usize>3 * qs; const z3 = xd + <usize>3 * ds;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wo = <usize>b * Q8_BLOCK_BYTES;
    const xo = <usize>b << 6;
    const so = <usize>b << 2;
    let i00: v128;
    let i01: v128;
    let i02: v128;
    let i03: v128;
    const w0_0 = v128.load8x8_s(r0 + wo, 2);
    const u0_0 = v128.load(y0 + xo, 0);
    i00 = i32x4.dot_i16x8_s(w0_0, u0_0);
    const u1_0 = v128.load(y1 + xo, 0);
    i01 = i32x4.dot_i16x8_s(w0_0, u1_0);
    const u2_0 = v128.load(y2 + xo, 0);
    i02 = i32x4.dot_i16x8_s(w0_0, u2_0);
    const u3_0 = v128.load(y3 + xo, 0);
    i03 = i32x4.dot_i16x8_s(w0_0, u3_0);
    const w0_1 = v128.load8x8_s(r0 + wo, 10);
    const u0_1 = v128.load(y0 + xo, 16);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_1, u0_1));
    const u1_1 = v128.load(y1 + xo, 16);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_1, u1_1));
    const u2_1 = v128.load(y2 + xo, 16);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_1, u2_1));
    const u3_1 = v128.load(y3 + xo, 16);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_1, u3_1));
    const w0_2 = v128.load8x8_s(r0 + wo, 18);
    const u0_2 = v128.load(y0 + xo, 32);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_2, u0_2));
    const u1_2 = v128.load(y1 + xo, 32);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_2, u1_2));
    const u2_2 = v128.load(y2 + xo, 32);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_2, u2_2));
    const u3_2 = v128.load(y3 + xo, 32);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_2, u3_2));
    const w0_3 = v128.load8x8_s(r0 + wo, 26);
    const u0_3 = v128.load(y0 + xo, 48);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_3, u0_3));
    const u1_3 = v128.load(y1 + xo, 48);
    i01 = i32x4.add(i01, i32x4.dot_i16x8_s(w0_3, u1_3));
    const u2_3 = v128.load(y2 + xo, 48);
    i02 = i32x4.add(i02, i32x4.dot_i16x8_s(w0_3, u2_3));
    const u3_3 = v128.load(y3 + xo, 48);
    i03 = i32x4.add(i03, i32x4.dot_i16x8_s(w0_3, u3_3));
    const h0 = halfToF32(load<u16>(r0 + wo));
    const d0 = load<f32>(z0 + so);
    const d1 = load<f32>(z1 + so);
    const d2 = load<f32>(z2 + so);
    const d3 = load<f32>(z3 + so);
    a00 = madd(a00, f32x4.convert_i32x4_s(i00), f32x4.splat(h0 * d0));
    a01 = madd(a01, f32x4.convert_i32x4_s(i01), f32x4.splat(h0 * d1));
    a02 = madd(a02, f32x4.convert_i32x4_s(i02), f32x4.splat(h0 * d2));
    a03 = madd(a03, f32x4.convert_i32x4_s(i03), f32x4.splat(h0 * d3));
  }
  store<f32>(out + <usize>0 * os, hsum(a00), 0);
  store<f32>(out + <usize>1 * os, hsum(a01), 0);
  store<f32>(out + <usize>2 * os, hsum(a02), 0);
  store<f32>(out + <usize>3 * os, hsum(a03), 0);
}
// @ts-ignore: decorator
@inline function q8tile2x1(w: usize, rb: usize, xq: usize, qs: usize, xd: usize, ds: usize, blocks: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const r1 = w + <usize>1 * rb;
  const y0 = xq + <usize>0 * qs; const z0 = xd + <usize>0 * ds;
  let a00 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wo = <usize>b * Q8_BLOCK_BYTES;
    const xo = <usize>b << 6;
    const so = <usize>b << 2;
    let i00: v128;
    let i10: v128;
    const w0_0 = v128.load8x8_s(r0 + wo, 2);
    const w1_0 = v128.load8x8_s(r1 + wo, 2);
    const u0_0 = v128.load(y0 + xo, 0);
    i00 = i32x4.dot_i16x8_s(w0_0, u0_0);
    i10 = i32x4.dot_i16x8_s(w1_0, u0_0);
    const w0_1 = v128.load8x8_s(r0 + wo, 10);
    const w1_1 = v128.load8x8_s(r1 + wo, 10);
    const u0_1 = v128.load(y0 + xo, 16);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_1, u0_1));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_1, u0_1));
    const w0_2 = v128.load8x8_s(r0 + wo, 18);
    const w1_2 = v128.load8x8_s(r1 + wo, 18);
    const u0_2 = v128.load(y0 + xo, 32);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_2, u0_2));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_2, u0_2));
    const w0_3 = v128.load8x8_s(r0 + wo, 26);
    const w1_3 = v128.load8x8_s(r1 + wo, 26);
    const u0_3 = v128.load(y0 + xo, 48);
    i00 = i32x4.add(i00, i32x4.dot_i16x8_s(w0_3, u0_3));
    i10 = i32x4.add(i10, i32x4.dot_i16x8_s(w1_3, u0_3));
    const h0 = halfToF32(load<u16>(r0 + wo));
    const h1 = halfToF32(load<u16>(r1 + wo));
    const d0 = load<f32>(z0 + so);
    a00 = madd(a00, f32x4.convert_i32x4_s(i00), f32x4.splat(h0 * d0));
    a10 = madd(a10, f32x4.convert_i32x4_s(i10), f32x4.splat(h1 * d0));
  }
  store<f32>(out + <usize>0 * os, hsum(a00), 0); store<f32>(out + <usize>0 * os, hsum(a10), 4);
}

/**
 * The exact int32 lanes of one block's products with the quantized input at qb: a Q8_0 block's
 * int8 weights (q8dot), or the integers of a Q4_0/Q5_0/IQ4_NL block taken from its packing in
 * registers (quants.ts packedQ8dot) — the same lanes as on its Q8_0 re-encoding. `type` a constant.
 */
// @ts-ignore: decorator
@inline function blockDot(type: i32, blk: usize, qb: usize): v128 {
  return type == Q8_0 ? q8dot(blk, qb) : packedQ8dot(type, blk, qb);
}

/**
 * dotRowQ8 for four rows `qr` bytes apart (see dotRowFar4) of Q8_0 or a type quants.ts re-encodes
 * as Q8_0 (blocks of `bb` bytes, half scale first): four chains sharing each input block.
 */
// @ts-ignore: decorator
@inline function dotRowQ8Far4(type: i32, bb: usize, r0: usize, qr: usize, xq: usize, xd: usize, blocks: i32, out: usize, q: usize): void {
  const r1 = r0 + qr, r2 = r0 + 2 * qr, r3 = r0 + 3 * qr;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wo = <usize>b * bb;
    const xo = xq + (<usize>b << 6);
    const s = load<f32>(xd + (<usize>b << 2));
    a0 = madd(a0, f32x4.convert_i32x4_s(blockDot(type, r0 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r0 + wo)) * s));
    a1 = madd(a1, f32x4.convert_i32x4_s(blockDot(type, r1 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r1 + wo)) * s));
    a2 = madd(a2, f32x4.convert_i32x4_s(blockDot(type, r2 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r2 + wo)) * s));
    a3 = madd(a3, f32x4.convert_i32x4_s(blockDot(type, r3 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r3 + wo)) * s));
  }
  store<f32>(out, hsum(a0)); store<f32>(out + q, hsum(a1)); store<f32>(out + 2 * q, hsum(a2)); store<f32>(out + 3 * q, hsum(a3));
}

/**
 * matvecQ8 for `type` (Q8_0, or Q4_0/Q5_0/IQ4_NL read in place, quants.ts matmulPackedQ8): rows
 * [r0, r1) as four quarters side by side, then the ≤ 3 rows left through the same code on one row
 * (its four chains the same bits). `type` a constant.
 */
// @ts-ignore: decorator
@inline export function matvecQ8Of(type: i32, out: usize, xq: usize, xd: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const blocks = n >> 5;
  const bb = <usize>(type == Q8_0 ? Q8_BLOCK_BYTES : packedBlockBytes(type));
  const rb = <usize>blocks * bb;
  const q = (r1 - r0) >> 2;
  const qr = <usize>q * rb;
  for (let i = r0; i < r0 + q; i++) dotRowQ8Far4(type, bb, w + <usize>i * rb, qr, xq, xd, blocks, out + (<usize>i << 2), <usize>q << 2);
  for (let i = r0 + 4 * q; i < r1; i++) dotRowQ8Far4(type, bb, w + <usize>i * rb, 0, xq, xd, blocks, out + (<usize>i << 2), 0);
}

/**
 * Q8_0 matrix–vector product for output rows [r0, r1) over an input quantized by quantizeQ16
 * (four quarters side by side, as matvecImpl).
 * Matches: reference/math.ts matmul over the dequantized weights, within the input's quantization
 * error (Σ_blocks Σ|w| · 0.51·d) plus float32 rounding.
 */
export function matvecQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  matvecQ8Of(Q8_0, out, xq, xd, w, n, r0, r1);
}

/**
 * Q8_0 blocked matrix–matrix product: out[t*d + i] = W[i,:]·x[t,:] for `rows` quantized input rows
 * and output rows [r0, r1): ~64 KiB weight blocks, 2 × 4 register tiles. Equals matvecQ8 (and
 * matmmSimpleQ8) per element bit for bit.
 */
export function matmmQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const blocks = n >> 5;
  const rb = <usize>blocks * Q8_BLOCK_BYTES;
  const qs = <usize>n << 1;
  const ds = <usize>blocks << 2;
  const os = <usize>d << 2;
  const block = max<i32>(2, (<i32>(BLOCK_BYTES / <i32>rb) >> 1) << 1);
  for (let ib = r0; ib < r1; ib += block) {
    const ie = min<i32>(r1, ib + block);
    let t = 0;
    for (; t + 4 <= rows; t += 4) {
      const qt = xq + <usize>t * qs, dt = xd + <usize>t * ds, ot = out + <usize>t * os;
      let i = ib;
      for (; i + 2 <= ie; i += 2) q8tile2x4(w + <usize>i * rb, rb, qt, qs, dt, ds, blocks, ot + (<usize>i << 2), os);
      if (i < ie) q8tile1x4(w + <usize>i * rb, rb, qt, qs, dt, ds, blocks, ot + (<usize>i << 2), os);
    }
    for (; t < rows; t++) {
      const qt = xq + <usize>t * qs, dt = xd + <usize>t * ds, ot = out + <usize>t * os;
      let i = ib;
      for (; i + 2 <= ie; i += 2) q8tile2x1(w + <usize>i * rb, rb, qt, qs, dt, ds, blocks, ot + (<usize>i << 2), os);
      if (i < ie) store<f32>(ot + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, qt, dt, n));
    }
  }
}

/** The simple Q8_0 matrix–matrix product: dotRowQ8 per element (what matmmQ8 must equal). */
export function matmmSimpleQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = <usize>(n >> 5) * Q8_BLOCK_BYTES;
  for (let t = 0; t < rows; t++) {
    const o = out + <usize>t * (<usize>d << 2);
    const xqt = xq + <usize>t * (<usize>n << 1);
    const xdt = xd + <usize>t * (<usize>(n >> 5) << 2);
    for (let i = r0; i < r1; i++) store<f32>(o + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, xqt, xdt, n));
  }
}
