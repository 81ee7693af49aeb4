/**
 * K-quant products as integer dot products (Q2_K..Q6_K), over the input quantized by quantizeQ16.
 * Part of the kernels described in index.ts.
 *
 * Each group of weight rows is converted once per call to KQ8 rows (quants.ts packedToKq8Row:
 * weight = a·q − m per 16, q an int8), then for every output element, THE KQ8 ORDER:
 *   per block of 32: i₀, i₁ = the exact int32 sums of q·xq over weights 0..15 and 16..31;
 *   acc += f32(i₀)·(a₀·dx), then acc += f32(i₁)·(a₁·dx) (f32x4 lanes); mins += m₀·s₀ + m₁·s₁;
 *   result = hsum(acc) − mins,
 * where dx is the input block's scale and s the input's half-block sums dx·Σxq (kq8HalfSums).
 * Matrix–vector and matrix–matrix products compute exactly this per element (dotRowsKq8), so
 * prefill equals decode bit for bit. Matches: reference/math.ts matmul over reference/quants.ts's
 * dequantized weights, within the input's quantization (Σ|w|·0.51·dx per block, as Q8_0) plus
 * float32 rounding (test/model/quants.test.ts).
 */
import { hsum } from "./convert";
import { madd } from "./matmul";
import { KQ8_BLOCK_BYTES, packedBlockBytes, packedGroupRows, packedToKq8Row } from "./quants";

/** s[t][2b + h] = dx·Σ xq over half h of input block b (exact int sum, one rounding), `rows` rows of n. */
export function kq8HalfSums(xq: usize, xd: usize, n: i32, rows: i32, xs: usize): void {
  const blocks = rows * (n >> 5);
  const ones = i16x8.splat(1);
  for (let b = 0; b < blocks; b++) {
    const q = xq + (<usize>b << 6);
    const dx = load<f32>(xd + (<usize>b << 2));
    const h0 = i32x4.add(i32x4.dot_i16x8_s(v128.load(q), ones), i32x4.dot_i16x8_s(v128.load(q, 16), ones));
    const h1 = i32x4.add(i32x4.dot_i16x8_s(v128.load(q, 32), ones), i32x4.dot_i16x8_s(v128.load(q, 48), ones));
    const s0 = i32x4.extract_lane(h0, 0) + i32x4.extract_lane(h0, 1) + i32x4.extract_lane(h0, 2) + i32x4.extract_lane(h0, 3);
    const s1 = i32x4.extract_lane(h1, 0) + i32x4.extract_lane(h1, 1) + i32x4.extract_lane(h1, 2) + i32x4.extract_lane(h1, 3);
    store<f32>(xs + (<usize>b << 3), <f32>s0 * dx);
    store<f32>(xs + (<usize>b << 3), <f32>s1 * dx, 4);
  }
}

/** Half-block integer sums of one KQ8 block (int8 at `w`) against 32 int16 inputs at `q`. */
// @ts-ignore: decorator
@inline function halfDots(w: usize, q: usize): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(w), v128.load(q)), i32x4.dot_i16x8_s(v128.load8x8_s(w, 8), v128.load(q, 16)));
}

/** THE KQ8 ORDER for one weight row and one input row (the simple version). */
// @ts-ignore: decorator
@inline function dotRowKq8(w: usize, xq: usize, xd: usize, xs: usize, blocks: i32): f32 {
  let acc = f32x4.splat(0);
  let mins: f32 = 0;
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * KQ8_BLOCK_BYTES;
    const q = xq + (<usize>b << 6);
    const dx = load<f32>(xd + (<usize>b << 2));
    acc = madd(acc, f32x4.convert_i32x4_s(halfDots(blk, q)), f32x4.splat(load<f32>(blk + 32) * dx));
    acc = madd(acc, f32x4.convert_i32x4_s(halfDots(blk + 16, q + 32)), f32x4.splat(load<f32>(blk + 36) * dx));
    const s = xs + (<usize>b << 3);
    mins += load<f32>(blk + 40) * load<f32>(s) + load<f32>(blk + 44) * load<f32>(s, 4);
  }
  return hsum(acc) - mins;
}

/** dotRowKq8 for four weight rows (stride rb) and one input row: four chains sharing each input block. */
// @ts-ignore: decorator
@inline function dotRowsKq8(w: usize, rb: usize, xq: usize, xd: usize, xs: usize, blocks: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let m0: f32 = 0, m1: f32 = 0, m2: f32 = 0, m3: f32 = 0;
  for (let b = 0; b < blocks; b++) {
    const o = <usize>b * KQ8_BLOCK_BYTES;
    const q = xq + (<usize>b << 6);
    const dx = load<f32>(xd + (<usize>b << 2));
    const s = xs + (<usize>b << 3);
    const s0 = load<f32>(s);
    const s1 = load<f32>(s, 4);
    const r0 = w + o, r1 = w + rb + o, r2 = w + 2 * rb + o, r3 = w + 3 * rb + o;
    a0 = madd(a0, f32x4.convert_i32x4_s(halfDots(r0, q)), f32x4.splat(load<f32>(r0 + 32) * dx));
    a1 = madd(a1, f32x4.convert_i32x4_s(halfDots(r1, q)), f32x4.splat(load<f32>(r1 + 32) * dx));
    a2 = madd(a2, f32x4.convert_i32x4_s(halfDots(r2, q)), f32x4.splat(load<f32>(r2 + 32) * dx));
    a3 = madd(a3, f32x4.convert_i32x4_s(halfDots(r3, q)), f32x4.splat(load<f32>(r3 + 32) * dx));
    a0 = madd(a0, f32x4.convert_i32x4_s(halfDots(r0 + 16, q + 32)), f32x4.splat(load<f32>(r0 + 36) * dx));
    a1 = madd(a1, f32x4.convert_i32x4_s(halfDots(r1 + 16, q + 32)), f32x4.splat(load<f32>(r1 + 36) * dx));
    a2 = madd(a2, f32x4.convert_i32x4_s(halfDots(r2 + 16, q + 32)), f32x4.splat(load<f32>(r2 + 36) * dx));
    a3 = madd(a3, f32x4.convert_i32x4_s(halfDots(r3 + 16, q + 32)), f32x4.splat(load<f32>(r3 + 36) * dx));
    m0 += load<f32>(r0 + 40) * s0 + load<f32>(r0 + 44) * s1;
    m1 += load<f32>(r1 + 40) * s0 + load<f32>(r1 + 44) * s1;
    m2 += load<f32>(r2 + 40) * s0 + load<f32>(r2 + 44) * s1;
    m3 += load<f32>(r3 + 40) * s0 + load<f32>(r3 + 44) * s1;
  }
  store<f32>(out, hsum(a0) - m0);
  store<f32>(out, hsum(a1) - m1, 4);
  store<f32>(out, hsum(a2) - m2, 8);
  store<f32>(out, hsum(a3) - m3, 12);
}

/** dotRowKq8 for one weight row and four input rows (strides qs, ds, ss; outputs os apart): each weight vector loaded once. */
// @ts-ignore: decorator
@inline function kq8tile1x4(w: usize, xq: usize, qs: usize, xd: usize, ds: usize, xs: usize, ss: usize, blocks: i32, out: usize, os: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let m0: f32 = 0, m1: f32 = 0, m2: f32 = 0, m3: f32 = 0;
  for (let b = 0; b < blocks; b++) {
    const blk = w + <usize>b * KQ8_BLOCK_BYTES;
    const xo = <usize>b << 6, dof = <usize>b << 2, so = <usize>b << 3;
    const w0 = v128.load8x8_s(blk), w1 = v128.load8x8_s(blk, 8), w2 = v128.load8x8_s(blk, 16), w3 = v128.load8x8_s(blk, 24);
    const sa = load<f32>(blk + 32), sb = load<f32>(blk + 36), ma = load<f32>(blk + 40), mb = load<f32>(blk + 44);
    let q = xq + xo;
    let dx = load<f32>(xd + dof);
    let s = xs + so;
    let lo = i32x4.add(i32x4.dot_i16x8_s(w0, v128.load(q)), i32x4.dot_i16x8_s(w1, v128.load(q, 16)));
    let hi = i32x4.add(i32x4.dot_i16x8_s(w2, v128.load(q, 32)), i32x4.dot_i16x8_s(w3, v128.load(q, 48)));
    a0 = madd(a0, f32x4.convert_i32x4_s(lo), f32x4.splat(sa * dx));
    a0 = madd(a0, f32x4.convert_i32x4_s(hi), f32x4.splat(sb * dx));
    m0 += ma * load<f32>(s) + mb * load<f32>(s, 4);
    q += qs; dx = load<f32>(xd + ds + dof); s += ss;
    lo = i32x4.add(i32x4.dot_i16x8_s(w0, v128.load(q)), i32x4.dot_i16x8_s(w1, v128.load(q, 16)));
    hi = i32x4.add(i32x4.dot_i16x8_s(w2, v128.load(q, 32)), i32x4.dot_i16x8_s(w3, v128.load(q, 48)));
    a1 = madd(a1, f32x4.convert_i32x4_s(lo), f32x4.splat(sa * dx));
    a1 = madd(a1, f32x4.convert_i32x4_s(hi), f32x4.splat(sb * dx));
    m1 += ma * load<f32>(s) + mb * load<f32>(s, 4);
    q += qs; dx = load<f32>(xd + 2 * ds + dof); s += ss;
    lo = i32x4.add(i32x4.dot_i16x8_s(w0, v128.load(q)), i32x4.dot_i16x8_s(w1, v128.load(q, 16)));
    hi = i32x4.add(i32x4.dot_i16x8_s(w2, v128.load(q, 32)), i32x4.dot_i16x8_s(w3, v128.load(q, 48)));
    a2 = madd(a2, f32x4.convert_i32x4_s(lo), f32x4.splat(sa * dx));
    a2 = madd(a2, f32x4.convert_i32x4_s(hi), f32x4.splat(sb * dx));
    m2 += ma * load<f32>(s) + mb * load<f32>(s, 4);
    q += qs; dx = load<f32>(xd + 3 * ds + dof); s += ss;
    lo = i32x4.add(i32x4.dot_i16x8_s(w0, v128.load(q)), i32x4.dot_i16x8_s(w1, v128.load(q, 16)));
    hi = i32x4.add(i32x4.dot_i16x8_s(w2, v128.load(q, 32)), i32x4.dot_i16x8_s(w3, v128.load(q, 48)));
    a3 = madd(a3, f32x4.convert_i32x4_s(lo), f32x4.splat(sa * dx));
    a3 = madd(a3, f32x4.convert_i32x4_s(hi), f32x4.splat(sb * dx));
    m3 += ma * load<f32>(s) + mb * load<f32>(s, 4);
  }
  store<f32>(out, hsum(a0) - m0);
  store<f32>(out + os, hsum(a1) - m1);
  store<f32>(out + 2 * os, hsum(a2) - m2);
  store<f32>(out + 3 * os, hsum(a3) - m3);
}

/** KQ8 rows the share's scratch (packedGroupRows(n) rows of n floats) holds, a multiple of 4. */
export function kq8GroupRows(n: i32): i32 {
  return max<i32>(4, (<i32>((packedGroupRows(n) * n * 4) / ((n >> 5) * KQ8_BLOCK_BYTES))) & ~3);
}

/**
 * out[t][i] = W[i]·x[t] for weight rows [r0, r1) of a K-quant W `[d][n]` (n a multiple of 256),
 * `rows` input rows quantized by quantizeQ16 (xq, xd) with their half sums xs (kq8HalfSums);
 * `scratch`: this share's, as matmulPacked's. THE KQ8 ORDER per element, whatever rows and range.
 */
export function matmulKq8(
  type: i32, out: usize, xq: usize, xd: usize, xs: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32, scratch: usize,
): void {
  const blocks = n >> 5;
  const rb = <usize>(n >> 8) * <usize>packedBlockBytes(type);
  const kb = <usize>blocks * KQ8_BLOCK_BYTES;
  const g = kq8GroupRows(n);
  const qs = <usize>n << 1, ds = <usize>blocks << 2, ss = <usize>blocks << 3, os = <usize>d << 2;
  for (let i0 = r0; i0 < r1; i0 += g) {
    const i1 = min<i32>(r1, i0 + g);
    for (let i = i0; i < i1; i++) packedToKq8Row(type, w + <usize>i * rb, n, scratch + <usize>(i - i0) * kb);
    let t = 0;
    for (; t + 4 <= rows; t += 4) {
      const xqt = xq + <usize>t * qs, xdt = xd + <usize>t * ds, xst = xs + <usize>t * ss, ot = out + <usize>t * os;
      for (let i = i0; i < i1; i++) kq8tile1x4(scratch + <usize>(i - i0) * kb, xqt, qs, xdt, ds, xst, ss, blocks, ot + (<usize>i << 2), os);
    }
    for (; t < rows; t++) {
      const xqt = xq + <usize>t * qs, xdt = xd + <usize>t * ds, xst = xs + <usize>t * ss, ot = out + <usize>t * os;
      let i = i0;
      for (; i + 4 <= i1; i += 4) dotRowsKq8(scratch + <usize>(i - i0) * kb, kb, xqt, xdt, xst, blocks, ot + (<usize>i << 2));
      for (; i < i1; i++) store<f32>(ot + (<usize>i << 2), dotRowKq8(scratch + <usize>(i - i0) * kb, xqt, xdt, xst, blocks));
    }
  }
}
