/**
 * Decode (one input row) for Q4_K, Q5_K and Q6_K with the dequantization in registers. Part of the
 * kernels described in index.ts.
 *
 * quants.ts matmulPacked dequantizes a group of rows to float32 and runs matmul.ts on it; for one
 * input row that round trip through the scratch is a third of the time. These kernels compute the
 * same weights with the same float32 steps as quants.ts dequantBlock (put16: f32(q − sub)·d, then
 * + add) and sum each row in THE ORDER of matmul.ts (one f32x4 accumulator over 4-element steps,
 * ascending, lanes (l0+l1)+(l2+l3)), so they equal matmulPacked bit for bit
 * (test/model/quants.test.ts). One row at a time: each row's super-blocks are one chain, and
 * the unpacking between its multiply-adds leaves the adds time enough. Four rows side by side (as
 * matmul.ts dotRowFar4, until 2026-12-08) ran slower, the unpacking of four rows at once more than
 * the registers hold: Q4_K 9.3 → 10.2–10.8 GFLOP/s at `[576][1536]`, 5.8 → 7.9–9.9 at
 * `[8192][2048]`; Q6_K 4.2 → 4.2–4.9 (benchmarks.md, "The fourth pass").
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
 * Row r (the byte offset of its first super-block) of a Q4_K/Q5_K matrix times x; the eight groups
 * written out so that g is a constant in each (scale index, nibble, fifth bit): a loop over them
 * measured 10–33% slower.
 */
// @ts-ignore: decorator
@inline function rowK(type: i32, r: usize, x: usize, sbs: i32): f32 {
  const bb: usize = type == Q5_K ? 176 : 144;
  let a = f32x4.splat(0);
  for (let sb = 0; sb < sbs; sb++) {
    const b = r + <usize>sb * bb;
    const d = half(b), m = half(b + 2);
    const xs = x + (<usize>(sb * 256) << 2);
    a = groupK(type, a, b, d, m, 0, xs);
    a = groupK(type, a, b, d, m, 1, xs);
    a = groupK(type, a, b, d, m, 2, xs);
    a = groupK(type, a, b, d, m, 3, xs);
    a = groupK(type, a, b, d, m, 4, xs);
    a = groupK(type, a, b, d, m, 5, xs);
    a = groupK(type, a, b, d, m, 6, xs);
    a = groupK(type, a, b, d, m, 7, xs);
  }
  return hsum(a);
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

/** rowK for Q6_K: per half, the four pairs of 16-weight chunks in ascending order, written out so each shift is a constant. */
// @ts-ignore: decorator
@inline function rowQ6(r: usize, x: usize, sbs: i32): f32 {
  let a = f32x4.splat(0);
  for (let sb = 0; sb < sbs; sb++) {
    const b = r + <usize>sb * 210;
    const d = half(b + 208);
    const x0 = x + (<usize>(sb * 256) << 2);
    const x1 = x0 + 512;
    a = pairQ6(a, b, d, 0, 0, x0);
    a = pairQ6(a, b, d, 0, 1, x0);
    a = pairQ6(a, b, d, 0, 2, x0);
    a = pairQ6(a, b, d, 0, 3, x0);
    a = pairQ6(a, b, d, 1, 0, x1);
    a = pairQ6(a, b, d, 1, 1, x1);
    a = pairQ6(a, b, d, 1, 2, x1);
    a = pairQ6(a, b, d, 1, 3, x1);
  }
  return hsum(a);
}

/** Whether matvecKQuant takes `type`. */
export function fusedDecode(type: i32): bool {
  return type == Q4_K || type == Q5_K || type == Q6_K;
}

/** out[i] = W[i]·x for rows [r0, r1) of a Q4_K, Q5_K or Q6_K matrix `[d][n]` (n a multiple of 256), one row at a time. */
export function matvecKQuant(type: i32, out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const sbs = n >> 8;
  const rb = <usize>sbs * <usize>(type == Q4_K ? 144 : type == Q5_K ? 176 : 210);
  if (type == Q4_K) for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), rowK(Q4_K, w + <usize>i * rb, x, sbs));
  else if (type == Q5_K) for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), rowK(Q5_K, w + <usize>i * rb, x, sbs));
  else for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), rowQ6(w + <usize>i * rb, x, sbs));
}
