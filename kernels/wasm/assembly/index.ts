/**
 * The wasm backend's kernels (AssemblyScript → WebAssembly SIMD, built by kernels/wasm/build.mjs).
 *
 * Every kernel works on raw pointers into the one linear memory the host (kernels/wasm/backend.ts)
 * imports and manages; nothing here allocates. Each kernel's comment names the reference function
 * it must match (llm.c dev/cuda style) and how closely:
 *
 * - rmsnorm, rope, swiglu and softmax do their arithmetic in f64 exactly as reference/math.ts
 *   does in JS numbers, storing float32 where the reference stores into a Float32Array;
 * - matrix products accumulate in float32 (f32x4). One output element is always summed in the
 *   same order (dotRow) whether it comes from a matrix–vector product, a blocked matrix–matrix
 *   product, one thread or several. So prefill equals per-token forward bit for bit, and the
 *   result does not depend on how rows are split between threads.
 * - F16 weights are converted to float32 inside the kernel (exactly, as gguf.ts's readTensor
 *   does: every half is a float32) and then summed like F32, so an F16 product equals the F32
 *   product over the dequantized weights bit for bit.
 * - Q8_0 weights are multiplied as integers, as llama.cpp does: the input vector is quantized per
 *   block of 32 to int16 with a float32 scale (quantizeQ16; llama.cpp uses int8 — int16 keeps the
 *   input's error below 2^-16 of each block's largest value), each block's int8·int16 products
 *   are summed exactly in int32 (i32x4.dot_i16x8_s), and the block sum is scaled by the weight's
 *   f16 scale times the input's scale. About 2.5× fewer instructions than converting every weight
 *   to float32. The price is that error bound on the input, stated and tested in test/wasm.
 *
 * Weight types are ggml's ids: F32 = 0, F16 = 1, Q8_0 = 8 (blocks of an f16 scale and 32 int8).
 */

const F32: i32 = 0;
const F16: i32 = 1;
const Q8_0: i32 = 8;
const Q8_BLOCK_BYTES: i32 = 34;

/** Where the host may start allocating (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** (l0 + l1) + (l2 + l3): the fixed lane order every dot product ends with. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * IEEE half → float, exact (matches gguf.ts halfToFloat). The magnitude bits shifted into a
 * float's place read as 2^-112 times the value (normals and subnormals alike), so one multiply by
 * 2^112 rescales them; an all-ones exponent (inf/NaN) gets the float's all-ones exponent.
 */
// @ts-ignore: decorator
@inline function halfToF32(h: u32): f32 {
  let bits = reinterpret<u32>(reinterpret<f32>((h & 0x7fff) << 13) * reinterpret<f32>(0x77800000)); // × 2^112
  if ((h & 0x7c00) == 0x7c00) bits |= 0x7f800000;
  return reinterpret<f32>(bits | ((h & 0x8000) << 16));
}

/** Four halves at `ptr` → f32x4, the same conversion as halfToF32 lane by lane. */
// @ts-ignore: decorator
@inline function halves4(ptr: usize): v128 {
  const h = v128.load16x4_u(ptr);
  const mag = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const inf = v128.and(i32x4.eq(v128.and(h, i32x4.splat(0x7c00)), i32x4.splat(0x7c00)), i32x4.splat(0x7f800000));
  return v128.or(v128.or(mag, inf), i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** Bytes of one row of `n` weights of type `type`. */
// @ts-ignore: decorator
@inline function rowBytes(type: i32, n: i32): usize {
  return type == F32 ? <usize>n << 2 : type == F16 ? <usize>n << 1 : <usize>(n >> 5) * Q8_BLOCK_BYTES;
}

/**
 * Row `row` of an `[rows][n]` weight matrix as float32 into `out` (the token embedding lookup).
 * Matches: gguf.ts readTensor (the dequantized `tokenEmbedding` row), exactly.
 */
export function dequantRow(type: i32, w: usize, row: i32, n: i32, out: usize): void {
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

// ---------------------------------------------------------------------------------------------
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
@inline function madd(a: v128, w: v128, x: v128): v128 {
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
const BLOCK_BYTES: i32 = 65536;

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

// ---------------------------------------------------------------------------------------------
// Q8_0 products over a block-quantized input (see the file comment)

/**
 * Quantizes `rows` rows of n float32 (n a multiple of 32) per block of 32: q = round(x / d) as
 * int16 with d = max|x| / 32767 over the block, written to `xq` (`[rows][n]` int16) and the scales
 * d to `xd` (`[rows][n/32]` float32). |x - q·d| ≤ 0.51·d for every element (d/2, plus the
 * float32 rounding of x·(1/d), at most 32767·2^-23·d).
 */
export function quantizeQ16(x: usize, n: i32, rows: i32, xq: usize, xd: usize): void {
  const blocks = rows * (n >> 5);
  for (let b = 0; b < blocks; b++) {
    const xb = x + (<usize>b << 7);
    let m = f32x4.splat(0);
    for (let k = 0; k < 8; k++) m = f32x4.max(m, f32x4.abs(v128.load(xb + (<usize>k << 4))));
    const amax = max<f32>(max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    const d: f32 = amax / 32767;
    store<f32>(xd + (<usize>b << 2), d);
    const inv = f32x4.splat(d == 0 ? 0 : <f32>1 / d);
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
    acc = madd(acc, f32x4.convert_i32x4_s(q8dot(blk, xq + (<usize>b << 6))), f32x4.splat(halfToF32(load<u16>(blk)) * load<f32>(xd + (<usize>b << 2))));
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

/** dotRowQ8 for four rows far apart (see dotRowFar4): four chains sharing each input block. */
// @ts-ignore: decorator
@inline function dotRowQ8Far4(r0: usize, r1: usize, r2: usize, r3: usize, xq: usize, xd: usize, blocks: i32, out: usize, q: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wo = <usize>b * Q8_BLOCK_BYTES;
    const xo = xq + (<usize>b << 6);
    const s = load<f32>(xd + (<usize>b << 2));
    a0 = madd(a0, f32x4.convert_i32x4_s(q8dot(r0 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r0 + wo)) * s));
    a1 = madd(a1, f32x4.convert_i32x4_s(q8dot(r1 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r1 + wo)) * s));
    a2 = madd(a2, f32x4.convert_i32x4_s(q8dot(r2 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r2 + wo)) * s));
    a3 = madd(a3, f32x4.convert_i32x4_s(q8dot(r3 + wo, xo)), f32x4.splat(halfToF32(load<u16>(r3 + wo)) * s));
  }
  store<f32>(out, hsum(a0)); store<f32>(out + q, hsum(a1)); store<f32>(out + 2 * q, hsum(a2)); store<f32>(out + 3 * q, hsum(a3));
}

/**
 * Q8_0 matrix–vector product for output rows [r0, r1) over an input quantized by quantizeQ16
 * (four quarters side by side, as matvecImpl).
 * Matches: reference/math.ts matmul over the dequantized weights, within the input's quantization
 * error (Σ_blocks Σ|w| · 0.51·d) plus float32 rounding.
 */
export function matvecQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const blocks = n >> 5;
  const rb = <usize>blocks * Q8_BLOCK_BYTES;
  const q = (r1 - r0) >> 2;
  const qb = <usize>q * rb;
  for (let i = r0; i < r0 + q; i++) {
    const r = w + <usize>i * rb;
    dotRowQ8Far4(r, r + qb, r + 2 * qb, r + 3 * qb, xq, xd, blocks, out + (<usize>i << 2), <usize>q << 2);
  }
  for (let i = r0 + 4 * q; i < r1; i++) store<f32>(out + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, xq, xd, n));
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
    for (let i = r0; i < r1; i++) store<f32>(o + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, xq + <usize>t * (<usize>n << 1), xd + <usize>t * (<usize>(n >> 5) << 2), n));
  }
}

// One export per weight type: `type` is then a constant inside each, and the optimizer removes
// the per-element type branches from the loops.
export function matvecF32(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F32, out, x, w, n, r0, r1); }
export function matvecF16(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F16, out, x, w, n, r0, r1); }
export function matmmF32(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmImpl(F32, out, x, w, n, d, rows, r0, r1); }
export function matmmF16(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmImpl(F16, out, x, w, n, d, rows, r0, r1); }
export function matmmSimpleF32(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmSimpleImpl(F32, out, x, w, n, d, rows, r0, r1); }
export function matmmSimpleF16(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmSimpleImpl(F16, out, x, w, n, d, rows, r0, r1); }

// ---------------------------------------------------------------------------------------------
// Element-wise kernels (rows × width, so prefill runs them over all prompt rows in one call)

/**
 * out = weight ⊙ x / sqrt(mean(x²) + eps) for each of `rows` rows of width n (out may be x).
 * Matches: reference/math.ts rmsnorm, bit for bit (the same f64 arithmetic).
 */
export function rmsnorm(out: usize, x: usize, weight: usize, n: i32, rows: i32, eps: f64): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * n) << 2);
    const or = out + (<usize>(r * n) << 2);
    let ss: f64 = 0;
    for (let j = 0; j < n; j++) {
      const v = <f64>load<f32>(xr + (<usize>j << 2));
      ss += v * v;
    }
    const scale = 1 / Math.sqrt(ss / n + eps);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(or + o, <f32>(<f64>load<f32>(weight + o) * (scale * <f64>load<f32>(xr + o))));
    }
  }
}

/**
 * Rotary position embedding on adjacent pairs of `nHeads` heads of `headDim` at `x`, position `pos`.
 * Matches: reference/math.ts rope (the angle in float32 as there, the rotation in f64; AS's
 * Math.pow/cos/sin may differ from V8's in the last bit of a double, which rounds away to float32).
 */
export function rope(x: usize, nHeads: i32, headDim: i32, pos: i32, theta: f64): void {
  ropeQK(x, nHeads, 0, 0, headDim, pos, theta);
}

/**
 * rope on a row's query heads (q, nHeads) and key heads (k, nKvHeads) together: each angle's
 * pow/cos/sin once for both (the same values as two rope calls, bit for bit).
 */
export function ropeQK(q: usize, nHeads: i32, k: usize, nKvHeads: i32, headDim: i32, pos: i32, theta: f64): void {
  for (let i = 0; i < headDim; i += 2) {
    const freq = <f32>(1 / <f64><f32>Math.pow(theta, <f64>i / <f64>headDim));
    const angle = <f64><f32>(<f64>pos * <f64>freq);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    rotatePairs(q, nHeads, headDim, i, c, s);
    rotatePairs(k, nKvHeads, headDim, i, c, s);
  }
}

/** Rotates pair (i, i+1) of each of `nHeads` heads at x by the angle with cosine c and sine s (f64, as math.ts). */
// @ts-ignore: decorator
@inline function rotatePairs(x: usize, nHeads: i32, headDim: i32, i: i32, c: f64, s: f64): void {
  for (let h = 0; h < nHeads; h++) {
    const at = x + (<usize>(h * headDim + i) << 2);
    const x0 = <f64>load<f32>(at);
    const x1 = <f64>load<f32>(at, 4);
    store<f32>(at, <f32>(x0 * c - x1 * s));
    store<f32>(at, <f32>(x0 * s + x1 * c), 4);
  }
}

/**
 * h[i] = silu(h[i]) · u[i] over `n` entries, silu(v) = v / (1 + e^-v).
 * Matches: the SwiGLU line of reference/transformer.ts (math.ts silu), in the same f64 arithmetic,
 * with e^-v from expLanes (two lanes at a time, |v| ≤ 87; else scalar Math.exp): within the last
 * bit of a double of V8's, which rounds to the same float32 (the test compares bytes).
 */
export function swiglu(h: usize, u: usize, n: i32): void {
  let i = 0;
  const one = f64x2.splat(1);
  const lim = f64x2.splat(-EXP_LANES_MIN);
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    const v = f64x2.promote_low_f32x4(v128.load64_zero(h + o));
    if (i64x2.all_true(f64x2.le(f64x2.abs(v), lim))) {
      const silu = f64x2.div(v, f64x2.add(one, expLanes(f64x2.neg(v))));
      const out = f64x2.mul(silu, f64x2.promote_low_f32x4(v128.load64_zero(u + o)));
      v128.store64_lane(h + o, f32x4.demote_f64x2_zero(out), 0);
    } else {
      // Out of expLanes' range (or NaN): this pair with the scalar exp.
      for (let j: usize = 0; j < 8; j += 4) {
        const x = <f64>load<f32>(h + o + j);
        store<f32>(h + o + j, <f32>((x / (1 + Math.exp(-x))) * <f64>load<f32>(u + o + j)));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = <f64>load<f32>(h + o);
    store<f32>(h + o, <f32>((v / (1 + Math.exp(-v))) * <f64>load<f32>(u + o)));
  }
}

/** x[i] += y[i] over n entries (the residual adds of reference/transformer.ts, float32 adds). */
export function addInPlace(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

// exp for softmax, two lanes at a time. Softmax takes exp of x − max ≤ 0 for every entry a
// KV head keeps, per query head and step: with AssemblyScript's scalar Math.exp that was about
// half of the attention kernel's time at a 7,600-token context.
const LOG2E: f64 = 1.4426950408889634;
// ln 2 split so that k · LN2_HI is exact for |k| < 2^11 (fdlibm's constants).
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/** Below this, exp(x) is not a normal float32 (and 2^k below would not be a normal double's scale either): scalar Math.exp. */
const EXP_LANES_MIN: f64 = -87.0;

/**
 * exp of both f64 lanes of x, each in [EXP_LANES_MIN, 0]: x = k·ln 2 + r with |r| ≤ ln 2 / 2,
 * e^r by its Taylor series to r^13 (truncation < 2^-57 there), times 2^k built in the exponent
 * bits. Within 1 ulp of a double of V8's Math.exp (measured on 3 million points in [-87, 0]),
 * which rounds to the same float32 (none of those 3 million differed); AS's own Math.exp is no
 * closer. The softmax test holds it to reference/math.ts's.
 */
// @ts-ignore: decorator
@inline function expLanes(x: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  // Horner over 1/n!, n = 13 down to 0.
  let p = f64x2.splat(1.0 / 6227020800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 479001600.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 39916800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  // 2^k: k + 1023 in a double's exponent field (k ≥ -126 here).
  const k64 = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return f64x2.mul(p, i64x2.shl(i64x2.add(k64, i64x2.splat(1023)), 52));
}

/**
 * In-place softmax of n float32 at x (max subtracted, exp and sum in f64, summed in order).
 * Matches: reference/math.ts softmax, within the last bit of a double in each exp (expLanes;
 * scalar Math.exp below EXP_LANES_MIN and for NaN), so float32 results agree but for a rare
 * rounding; the test allows 1 float32 ulp.
 */
export function softmax(x: usize, n: i32): void {
  let m: f32 = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > m) m = v;
  }
  const mf = <f64>m;
  const mv = f64x2.splat(mf);
  let sum: f64 = 0;
  let i = 0;
  // Four entries a step: two independent exps in flight (the polynomial is a long dependency chain).
  for (; i + 4 <= n; i += 4) {
    const o = x + (<usize>i << 2);
    const v = v128.load(o);
    const lo = f64x2.sub(f64x2.promote_low_f32x4(v), mv);
    const hi = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), mv);
    let e: v128;
    if (i64x2.all_true(v128.and(f64x2.ge(lo, f64x2.splat(EXP_LANES_MIN)), f64x2.ge(hi, f64x2.splat(EXP_LANES_MIN))))) {
      const el = f32x4.demote_f64x2_zero(expLanes(lo));
      const eh = f32x4.demote_f64x2_zero(expLanes(hi));
      e = i32x4.shuffle(el, eh, 0, 1, 4, 5);
    } else {
      e = f32x4.splat(0);
      e = f32x4.replace_lane(e, 0, <f32>Math.exp(f64x2.extract_lane(lo, 0)));
      e = f32x4.replace_lane(e, 1, <f32>Math.exp(f64x2.extract_lane(lo, 1)));
      e = f32x4.replace_lane(e, 2, <f32>Math.exp(f64x2.extract_lane(hi, 0)));
      e = f32x4.replace_lane(e, 3, <f32>Math.exp(f64x2.extract_lane(hi, 1)));
    }
    v128.store(o, e);
    sum += <f64>f32x4.extract_lane(e, 0);
    sum += <f64>f32x4.extract_lane(e, 1);
    sum += <f64>f32x4.extract_lane(e, 2);
    sum += <f64>f32x4.extract_lane(e, 3);
  }
  for (; i < n; i++) {
    const o = x + (<usize>i << 2);
    const e = <f32>Math.exp(<f64>load<f32>(o) - mf);
    store<f32>(o, e);
    sum += <f64>e;
  }
  // Each entry / sum in f64, rounded to float32: two lanes at a time (the same IEEE division).
  const sv = f64x2.splat(sum);
  i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = x + (<usize>i << 2);
    const q = f64x2.div(f64x2.promote_low_f32x4(v128.load64_zero(o)), sv);
    v128.store64_lane(o, f32x4.demote_f64x2_zero(q), 0);
  }
  if (i < n) {
    const o = x + (<usize>i << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) / sum));
  }
}

/**
 * Attention of the `group` query heads of one KV head over its `len` kept entries.
 * q: `[group][headDim]`; keys, values: `[len][headDim]` (keys rotated); writes the softmax weights
 * to probs `[group][len]` and the mixed values to out `[group][headDim]`. headDim % 4 == 0.
 * Matches: the attention loop of reference/transformer.ts (scores q·k / sqrt(headDim), softmax,
 * Σ p·v): the dot products and the value mix sum in float32, the softmax is math.ts's.
 * Each score is summed in dotRow's order (one accumulator over 4-element steps, lanes
 * (l0+l1)+(l2+l3)), four keys side by side; each output dimension sums p[t]·v[t] over t in order,
 * up to 48 dimensions held in registers across the entries (until 2026-12-02 the output was
 * read and written back in memory for every entry — the same sums, bit for bit, 2–3× slower).
 */
export function attend(q: usize, keys: usize, values: usize, len: i32, headDim: i32, group: i32, probs: usize, out: usize): void {
  const rb = <usize>headDim << 2;
  const scale = Math.sqrt(<f64>headDim);
  for (let h = 0; h < group; h++) {
    const qh = q + <usize>h * rb;
    const p = probs + (<usize>(h * len) << 2);
    let t = 0;
    for (; t + 4 <= len; t += 4) {
      const k0 = keys + <usize>t * rb;
      const k1 = k0 + rb, k2 = k1 + rb, k3 = k2 + rb;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let o: usize = 0; o < rb; o += 16) {
        const qv = v128.load(qh + o);
        a0 = madd(a0, qv, v128.load(k0 + o));
        a1 = madd(a1, qv, v128.load(k1 + o));
        a2 = madd(a2, qv, v128.load(k2 + o));
        a3 = madd(a3, qv, v128.load(k3 + o));
      }
      const pt = p + (<usize>t << 2);
      store<f32>(pt, <f32>(<f64>hsum(a0) / scale));
      store<f32>(pt, <f32>(<f64>hsum(a1) / scale), 4);
      store<f32>(pt, <f32>(<f64>hsum(a2) / scale), 8);
      store<f32>(pt, <f32>(<f64>hsum(a3) / scale), 12);
    }
    for (; t < len; t++) {
      const k0 = keys + <usize>t * rb;
      let a0 = f32x4.splat(0);
      for (let o: usize = 0; o < rb; o += 16) a0 = madd(a0, v128.load(qh + o), v128.load(k0 + o));
      store<f32>(p + (<usize>t << 2), <f32>(<f64>hsum(a0) / scale));
    }
    softmax(p, len);
    // out = Σ_t p[t] · v[t]: 48, 32, 16, then 4 dimensions at a time in registers, entries in order.
    const oh = out + <usize>h * rb;
    let o: usize = 0;
    for (; o + 192 <= rb; o += 192) {
      let m0 = f32x4.splat(0), m1 = f32x4.splat(0), m2 = f32x4.splat(0), m3 = f32x4.splat(0), m4 = f32x4.splat(0), m5 = f32x4.splat(0), m6 = f32x4.splat(0), m7 = f32x4.splat(0), m8 = f32x4.splat(0), m9 = f32x4.splat(0), m10 = f32x4.splat(0), m11 = f32x4.splat(0);
      for (let t = 0; t < len; t++) {
        const pv = f32x4.splat(load<f32>(p + (<usize>t << 2)));
        const vt = values + <usize>t * rb + o;
        m0 = madd(m0, pv, v128.load(vt, 0));
        m1 = madd(m1, pv, v128.load(vt, 16));
        m2 = madd(m2, pv, v128.load(vt, 32));
        m3 = madd(m3, pv, v128.load(vt, 48));
        m4 = madd(m4, pv, v128.load(vt, 64));
        m5 = madd(m5, pv, v128.load(vt, 80));
        m6 = madd(m6, pv, v128.load(vt, 96));
        m7 = madd(m7, pv, v128.load(vt, 112));
        m8 = madd(m8, pv, v128.load(vt, 128));
        m9 = madd(m9, pv, v128.load(vt, 144));
        m10 = madd(m10, pv, v128.load(vt, 160));
        m11 = madd(m11, pv, v128.load(vt, 176));
      }
      v128.store(oh + o, m0, 0);
      v128.store(oh + o, m1, 16);
      v128.store(oh + o, m2, 32);
      v128.store(oh + o, m3, 48);
      v128.store(oh + o, m4, 64);
      v128.store(oh + o, m5, 80);
      v128.store(oh + o, m6, 96);
      v128.store(oh + o, m7, 112);
      v128.store(oh + o, m8, 128);
      v128.store(oh + o, m9, 144);
      v128.store(oh + o, m10, 160);
      v128.store(oh + o, m11, 176);
    }
    for (; o + 128 <= rb; o += 128) {
      let m0 = f32x4.splat(0), m1 = f32x4.splat(0), m2 = f32x4.splat(0), m3 = f32x4.splat(0), m4 = f32x4.splat(0), m5 = f32x4.splat(0), m6 = f32x4.splat(0), m7 = f32x4.splat(0);
      for (let t = 0; t < len; t++) {
        const pv = f32x4.splat(load<f32>(p + (<usize>t << 2)));
        const vt = values + <usize>t * rb + o;
        m0 = madd(m0, pv, v128.load(vt, 0));
        m1 = madd(m1, pv, v128.load(vt, 16));
        m2 = madd(m2, pv, v128.load(vt, 32));
        m3 = madd(m3, pv, v128.load(vt, 48));
        m4 = madd(m4, pv, v128.load(vt, 64));
        m5 = madd(m5, pv, v128.load(vt, 80));
        m6 = madd(m6, pv, v128.load(vt, 96));
        m7 = madd(m7, pv, v128.load(vt, 112));
      }
      v128.store(oh + o, m0, 0);
      v128.store(oh + o, m1, 16);
      v128.store(oh + o, m2, 32);
      v128.store(oh + o, m3, 48);
      v128.store(oh + o, m4, 64);
      v128.store(oh + o, m5, 80);
      v128.store(oh + o, m6, 96);
      v128.store(oh + o, m7, 112);
    }
    for (; o + 64 <= rb; o += 64) {
      let m0 = f32x4.splat(0), m1 = f32x4.splat(0), m2 = f32x4.splat(0), m3 = f32x4.splat(0);
      for (let t = 0; t < len; t++) {
        const pv = f32x4.splat(load<f32>(p + (<usize>t << 2)));
        const vt = values + <usize>t * rb + o;
        m0 = madd(m0, pv, v128.load(vt));
        m1 = madd(m1, pv, v128.load(vt, 16));
        m2 = madd(m2, pv, v128.load(vt, 32));
        m3 = madd(m3, pv, v128.load(vt, 48));
      }
      v128.store(oh + o, m0);
      v128.store(oh + o, m1, 16);
      v128.store(oh + o, m2, 32);
      v128.store(oh + o, m3, 48);
    }
    for (; o < rb; o += 16) {
      let m0 = f32x4.splat(0);
      for (let t = 0; t < len; t++) m0 = madd(m0, f32x4.splat(load<f32>(p + (<usize>t << 2))), v128.load(values + <usize>t * rb + o));
      v128.store(oh + o, m0);
    }
  }
}
