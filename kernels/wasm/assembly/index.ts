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

/** Four dequantized weights of an F16/F32 row starting at element j. */
// @ts-ignore: decorator
@inline function wvec(type: i32, row: usize, j: i32): v128 {
  return type == F32 ? v128.load(row + (<usize>j << 2)) : halves4(row + (<usize>j << 1));
}

// @ts-ignore: decorator
@inline function wscalar(type: i32, row: usize, j: i32): f32 {
  return type == F32 ? load<f32>(row + (<usize>j << 2)) : halfToF32(load<u16>(row + (<usize>j << 1)));
}

/** a + w·x, lane-wise (wasm SIMD has no fused multiply-add; this is the one rounding order used). */
// @ts-ignore: decorator
@inline function madd(a: v128, w: v128, x: v128): v128 {
  return f32x4.add(a, f32x4.mul(w, x));
}

/**
 * W[i]·x for one row, in the fixed order every product kernel uses: four accumulators over
 * 16-element steps (accumulator k takes elements j+4k..j+4k+3), combined as (a0+a1)+(a2+a3); then
 * 4-element steps; lanes summed as (l0+l1)+(l2+l3); then the scalar tail. Four independent chains
 * hide the add latency, and one row is streamed front to back (what the memory prefetcher likes —
 * measured 2× faster on the classifier than four interleaved rows).
 */
// @ts-ignore: decorator
@inline function dotRow(type: i32, row: usize, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const n16 = n & ~15;
  const n4 = n & ~3;
  for (let j = 0; j < n16; j += 16) {
    const xj = x + (<usize>j << 2);
    a0 = madd(a0, wvec(type, row, j), v128.load(xj));
    a1 = madd(a1, wvec(type, row, j + 4), v128.load(xj, 16));
    a2 = madd(a2, wvec(type, row, j + 8), v128.load(xj, 32));
    a3 = madd(a3, wvec(type, row, j + 12), v128.load(xj, 48));
  }
  let acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  for (let j = n16; j < n4; j += 4) acc = madd(acc, wvec(type, row, j), v128.load(x + (<usize>j << 2)));
  let sum = hsum(acc);
  for (let j = n4; j < n; j++) sum += wscalar(type, row, j) * load<f32>(x + (<usize>j << 2));
  return sum;
}

/**
 * W[i]·x0 and W[i]·x1 (two prompt rows) with each weight vector loaded and dequantized once,
 * each sum in exactly dotRow's order. Two rows × four accumulators = eight registers of sums,
 * which leaves room for the weights without spilling (x86-64 has sixteen vector registers).
 */
// @ts-ignore: decorator
@inline function dotRow2(type: i32, row: usize, x0: usize, x1: usize, n: i32, out0: usize, out1: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const n16 = n & ~15;
  const n4 = n & ~3;
  for (let j = 0; j < n16; j += 16) {
    const o = <usize>j << 2;
    const y0 = x0 + o, y1 = x1 + o;
    let w = wvec(type, row, j);
    a0 = madd(a0, w, v128.load(y0)); b0 = madd(b0, w, v128.load(y1));
    w = wvec(type, row, j + 4);
    a1 = madd(a1, w, v128.load(y0, 16)); b1 = madd(b1, w, v128.load(y1, 16));
    w = wvec(type, row, j + 8);
    a2 = madd(a2, w, v128.load(y0, 32)); b2 = madd(b2, w, v128.load(y1, 32));
    w = wvec(type, row, j + 12);
    a3 = madd(a3, w, v128.load(y0, 48)); b3 = madd(b3, w, v128.load(y1, 48));
  }
  let acc0 = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let acc1 = f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3));
  for (let j = n16; j < n4; j += 4) {
    const w = wvec(type, row, j);
    const o = <usize>j << 2;
    acc0 = madd(acc0, w, v128.load(x0 + o));
    acc1 = madd(acc1, w, v128.load(x1 + o));
  }
  let s0 = hsum(acc0), s1 = hsum(acc1);
  for (let j = n4; j < n; j++) {
    const ws = wscalar(type, row, j);
    const o = <usize>j << 2;
    s0 += ws * load<f32>(x0 + o);
    s1 += ws * load<f32>(x1 + o);
  }
  store<f32>(out0, s0);
  store<f32>(out1, s1);
}

/**
 * Matrix–vector product for output rows [r0, r1): out[i] = W[i,:]·x.
 * Matches: reference/math.ts matmul (which sums in f64; this sums in f32, see the file comment).
 */
// @ts-ignore: decorator
@inline function matvecImpl(type: i32, out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(type, n);
  for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), dotRow(type, w + <usize>i * rb, x, n));
}

/**
 * Blocked matrix–matrix product for prefill: out[t*d + i] = W[i,:]·x[t,:] for the `rows` prompt
 * rows t of x (`[rows][n]`) and the output rows i in [r0, r1).
 * Matches: reference/math.ts matmul per prompt row; equals `matvec` per row bit for bit.
 * Weight rows are taken in blocks small enough to stay in cache while every prompt row passes
 * over them (so the weights come from memory once per call, not once per row), and each weight
 * vector loaded (and dequantized) serves two prompt rows.
 */
// @ts-ignore: decorator
@inline function matmmImpl(type: i32, out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = rowBytes(type, n);
  const xs = <usize>n << 2;
  const os = <usize>d << 2;
  // ~64 KiB of weights per block (at least 4 rows).
  const block = max<i32>(4, <i32>(65536 / rb));
  for (let ib = r0; ib < r1; ib += block) {
    const ie = min<i32>(r1, ib + block);
    let t = 0;
    for (; t + 2 <= rows; t += 2) {
      const x0 = x + <usize>t * xs;
      const o0 = out + <usize>t * os;
      for (let i = ib; i < ie; i++) {
        const o = o0 + (<usize>i << 2);
        dotRow2(type, w + <usize>i * rb, x0, x0 + xs, n, o, o + os);
      }
    }
    // An odd last prompt row: alone, the same sum.
    for (; t < rows; t++) {
      const xt = x + <usize>t * xs;
      for (let i = ib; i < ie; i++) store<f32>(out + <usize>t * os + (<usize>i << 2), dotRow(type, w + <usize>i * rb, xt, n));
    }
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

/** W[i]·x for one Q8_0 row and a quantized input: per block, the exact integer sum times both scales. */
// @ts-ignore: decorator
@inline function dotRowQ8(row: usize, xq: usize, xd: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  const blocks = n >> 5;
  let b = 0;
  // Two accumulators (even and odd blocks) so consecutive blocks do not wait on each other.
  for (; b + 2 <= blocks; b += 2) {
    const blk = row + <usize>b * Q8_BLOCK_BYTES;
    a0 = madd(a0, f32x4.convert_i32x4_s(q8dot(blk, xq + (<usize>b << 6))), f32x4.splat(halfToF32(load<u16>(blk)) * load<f32>(xd + (<usize>b << 2))));
    const blk1 = blk + Q8_BLOCK_BYTES;
    a1 = madd(a1, f32x4.convert_i32x4_s(q8dot(blk1, xq + (<usize>(b + 1) << 6))), f32x4.splat(halfToF32(load<u16>(blk1)) * load<f32>(xd + (<usize>(b + 1) << 2))));
  }
  if (b < blocks) {
    const blk = row + <usize>b * Q8_BLOCK_BYTES;
    a0 = madd(a0, f32x4.convert_i32x4_s(q8dot(blk, xq + (<usize>b << 6))), f32x4.splat(halfToF32(load<u16>(blk)) * load<f32>(xd + (<usize>b << 2))));
  }
  return hsum(f32x4.add(a0, a1));
}

/**
 * Q8_0 matrix–vector product for output rows [r0, r1) over an input quantized by quantizeQ16.
 * Matches: reference/math.ts matmul over the dequantized weights, within the input's quantization
 * error (Σ_blocks Σ|w| · 0.51·d) plus float32 rounding.
 */
export function matvecQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, r0: i32, r1: i32): void {
  const rb = <usize>(n >> 5) * Q8_BLOCK_BYTES;
  for (let i = r0; i < r1; i++) store<f32>(out + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, xq, xd, n));
}

/**
 * Q8_0 blocked matrix–matrix product: out[t*d + i] = W[i,:]·x[t,:] for `rows` quantized input rows
 * and output rows [r0, r1). Equals matvecQ8 per row bit for bit (the same per-row function over
 * weight blocks kept in cache).
 */
export function matmmQ8(out: usize, xq: usize, xd: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void {
  const rb = <usize>(n >> 5) * Q8_BLOCK_BYTES;
  const qs = <usize>n << 1;
  const ds = <usize>(n >> 5) << 2;
  const os = <usize>d << 2;
  const block = max<i32>(4, <i32>(65536 / rb));
  for (let ib = r0; ib < r1; ib += block) {
    const ie = min<i32>(r1, ib + block);
    for (let t = 0; t < rows; t++) {
      const o = out + <usize>t * os;
      for (let i = ib; i < ie; i++) store<f32>(o + (<usize>i << 2), dotRowQ8(w + <usize>i * rb, xq + <usize>t * qs, xd + <usize>t * ds, n));
    }
  }
}

// One export per weight type: `type` is then a constant inside each, and the optimizer removes
// the per-element type branches from the loops.
export function matvecF32(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F32, out, x, w, n, r0, r1); }
export function matvecF16(out: usize, x: usize, w: usize, n: i32, r0: i32, r1: i32): void { matvecImpl(F16, out, x, w, n, r0, r1); }
export function matmmF32(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmImpl(F32, out, x, w, n, d, rows, r0, r1); }
export function matmmF16(out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32): void { matmmImpl(F16, out, x, w, n, d, rows, r0, r1); }

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
  for (let i = 0; i < headDim; i += 2) {
    const freq = <f32>(1 / <f64><f32>Math.pow(theta, <f64>i / <f64>headDim));
    const angle = <f64><f32>(<f64>pos * <f64>freq);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    for (let h = 0; h < nHeads; h++) {
      const at = x + (<usize>(h * headDim + i) << 2);
      const x0 = <f64>load<f32>(at);
      const x1 = <f64>load<f32>(at, 4);
      store<f32>(at, <f32>(x0 * c - x1 * s));
      store<f32>(at, <f32>(x0 * s + x1 * c), 4);
    }
  }
}

/**
 * h[i] = silu(h[i]) · u[i] over `n` entries, silu(v) = v / (1 + e^-v).
 * Matches: the SwiGLU line of reference/transformer.ts (math.ts silu), in the same f64 arithmetic.
 */
export function swiglu(h: usize, u: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
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

/**
 * In-place softmax of n float32 at x (max subtracted, exp and sum in f64).
 * Matches: reference/math.ts softmax (AS's Math.exp against V8's: last-bit differences of a double).
 */
export function softmax(x: usize, n: i32): void {
  let m: f32 = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > m) m = v;
  }
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = <f32>Math.exp(<f64>load<f32>(x + o) - <f64>m);
    store<f32>(x + o, e);
    sum += <f64>e;
  }
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, <f32>(<f64>load<f32>(x + o) / sum));
  }
}

/**
 * Attention of the `group` query heads of one KV head over its `len` kept entries.
 * q: `[group][headDim]`; keys, values: `[len][headDim]` (keys rotated); writes the softmax weights
 * to probs `[group][len]` and the mixed values to out `[group][headDim]`. headDim % 4 == 0.
 * Matches: the attention loop of reference/transformer.ts (scores q·k / sqrt(headDim), softmax,
 * Σ p·v): the dot products and the value mix sum in float32, the softmax is math.ts's.
 */
export function attend(q: usize, keys: usize, values: usize, len: i32, headDim: i32, group: i32, probs: usize, out: usize): void {
  const rowBytes = <usize>headDim << 2;
  const scale = Math.sqrt(<f64>headDim);
  for (let h = 0; h < group; h++) {
    const qh = q + <usize>h * rowBytes;
    const p = probs + (<usize>(h * len) << 2);
    // Two keys at a time: two independent accumulator chains; each score keeps dotRow's order.
    let t = 0;
    for (; t + 2 <= len; t += 2) {
      const k0 = keys + <usize>t * rowBytes;
      const k1 = k0 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      for (let i = 0; i < headDim; i += 4) {
        const qv = v128.load(qh + (<usize>i << 2));
        a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(k0 + (<usize>i << 2))));
        a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1 + (<usize>i << 2))));
      }
      store<f32>(p + (<usize>t << 2), <f32>(<f64>hsum(a0) / scale));
      store<f32>(p + (<usize>t << 2), <f32>(<f64>hsum(a1) / scale), 4);
    }
    for (; t < len; t++) {
      const k0 = keys + <usize>t * rowBytes;
      let a0 = f32x4.splat(0);
      for (let i = 0; i < headDim; i += 4) a0 = f32x4.add(a0, f32x4.mul(v128.load(qh + (<usize>i << 2)), v128.load(k0 + (<usize>i << 2))));
      store<f32>(p + (<usize>t << 2), <f32>(<f64>hsum(a0) / scale));
    }
    softmax(p, len);
    // out = Σ_t p[t] · v[t], four dimensions per vector, entries in order.
    const oh = out + <usize>h * rowBytes;
    for (let i = 0; i < headDim; i += 4) v128.store(oh + (<usize>i << 2), f32x4.splat(0));
    for (let t = 0; t < len; t++) {
      const pv = f32x4.splat(load<f32>(p + (<usize>t << 2)));
      const vt = values + <usize>t * rowBytes;
      for (let i = 0; i < headDim; i += 4) {
        const o = <usize>i << 2;
        v128.store(oh + o, f32x4.add(v128.load(oh + o), f32x4.mul(pv, v128.load(vt + o))));
      }
    }
  }
}
