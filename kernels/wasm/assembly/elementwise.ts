/** Element-wise kernels: RMSNorm, RoPE, SwiGLU, the residual add. Part of the kernels described in index.ts. */

import { EXP_LANES_MIN, expLanes } from "./softmax";
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
  ropeQK(x, nHeads, 0, 0, headDim, pos, theta, 0, 0);
}

/**
 * rope on a row's query heads (q, nHeads) and key heads (k, nKvHeads) together: each angle's
 * pow/cos/sin once for both (the same values as two rope calls, bit for bit). `neox` ≠ 0 pairs
 * (x[j], x[j + headDim/2]) instead of (x[2j], x[2j+1]); `freqs` ≠ 0 points to headDim/2 float32
 * divisors of the angles (Llama 3.1+ rope_freqs). Matches: reference/math.ts rope with the same options.
 */
export function ropeQK(q: usize, nHeads: i32, k: usize, nKvHeads: i32, headDim: i32, pos: i32, theta: f64, neox: i32, freqs: usize): void {
  const halfDim = headDim >> 1;
  for (let j = 0; j < halfDim; j++) {
    const i = 2 * j;
    const freq = <f32>(1 / <f64><f32>Math.pow(theta, <f64>i / <f64>headDim));
    let angle = <f64><f32>(<f64>pos * <f64>freq);
    if (freqs != 0) angle = <f64><f32>(angle / <f64>load<f32>(freqs + (<usize>j << 2)));
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const a = neox ? j : i;
    const b = neox ? j + halfDim : i + 1;
    rotatePairs(q, nHeads, headDim, a, b, c, s);
    rotatePairs(k, nKvHeads, headDim, a, b, c, s);
  }
}

/** Rotates elements (a, b) of each of `nHeads` heads at x by the angle with cosine c and sine s (f64, as math.ts). */
// @ts-ignore: decorator
@inline function rotatePairs(x: usize, nHeads: i32, headDim: i32, a: i32, b: i32, c: f64, s: f64): void {
  for (let h = 0; h < nHeads; h++) {
    const pa = x + (<usize>(h * headDim + a) << 2);
    const pb = x + (<usize>(h * headDim + b) << 2);
    const x0 = <f64>load<f32>(pa);
    const x1 = <f64>load<f32>(pb);
    store<f32>(pa, <f32>(x0 * c - x1 * s));
    store<f32>(pb, <f32>(x0 * s + x1 * c));
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
