/** F32 and F16 matrix products (matrix–vector and the blocked matrix–matrix kernel). Part of the kernels described in index.ts. */

import { F16, F32, halfToF32, halves4, hsum, rowBytes } from "./convert";
// Matrix products: out[i] = W[i,:] · x, W row-major [d][n] in its file type.
//
// THE ORDER. Every product kernel sums each output element the same way (dotRow): one f32x4
// accumulator over 4-element steps (lane k takes elements j+k), `acc + w·x` per step (wasm SIMD
// has no fused multiply-add in Node 20), lanes summed as (l0+l1)+(l2+l3), then the scalar tail in
// order. Independent chains — to hide the add latency — come from computing several elements at
// once, never from splitting one element's sum: that is what lets the matrix–matrix kernel reuse
// each loaded weight vector across prompt rows and each input vector across weight rows (a
// register tile), and still equal the matrix–vector kernel bit for bit.
// (Until 2026-12-02 the order was four accumulators per element over 16-element steps; a tile of
// 2 × 2 elements then needs 16 accumulators, more than V8's 15 allocatable xmm registers, and
// measured no faster than one weight row × two prompt rows. kernels/wasm/README.md has the table.)

/** Four dequantized weights of an F16/F32 row at byte offset `o` of the float32 input (elements o/4..o/4+3). */
// @ts-ignore: decorator
@inline function wvo(type: i32, row: usize, o: usize): v128 {
  return type == F32 ? v128.load(row + o) : halves4(row + (o >> 1));
}

/** One dequantized weight of an F16/F32 row at byte offset `o` of the float32 input. */
// @ts-ignore: decorator
@inline function wso(type: i32, row: usize, o: usize): f32 {
  return type == F32 ? load<f32>(row + o) : halfToF32(load<u16>(row + (o >> 1)));
}

/** a + w·x, lane-wise (wasm SIMD has no fused multiply-add; this is the one rounding order used). */
// @ts-ignore: decorator
@inline export function madd(a: v128, w: v128, x: v128): v128 {
  return f32x4.add(a, f32x4.mul(w, x));
}

/**
 * W[i]·x for one row, in THE ORDER (above). The simple version: every other product kernel is
 * held to equal this one bit for bit (test/wasm/kernels.test.ts), and is this loop computed for
 * several (row, input) pairs at once.
 */
// @ts-ignore: decorator
@inline function dotRow(type: i32, row: usize, x: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const e4: usize = <usize>(n & ~3) << 2;
  for (let o: usize = 0; o < e4; o += 16) acc = madd(acc, wvo(type, row, o), v128.load(x + o));
  let sum = hsum(acc);
  const e: usize = <usize>n << 2;
  for (let o: usize = e4; o < e; o += 4) sum += wso(type, row, o) * load<f32>(x + o);
  return sum;
}

/**
 * The register tiles of the matrix–matrix kernel: out[t][i] for TW weight rows (w, w + rb, ...)
 * × TX input rows (x, x + xs, ...), written at out + t·os + 4·i; each element dotRow's loop,
 * TW·TX accumulators side by side. Per 4-element step: TW weight loads (and F16 conversions) and
 * TX input loads feed TW·TX multiply-adds. Written out by hand (wasm has no generics over loop
 * counts); 2 × 4 measured fastest (README: 2×2, 2×4, 4×2, 3×3, 3×4, 4×3, 4×4).
 */
// @ts-ignore: decorator
@inline function tile2x4(type: i32, w: usize, rb: usize, x: usize, xs: usize, n: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const r1 = w + <usize>1 * rb;
  const y0 = x + <usize>0 * xs;
  const y1 = x + <usize>1 * xs;
  const y2 = x + <usize>2 * xs;
  const y3 = x + <usize>3 * xs;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
  const e4: usize = <usize>(n & ~3) << 2;
  for (let o: usize = 0; o < e4; o += 16) {
    const v0 = wvo(type, r0, o);
    const v1 = wvo(type, r1, o);
    const u0 = v128.load(y0 + o);
    a00 = madd(a00, v0, u0); a10 = madd(a10, v1, u0);
    const u1 = v128.load(y1 + o);
    a01 = madd(a01, v0, u1); a11 = madd(a11, v1, u1);
    const u2 = v128.load(y2 + o);
    a02 = madd(a02, v0, u2); a12 = madd(a12, v1, u2);
    const u3 = v128.load(y3 + o);
    a03 = madd(a03, v0, u3); a13 = madd(a13, v1, u3);
  }
  let s00 = hsum(a00), s01 = hsum(a01), s02 = hsum(a02), s03 = hsum(a03);
  let s10 = hsum(a10), s11 = hsum(a11), s12 = hsum(a12), s13 = hsum(a13);
  const e: usize = <usize>n << 2;
  for (let o: usize = e4; o < e; o += 4) {
    const v0 = wso(type, r0, o);
    const v1 = wso(type, r1, o);
    const u0 = load<f32>(y0 + o);
    s00 += v0 * u0; s10 += v1 * u0;
    const u1 = load<f32>(y1 + o);
    s01 += v0 * u1; s11 += v1 * u1;
    const u2 = load<f32>(y2 + o);
    s02 += v0 * u2; s12 += v1 * u2;
    const u3 = load<f32>(y3 + o);
    s03 += v0 * u3; s13 += v1 * u3;
  }
  store<f32>(out + <usize>0 * os, s00, 0); store<f32>(out + <usize>0 * os, s10, 4);
  store<f32>(out + <usize>1 * os, s01, 0); store<f32>(out + <usize>1 * os, s11, 4);
  store<f32>(out + <usize>2 * os, s02, 0); store<f32>(out + <usize>2 * os, s12, 4);
  store<f32>(out + <usize>3 * os, s03, 0); store<f32>(out + <usize>3 * os, s13, 4);
}
// @ts-ignore: decorator
@inline function tile1x4(type: i32, w: usize, rb: usize, x: usize, xs: usize, n: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const y0 = x + <usize>0 * xs;
  const y1 = x + <usize>1 * xs;
  const y2 = x + <usize>2 * xs;
  const y3 = x + <usize>3 * xs;
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
  const e4: usize = <usize>(n & ~3) << 2;
  for (let o: usize = 0; o < e4; o += 16) {
    const v0 = wvo(type, r0, o);
    const u0 = v128.load(y0 + o);
    a00 = madd(a00, v0, u0);
    const u1 = v128.load(y1 + o);
    a01 = madd(a01, v0, u1);
    const u2 = v128.load(y2 + o);
    a02 = madd(a02, v0, u2);
    const u3 = v128.load(y3 + o);
    a03 = madd(a03, v0, u3);
  }
  let s00 = hsum(a00), s01 = hsum(a01), s02 = hsum(a02), s03 = hsum(a03);
  const e: usize = <usize>n << 2;
  for (let o: usize = e4; o < e; o += 4) {
    const v0 = wso(type, r0, o);
    const u0 = load<f32>(y0 + o);
    s00 += v0 * u0;
    const u1 = load<f32>(y1 + o);
    s01 += v0 * u1;
    const u2 = load<f32>(y2 + o);
    s02 += v0 * u2;
    const u3 = load<f32>(y3 + o);
    s03 += v0 * u3;
  }
  store<f32>(out + <usize>0 * os, s00, 0);
  store<f32>(out + <usize>1 * os, s01, 0);
  store<f32>(out + <usize>2 * os, s02, 0);
  store<f32>(out + <usize>3 * os, s03, 0);
}
// @ts-ignore: decorator
@inline function tile2x1(type: i32, w: usize, rb: usize, x: usize, xs: usize, n: i32, out: usize, os: usize): void {
  const r0 = w + <usize>0 * rb;
  const r1 = w + <usize>1 * rb;
  const y0 = x + <usize>0 * xs;
  let a00 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  const e4: usize = <usize>(n & ~3) << 2;
  for (let o: usize = 0; o < e4; o += 16) {
    const v0 = wvo(type, r0, o);
    const v1 = wvo(type, r1, o);
    const u0 = v128.load(y0 + o);
    a00 = madd(a00, v0, u0); a10 = madd(a10, v1, u0);
  }
  let s00 = hsum(a00);
  let s10 = hsum(a10);
  const e: usize = <usize>n << 2;
  for (let o: usize = e4; o < e; o += 4) {
    const v0 = wso(type, r0, o);
    const v1 = wso(type, r1, o);
    const u0 = load<f32>(y0 + o);
    s00 += v0 * u0; s10 += v1 * u0;
  }
  store<f32>(out + <usize>0 * os, s00, 0); store<f32>(out + <usize>0 * os, s10, 4);
}

/**
 * dotRow for four rows far apart (r0..r3, outputs at out + k·q): four independent chains that
 * share each input load, while each row is still read front to back as a long stream (rows
 * r0, r0 + 1, ... follow each other in memory). Interleaving four *adjacent* rows instead measured
 * 2× slower on the 32000 × 288 classifier (four short streams defeat the prefetcher), and one row
 * at a time leaves a single dependency chain (6 G multiply-adds/s on the layers vs 13 here).
 */
// @ts-ignore: decorator
@inline function dotRowFar4(type: i32, r0: usize, r1: usize, r2: usize, r3: usize, x: usize, n: i32, out: usize, q: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const e4: usize = <usize>(n & ~3) << 2;
  for (let o: usize = 0; o < e4; o += 16) {
    const u = v128.load(x + o);
    a0 = madd(a0, wvo(type, r0, o), u);
    a1 = madd(a1, wvo(type, r1, o), u);
    a2 = madd(a2, wvo(type, r2, o), u);
    a3 = madd(a3, wvo(type, r3, o), u);
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  const e: usize = <usize>n << 2;
  for (let o: usize = e4; o < e; o += 4) {
    const u = load<f32>(x + o);
    s0 += wso(type, r0, o) * u; s1 += wso(type, r1, o) * u; s2 += wso(type, r2, o) * u; s3 += wso(type, r3, o) * u;
  }
  store<f32>(out, s0); store<f32>(out + q, s1); store<f32>(out + 2 * q, s2); store<f32>(out + 3 * q, s3);
}

/**
 * Matrix–vector product for output rows [r0, r1): out[i] = W[i,:]·x. The range is cut in four
 * equal quarters walked side by side (dotRowFar4), the remainder row by row.
 * Matches: reference/math.ts matmul (which sums in f64; this sums in f32, see the file comment).
 */
// @ts-ignore: decorator
@inline function matvecImpl(type: i32, out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(type, n);
  const q = (r1 - r0) >> 2;
  const qb = <usize>q * rb;
  for (let i = r0; i < r0 + q; i++) {
    const r = w + <usize>i * rb;
    dotRowFar4(type, r, r + qb, r + 2 * qb, r + 3 * qb, x, n, out + (<usize>i << 2), <usize>q << 2);
  }
  for (let i = r0 + 4 * q; i < r1; i++) store<f32>(out + (<usize>i << 2), dotRow(type, w + <usize>i * rb, x, n));
}

/** Bytes of weights per cache block of the matrix–matrix kernels (every prompt row passes over a block). */
export const BLOCK_BYTES: i32 = 65536;

/**
 * Blocked matrix–matrix product for prefill: out[t*d + i] = W[i,:]·x[t,:] for the `rows` prompt
 * rows t of x (`[rows][n]`) and the output rows i in [r0, r1).
 * Matches: reference/math.ts matmul per prompt row; equals `matvec` (and matmmSimple) per element
 * bit for bit. Weight rows are taken in blocks of ~64 KiB that stay in cache while every prompt row
 * passes over them; within a block, 2 weight rows × 4 prompt rows per register tile, the edges
 * with 1 × 4, 2 × 1 and 1 × 1 tiles.
 */
// @ts-ignore: decorator
@inline function matmmImpl(type: i32, out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(type, n);
  const xs = <usize>n << 2;
  const os = <usize>d << 2;
  const block = max<i32>(2, (<i32>(BLOCK_BYTES / <i32>rb) >> 1) << 1);
  for (let ib = r0; ib < r1; ib += block) {
    const ie = min<i32>(r1, ib + block);
    let t = 0;
    for (; t + 4 <= rows; t += 4) {
      const xt = x + <usize>t * xs;
      const ot = out + <usize>t * os;
      let i = ib;
      for (; i + 2 <= ie; i += 2) tile2x4(type, w + <usize>i * rb, rb, xt, xs, n, ot + (<usize>i << 2), os);
      if (i < ie) tile1x4(type, w + <usize>i * rb, rb, xt, xs, n, ot + (<usize>i << 2), os);
    }
    for (; t < rows; t++) {
      const xt = x + <usize>t * xs;
      const ot = out + <usize>t * os;
      let i = ib;
      for (; i + 2 <= ie; i += 2) tile2x1(type, w + <usize>i * rb, rb, xt, xs, n, ot + (<usize>i << 2), os);
      if (i < ie) store<f32>(ot + (<usize>i << 2), dotRow(type, w + <usize>i * rb, xt, n));
    }
  }
}

/** The simple matrix–matrix product: dotRow per element, row after row (what matmmImpl must equal). */
// @ts-ignore: decorator
@inline function matmmSimpleImpl(type: i32, out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(type, n);
  for (let t = 0; t < rows; t++) {
    const xt = x + <usize>t * (<usize>n << 2);
    const ot = out + <usize>t * (<usize>d << 2);
    for (let i = r0; i < r1; i++) store<f32>(ot + (<usize>i << 2), dotRow(type, w + <usize>i * rb, xt, n));
  }
}

// One export per weight type: `type` is then a constant inside each, and the optimizer removes
// the per-element type branches from the loops.
export function matvecF32(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F32, out, x, w, n, r0, r1); }
export function matvecF16(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F16, out, x, w, n, r0, r1); }
export function matmmF32(
  out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32
): void {
  matmmImpl(F32, out, x, w, n, d, rows, r0, r1);
}
export function matmmF16(
  out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32
): void {
  matmmImpl(F16, out, x, w, n, d, rows, r0, r1);
}
export function matmmSimpleF32(
  out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32
): void {
  matmmSimpleImpl(F32, out, x, w, n, d, rows, r0, r1);
}
export function matmmSimpleF16(
  out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32
): void {
  matmmSimpleImpl(F16, out, x, w, n, d, rows, r0, r1);
}
