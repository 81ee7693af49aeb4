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

/** acc + group g's 32 weights (dequantBlock's dl = d·scale and add −(dmin·min)) of the super-block at b times xs[32g..]. */
// @ts-ignore: decorator
@inline function groupK(type: i32, acc: v128, b: usize, d: f32, dmin: f32, g: i32, xs: usize): v128 {
  const dv = f32x4.splat(d * <f32>kScaleMin(b + 4, g, 0));
  const av = f32x4.splat(-(dmin * <f32>kScaleMin(b + 4, g, 1)));
  acc = madd16(acc, kInts(type, b, g, 0), dv, av, xs + (<usize>(32 * g) << 2));
  return madd16(acc, kInts(type, b, g, 1), dv, av, xs + (<usize>(32 * g + 16) << 2));
}

/**
 * Rows r, r + qr, r + 2qr, r + 3qr (byte offsets of their first super-blocks) of a Q4_K/Q5_K matrix
 * times x → out, out + qo, …; the eight groups written out so that g is a constant in each (scale
 * index, nibble, fifth bit): a loop over them measured 10–33% slower.
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
    a0 = groupK(type, a0, b0, d0, m0, 0, xs); a1 = groupK(type, a1, b1, d1, m1, 0, xs);
    a2 = groupK(type, a2, b2, d2, m2, 0, xs); a3 = groupK(type, a3, b3, d3, m3, 0, xs);
    a0 = groupK(type, a0, b0, d0, m0, 1, xs); a1 = groupK(type, a1, b1, d1, m1, 1, xs);
    a2 = groupK(type, a2, b2, d2, m2, 1, xs); a3 = groupK(type, a3, b3, d3, m3, 1, xs);
    a0 = groupK(type, a0, b0, d0, m0, 2, xs); a1 = groupK(type, a1, b1, d1, m1, 2, xs);
    a2 = groupK(type, a2, b2, d2, m2, 2, xs); a3 = groupK(type, a3, b3, d3, m3, 2, xs);
    a0 = groupK(type, a0, b0, d0, m0, 3, xs); a1 = groupK(type, a1, b1, d1, m1, 3, xs);
    a2 = groupK(type, a2, b2, d2, m2, 3, xs); a3 = groupK(type, a3, b3, d3, m3, 3, xs);
    a0 = groupK(type, a0, b0, d0, m0, 4, xs); a1 = groupK(type, a1, b1, d1, m1, 4, xs);
    a2 = groupK(type, a2, b2, d2, m2, 4, xs); a3 = groupK(type, a3, b3, d3, m3, 4, xs);
    a0 = groupK(type, a0, b0, d0, m0, 5, xs); a1 = groupK(type, a1, b1, d1, m1, 5, xs);
    a2 = groupK(type, a2, b2, d2, m2, 5, xs); a3 = groupK(type, a3, b3, d3, m3, 5, xs);
    a0 = groupK(type, a0, b0, d0, m0, 6, xs); a1 = groupK(type, a1, b1, d1, m1, 6, xs);
    a2 = groupK(type, a2, b2, d2, m2, 6, xs); a3 = groupK(type, a3, b3, d3, m3, 6, xs);
    a0 = groupK(type, a0, b0, d0, m0, 7, xs); a1 = groupK(type, a1, b1, d1, m1, 7, xs);
    a2 = groupK(type, a2, b2, d2, m2, 7, xs); a3 = groupK(type, a3, b3, d3, m3, 7, xs);
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

/**
 * acc + Q6_K's weights 32k..32k+31 of half h of the super-block at b (dequantBlock's f32(q − 32)·(d·scale), a scale per
 * 16) times xh[32k..]: ql's low nibbles for k < 2, high for k ≥ 2, qh's bits 2k..2k+1 (`k` a constant).
 */
// @ts-ignore: decorator
@inline function pairQ6(acc: v128, b: usize, d: f32, h: i32, k: i32, xh: usize): v128 {
  const ql = b + 64 * h + 32 * (k & 1), qh = b + 128 + 32 * h, sc = b + 192 + 8 * h + 2 * k;
  const x = xh + (<usize>(32 * k) << 2);
  acc = madd16q6(acc, q6q(ql, qh, k >= 2, 2 * k), f32x4.splat(d * <f32>load<i8>(sc)), x);
  return madd16q6(acc, q6q(ql + 16, qh + 16, k >= 2, 2 * k), f32x4.splat(d * <f32>load<i8>(sc + 1)), x + 64);
}

/** rows4K for Q6_K: per half, the four pairs of 16-weight chunks in ascending order, written out so each shift is a constant. */
// @ts-ignore: decorator
@inline function rows4Q6(r: usize, qr: usize, x: usize, sbs: i32, out: usize, qo: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let sb = 0; sb < sbs; sb++) {
    const b0 = r + <usize>sb * 210, b1 = b0 + qr, b2 = b0 + 2 * qr, b3 = b0 + 3 * qr;
    const d0 = half(b0 + 208), d1 = half(b1 + 208), d2 = half(b2 + 208), d3 = half(b3 + 208);
    for (let h = 0; h < 2; h++) {
      const xh = x + (<usize>(sb * 256 + 128 * h) << 2);
      a0 = pairQ6(a0, b0, d0, h, 0, xh); a1 = pairQ6(a1, b1, d1, h, 0, xh);
      a2 = pairQ6(a2, b2, d2, h, 0, xh); a3 = pairQ6(a3, b3, d3, h, 0, xh);
      a0 = pairQ6(a0, b0, d0, h, 1, xh); a1 = pairQ6(a1, b1, d1, h, 1, xh);
      a2 = pairQ6(a2, b2, d2, h, 1, xh); a3 = pairQ6(a3, b3, d3, h, 1, xh);
      a0 = pairQ6(a0, b0, d0, h, 2, xh); a1 = pairQ6(a1, b1, d1, h, 2, xh);
      a2 = pairQ6(a2, b2, d2, h, 2, xh); a3 = pairQ6(a3, b3, d3, h, 2, xh);
      a0 = pairQ6(a0, b0, d0, h, 3, xh); a1 = pairQ6(a1, b1, d1, h, 3, xh);
      a2 = pairQ6(a2, b2, d2, h, 3, xh); a3 = pairQ6(a3, b3, d3, h, 3, xh);
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
