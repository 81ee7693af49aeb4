/**
 * Decode (one input row) for Q4_K, Q5_K and Q6_K with the dequantization in registers. Part of the
 * kernels described in index.ts.
 *
 * quants.ts matmulPacked dequantizes a group of rows to float32 and runs matmul.ts on it; for one
 * input row that round trip through the scratch is a third of the time. These kernels compute the
 * same weights with the same float32 steps as quants.ts dequantBlock (put16: f32(q − sub)·d, then
 * + add) and sum each row in THE ORDER of matmul.ts (one f32x4 accumulator over 4-element steps,
 * ascending, lanes (l0+l1)+(l2+l3)), so they equal matmulPacked bit for bit
 * (test/model/quants.test.ts). Four rows a quarter of the range apart run side by side, as
 * matmul.ts dotRowFar4, for four independent chains; the ≤ 3 rows left over run the same code on
 * one row.
 */
import { hsum } from "./convert";
import { madd } from "./matmul";
import { Q4_K, Q5_K, Q6_K, half, kScaleMin } from "./quants";

/** acc + the 16 weights f32(q)·d + add (u8 lanes of q, as put16 with sub 0) times x[0..15], in order. */
// @ts-ignore: decorator
@inline function madd16(acc: v128, q: v128, dv: v128, av: v128, x: usize): v128 {
  const lo = i16x8.extend_low_i8x16_u(q);
  const hi = i16x8.extend_high_i8x16_u(q);
  acc = madd(acc, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(lo)), dv), av), v128.load(x));
  acc = madd(acc, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(lo)), dv), av), v128.load(x, 16));
  acc = madd(acc, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(hi)), dv), av), v128.load(x, 32));
  return madd(acc, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(hi)), dv), av), v128.load(x, 48));
}

/** acc + the 16 weights f32(q − 32)·d (Q6_K's put16: no add) times x[0..15], in order. */
// @ts-ignore: decorator
@inline function madd16q6(acc: v128, q: v128, dv: v128, x: usize): v128 {
  const lo = i16x8.extend_low_i8x16_u(q);
  const hi = i16x8.extend_high_i8x16_u(q);
  const s = i32x4.splat(32);
  acc = madd(acc, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(lo), s)), dv), v128.load(x));
  acc = madd(acc, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(lo), s)), dv), v128.load(x, 16));
  acc = madd(acc, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(hi), s)), dv), v128.load(x, 32));
  return madd(acc, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(hi), s)), dv), v128.load(x, 48));
}

/** The 4-bit (Q4_K) or 5-bit (Q5_K) integers of half h of group g of the super-block at b. */
// @ts-ignore: decorator
@inline function kInts(type: i32, b: usize, g: i32, h: i32): v128 {
  const raw = v128.load(b + (type == Q5_K ? 48 : 16) + 32 * (g >> 1) + 16 * h);
  let q = (g & 1) == 0 ? v128.and(raw, i8x16.splat(0xf)) : i8x16.shr_u(raw, 4);
  if (type == Q5_K) {
    const bit: i32 = 1 << g;
    const set = v128.not(i8x16.eq(v128.and(v128.load(b + 16 + 16 * h), i8x16.splat(<i8>bit)), i8x16.splat(0)));
    q = v128.or(q, v128.and(set, i8x16.splat(0x10)));
  }
  return q;
}

/**
 * Rows r, r + qr, r + 2qr, r + 3qr (byte offsets of their first super-blocks) of a Q4_K/Q5_K matrix times x → out, out + qo, …;
 * the eight groups of a super-block written out, so each group's scale index and nibble are constants.
 */
// @ts-ignore: decorator
@inline function rows4K(type: i32, r: usize, qr: usize, x: usize, sbs: i32, out: usize, qo: usize): void {
  const bb: usize = type == Q5_K ? 176 : 144;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let sb = 0; sb < sbs; sb++) {
    const b0 = r + <usize>sb * bb, b1 = b0 + qr, b2 = b0 + 2 * qr, b3 = b0 + 3 * qr;
    const d0 = half(b0), d1 = half(b1), d2 = half(b2), d3 = half(b3);
    const m0 = half(b0 + 2), m1 = half(b1 + 2), m2 = half(b2 + 2), m3 = half(b3 + 2);
    const xs = x + (<usize>(sb * 256) << 2);
    // group 0: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_0 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 0, 0)), av0_0 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 0, 1)));
    const dv1_0 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 0, 0)), av1_0 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 0, 1)));
    const dv2_0 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 0, 0)), av2_0 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 0, 1)));
    const dv3_0 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 0, 0)), av3_0 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 0, 1)));
    a0 = madd16(a0, kInts(type, b0, 0, 0), dv0_0, av0_0, xs + 0);
    a1 = madd16(a1, kInts(type, b1, 0, 0), dv1_0, av1_0, xs + 0);
    a2 = madd16(a2, kInts(type, b2, 0, 0), dv2_0, av2_0, xs + 0);
    a3 = madd16(a3, kInts(type, b3, 0, 0), dv3_0, av3_0, xs + 0);
    a0 = madd16(a0, kInts(type, b0, 0, 1), dv0_0, av0_0, xs + 64);
    a1 = madd16(a1, kInts(type, b1, 0, 1), dv1_0, av1_0, xs + 64);
    a2 = madd16(a2, kInts(type, b2, 0, 1), dv2_0, av2_0, xs + 64);
    a3 = madd16(a3, kInts(type, b3, 0, 1), dv3_0, av3_0, xs + 64);
    // group 1: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_1 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 1, 0)), av0_1 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 1, 1)));
    const dv1_1 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 1, 0)), av1_1 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 1, 1)));
    const dv2_1 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 1, 0)), av2_1 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 1, 1)));
    const dv3_1 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 1, 0)), av3_1 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 1, 1)));
    a0 = madd16(a0, kInts(type, b0, 1, 0), dv0_1, av0_1, xs + 128);
    a1 = madd16(a1, kInts(type, b1, 1, 0), dv1_1, av1_1, xs + 128);
    a2 = madd16(a2, kInts(type, b2, 1, 0), dv2_1, av2_1, xs + 128);
    a3 = madd16(a3, kInts(type, b3, 1, 0), dv3_1, av3_1, xs + 128);
    a0 = madd16(a0, kInts(type, b0, 1, 1), dv0_1, av0_1, xs + 192);
    a1 = madd16(a1, kInts(type, b1, 1, 1), dv1_1, av1_1, xs + 192);
    a2 = madd16(a2, kInts(type, b2, 1, 1), dv2_1, av2_1, xs + 192);
    a3 = madd16(a3, kInts(type, b3, 1, 1), dv3_1, av3_1, xs + 192);
    // group 2: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_2 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 2, 0)), av0_2 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 2, 1)));
    const dv1_2 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 2, 0)), av1_2 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 2, 1)));
    const dv2_2 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 2, 0)), av2_2 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 2, 1)));
    const dv3_2 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 2, 0)), av3_2 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 2, 1)));
    a0 = madd16(a0, kInts(type, b0, 2, 0), dv0_2, av0_2, xs + 256);
    a1 = madd16(a1, kInts(type, b1, 2, 0), dv1_2, av1_2, xs + 256);
    a2 = madd16(a2, kInts(type, b2, 2, 0), dv2_2, av2_2, xs + 256);
    a3 = madd16(a3, kInts(type, b3, 2, 0), dv3_2, av3_2, xs + 256);
    a0 = madd16(a0, kInts(type, b0, 2, 1), dv0_2, av0_2, xs + 320);
    a1 = madd16(a1, kInts(type, b1, 2, 1), dv1_2, av1_2, xs + 320);
    a2 = madd16(a2, kInts(type, b2, 2, 1), dv2_2, av2_2, xs + 320);
    a3 = madd16(a3, kInts(type, b3, 2, 1), dv3_2, av3_2, xs + 320);
    // group 3: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_3 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 3, 0)), av0_3 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 3, 1)));
    const dv1_3 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 3, 0)), av1_3 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 3, 1)));
    const dv2_3 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 3, 0)), av2_3 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 3, 1)));
    const dv3_3 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 3, 0)), av3_3 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 3, 1)));
    a0 = madd16(a0, kInts(type, b0, 3, 0), dv0_3, av0_3, xs + 384);
    a1 = madd16(a1, kInts(type, b1, 3, 0), dv1_3, av1_3, xs + 384);
    a2 = madd16(a2, kInts(type, b2, 3, 0), dv2_3, av2_3, xs + 384);
    a3 = madd16(a3, kInts(type, b3, 3, 0), dv3_3, av3_3, xs + 384);
    a0 = madd16(a0, kInts(type, b0, 3, 1), dv0_3, av0_3, xs + 448);
    a1 = madd16(a1, kInts(type, b1, 3, 1), dv1_3, av1_3, xs + 448);
    a2 = madd16(a2, kInts(type, b2, 3, 1), dv2_3, av2_3, xs + 448);
    a3 = madd16(a3, kInts(type, b3, 3, 1), dv3_3, av3_3, xs + 448);
    // group 4: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_4 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 4, 0)), av0_4 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 4, 1)));
    const dv1_4 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 4, 0)), av1_4 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 4, 1)));
    const dv2_4 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 4, 0)), av2_4 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 4, 1)));
    const dv3_4 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 4, 0)), av3_4 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 4, 1)));
    a0 = madd16(a0, kInts(type, b0, 4, 0), dv0_4, av0_4, xs + 512);
    a1 = madd16(a1, kInts(type, b1, 4, 0), dv1_4, av1_4, xs + 512);
    a2 = madd16(a2, kInts(type, b2, 4, 0), dv2_4, av2_4, xs + 512);
    a3 = madd16(a3, kInts(type, b3, 4, 0), dv3_4, av3_4, xs + 512);
    a0 = madd16(a0, kInts(type, b0, 4, 1), dv0_4, av0_4, xs + 576);
    a1 = madd16(a1, kInts(type, b1, 4, 1), dv1_4, av1_4, xs + 576);
    a2 = madd16(a2, kInts(type, b2, 4, 1), dv2_4, av2_4, xs + 576);
    a3 = madd16(a3, kInts(type, b3, 4, 1), dv3_4, av3_4, xs + 576);
    // group 5: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_5 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 5, 0)), av0_5 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 5, 1)));
    const dv1_5 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 5, 0)), av1_5 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 5, 1)));
    const dv2_5 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 5, 0)), av2_5 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 5, 1)));
    const dv3_5 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 5, 0)), av3_5 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 5, 1)));
    a0 = madd16(a0, kInts(type, b0, 5, 0), dv0_5, av0_5, xs + 640);
    a1 = madd16(a1, kInts(type, b1, 5, 0), dv1_5, av1_5, xs + 640);
    a2 = madd16(a2, kInts(type, b2, 5, 0), dv2_5, av2_5, xs + 640);
    a3 = madd16(a3, kInts(type, b3, 5, 0), dv3_5, av3_5, xs + 640);
    a0 = madd16(a0, kInts(type, b0, 5, 1), dv0_5, av0_5, xs + 704);
    a1 = madd16(a1, kInts(type, b1, 5, 1), dv1_5, av1_5, xs + 704);
    a2 = madd16(a2, kInts(type, b2, 5, 1), dv2_5, av2_5, xs + 704);
    a3 = madd16(a3, kInts(type, b3, 5, 1), dv3_5, av3_5, xs + 704);
    // group 6: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_6 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 6, 0)), av0_6 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 6, 1)));
    const dv1_6 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 6, 0)), av1_6 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 6, 1)));
    const dv2_6 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 6, 0)), av2_6 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 6, 1)));
    const dv3_6 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 6, 0)), av3_6 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 6, 1)));
    a0 = madd16(a0, kInts(type, b0, 6, 0), dv0_6, av0_6, xs + 768);
    a1 = madd16(a1, kInts(type, b1, 6, 0), dv1_6, av1_6, xs + 768);
    a2 = madd16(a2, kInts(type, b2, 6, 0), dv2_6, av2_6, xs + 768);
    a3 = madd16(a3, kInts(type, b3, 6, 0), dv3_6, av3_6, xs + 768);
    a0 = madd16(a0, kInts(type, b0, 6, 1), dv0_6, av0_6, xs + 832);
    a1 = madd16(a1, kInts(type, b1, 6, 1), dv1_6, av1_6, xs + 832);
    a2 = madd16(a2, kInts(type, b2, 6, 1), dv2_6, av2_6, xs + 832);
    a3 = madd16(a3, kInts(type, b3, 6, 1), dv3_6, av3_6, xs + 832);
    // group 7: dequantBlock's dl = d·scale and its add −(dmin·min), per row
    const dv0_7 = f32x4.splat(d0 * <f32>kScaleMin(b0 + 4, 7, 0)), av0_7 = f32x4.splat(-(m0 * <f32>kScaleMin(b0 + 4, 7, 1)));
    const dv1_7 = f32x4.splat(d1 * <f32>kScaleMin(b1 + 4, 7, 0)), av1_7 = f32x4.splat(-(m1 * <f32>kScaleMin(b1 + 4, 7, 1)));
    const dv2_7 = f32x4.splat(d2 * <f32>kScaleMin(b2 + 4, 7, 0)), av2_7 = f32x4.splat(-(m2 * <f32>kScaleMin(b2 + 4, 7, 1)));
    const dv3_7 = f32x4.splat(d3 * <f32>kScaleMin(b3 + 4, 7, 0)), av3_7 = f32x4.splat(-(m3 * <f32>kScaleMin(b3 + 4, 7, 1)));
    a0 = madd16(a0, kInts(type, b0, 7, 0), dv0_7, av0_7, xs + 896);
    a1 = madd16(a1, kInts(type, b1, 7, 0), dv1_7, av1_7, xs + 896);
    a2 = madd16(a2, kInts(type, b2, 7, 0), dv2_7, av2_7, xs + 896);
    a3 = madd16(a3, kInts(type, b3, 7, 0), dv3_7, av3_7, xs + 896);
    a0 = madd16(a0, kInts(type, b0, 7, 1), dv0_7, av0_7, xs + 960);
    a1 = madd16(a1, kInts(type, b1, 7, 1), dv1_7, av1_7, xs + 960);
    a2 = madd16(a2, kInts(type, b2, 7, 1), dv2_7, av2_7, xs + 960);
    a3 = madd16(a3, kInts(type, b3, 7, 1), dv3_7, av3_7, xs + 960);
  }
  store<f32>(out, hsum(a0)); store<f32>(out + qo, hsum(a1)); store<f32>(out + 2 * qo, hsum(a2)); store<f32>(out + 3 * qo, hsum(a3));
}

/** Q6_K's 16 integers (0..63) whose low 4 bits are the low (`high` false) or high nibbles at `lo`, high 2 bits at `shift` of `hi`. */
// @ts-ignore: decorator
@inline function q6q(lo: usize, hi: usize, high: bool, shift: i32): v128 {
  const a = v128.load(lo);
  const low = high ? i8x16.shr_u(a, 4) : v128.and(a, i8x16.splat(0xf));
  return v128.or(low, i8x16.shl(v128.and(i8x16.shr_u(v128.load(hi), shift), i8x16.splat(3)), 4));
}

/** rows4K for Q6_K: per half, the eight 16-weight chunks in ascending order (k, then part), written out so each shift is a constant. */
// @ts-ignore: decorator
@inline function rows4Q6(r: usize, qr: usize, x: usize, sbs: i32, out: usize, qo: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let sb = 0; sb < sbs; sb++) {
    const b0 = r + <usize>sb * 210, b1 = b0 + qr, b2 = b0 + 2 * qr, b3 = b0 + 3 * qr;
    const d0 = half(b0 + 208), d1 = half(b1 + 208), d2 = half(b2 + 208), d3 = half(b3 + 208);
    for (let h = 0; h < 2; h++) {
      const ql = <usize>(64 * h), qh = <usize>(128 + 32 * h), sc = <usize>(192 + 8 * h);
      const xh = x + (<usize>(sb * 256 + 128 * h) << 2);
      // weights 32·0 + 16·0 of this half: ql[0..] low nibbles, qh[0..] bits 0..1
      a0 = madd16q6(a0, q6q(b0 + ql + 0, b0 + qh + 0, false, 0), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 0)), xh + 0);
      a1 = madd16q6(a1, q6q(b1 + ql + 0, b1 + qh + 0, false, 0), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 0)), xh + 0);
      a2 = madd16q6(a2, q6q(b2 + ql + 0, b2 + qh + 0, false, 0), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 0)), xh + 0);
      a3 = madd16q6(a3, q6q(b3 + ql + 0, b3 + qh + 0, false, 0), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 0)), xh + 0);
      // weights 32·0 + 16·1 of this half: ql[16..] low nibbles, qh[16..] bits 0..1
      a0 = madd16q6(a0, q6q(b0 + ql + 16, b0 + qh + 16, false, 0), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 1)), xh + 64);
      a1 = madd16q6(a1, q6q(b1 + ql + 16, b1 + qh + 16, false, 0), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 1)), xh + 64);
      a2 = madd16q6(a2, q6q(b2 + ql + 16, b2 + qh + 16, false, 0), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 1)), xh + 64);
      a3 = madd16q6(a3, q6q(b3 + ql + 16, b3 + qh + 16, false, 0), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 1)), xh + 64);
      // weights 32·1 + 16·0 of this half: ql[32..] low nibbles, qh[0..] bits 2..3
      a0 = madd16q6(a0, q6q(b0 + ql + 32, b0 + qh + 0, false, 2), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 2)), xh + 128);
      a1 = madd16q6(a1, q6q(b1 + ql + 32, b1 + qh + 0, false, 2), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 2)), xh + 128);
      a2 = madd16q6(a2, q6q(b2 + ql + 32, b2 + qh + 0, false, 2), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 2)), xh + 128);
      a3 = madd16q6(a3, q6q(b3 + ql + 32, b3 + qh + 0, false, 2), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 2)), xh + 128);
      // weights 32·1 + 16·1 of this half: ql[48..] low nibbles, qh[16..] bits 2..3
      a0 = madd16q6(a0, q6q(b0 + ql + 48, b0 + qh + 16, false, 2), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 3)), xh + 192);
      a1 = madd16q6(a1, q6q(b1 + ql + 48, b1 + qh + 16, false, 2), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 3)), xh + 192);
      a2 = madd16q6(a2, q6q(b2 + ql + 48, b2 + qh + 16, false, 2), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 3)), xh + 192);
      a3 = madd16q6(a3, q6q(b3 + ql + 48, b3 + qh + 16, false, 2), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 3)), xh + 192);
      // weights 32·2 + 16·0 of this half: ql[0..] high nibbles, qh[0..] bits 4..5
      a0 = madd16q6(a0, q6q(b0 + ql + 0, b0 + qh + 0, true, 4), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 4)), xh + 256);
      a1 = madd16q6(a1, q6q(b1 + ql + 0, b1 + qh + 0, true, 4), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 4)), xh + 256);
      a2 = madd16q6(a2, q6q(b2 + ql + 0, b2 + qh + 0, true, 4), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 4)), xh + 256);
      a3 = madd16q6(a3, q6q(b3 + ql + 0, b3 + qh + 0, true, 4), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 4)), xh + 256);
      // weights 32·2 + 16·1 of this half: ql[16..] high nibbles, qh[16..] bits 4..5
      a0 = madd16q6(a0, q6q(b0 + ql + 16, b0 + qh + 16, true, 4), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 5)), xh + 320);
      a1 = madd16q6(a1, q6q(b1 + ql + 16, b1 + qh + 16, true, 4), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 5)), xh + 320);
      a2 = madd16q6(a2, q6q(b2 + ql + 16, b2 + qh + 16, true, 4), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 5)), xh + 320);
      a3 = madd16q6(a3, q6q(b3 + ql + 16, b3 + qh + 16, true, 4), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 5)), xh + 320);
      // weights 32·3 + 16·0 of this half: ql[32..] high nibbles, qh[0..] bits 6..7
      a0 = madd16q6(a0, q6q(b0 + ql + 32, b0 + qh + 0, true, 6), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 6)), xh + 384);
      a1 = madd16q6(a1, q6q(b1 + ql + 32, b1 + qh + 0, true, 6), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 6)), xh + 384);
      a2 = madd16q6(a2, q6q(b2 + ql + 32, b2 + qh + 0, true, 6), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 6)), xh + 384);
      a3 = madd16q6(a3, q6q(b3 + ql + 32, b3 + qh + 0, true, 6), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 6)), xh + 384);
      // weights 32·3 + 16·1 of this half: ql[48..] high nibbles, qh[16..] bits 6..7
      a0 = madd16q6(a0, q6q(b0 + ql + 48, b0 + qh + 16, true, 6), f32x4.splat(d0 * <f32>load<i8>(b0 + sc + 7)), xh + 448);
      a1 = madd16q6(a1, q6q(b1 + ql + 48, b1 + qh + 16, true, 6), f32x4.splat(d1 * <f32>load<i8>(b1 + sc + 7)), xh + 448);
      a2 = madd16q6(a2, q6q(b2 + ql + 48, b2 + qh + 16, true, 6), f32x4.splat(d2 * <f32>load<i8>(b2 + sc + 7)), xh + 448);
      a3 = madd16q6(a3, q6q(b3 + ql + 48, b3 + qh + 16, true, 6), f32x4.splat(d3 * <f32>load<i8>(b3 + sc + 7)), xh + 448);
    }
  }
  store<f32>(out, hsum(a0)); store<f32>(out + qo, hsum(a1)); store<f32>(out + 2 * qo, hsum(a2)); store<f32>(out + 3 * qo, hsum(a3));
}

/** Whether matvecKQuant takes `type`. */
export function fusedDecode(type: i32): bool {
  return type == Q4_K || type == Q5_K || type == Q6_K;
}

// @ts-ignore: decorator
@inline function rows4(type: i32, r: usize, qr: usize, x: usize, sbs: i32, out: usize, qo: usize): void {
  if (type == Q4_K) rows4K(Q4_K, r, qr, x, sbs, out, qo);
  else if (type == Q5_K) rows4K(Q5_K, r, qr, x, sbs, out, qo);
  else rows4Q6(r, qr, x, sbs, out, qo);
}

/**
 * out[i] = W[i]·x for rows [r0, r1) of a Q4_K, Q5_K or Q6_K matrix `[d][n]` (n a multiple of
 * 256): the range in four quarters side by side, then the ≤ 3 rows left one at a time (the same
 * code on one row four times over, its four results the same bits).
 */
export function matvecKQuant(type: i32, out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const sbs = n >> 8;
  const rb = <usize>sbs * <usize>(type == Q4_K ? 144 : type == Q5_K ? 176 : 210);
  const q = (r1 - r0) >> 2;
  for (let i = r0; i < r0 + q; i++) rows4(type, w + <usize>i * rb, <usize>q * rb, x, sbs, out + (<usize>i << 2), <usize>q << 2);
  for (let i = r0 + 4 * q; i < r1; i++) rows4(type, w + <usize>i * rb, 0, x, sbs, out + (<usize>i << 2), 0);
}
