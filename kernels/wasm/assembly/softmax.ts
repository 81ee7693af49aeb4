/** Softmax with a two-lane exp. Part of the kernels described in index.ts. */
// exp for softmax, two lanes at a time. Softmax takes exp of x − max ≤ 0 for every entry a
// KV head keeps, per query head and step: with AssemblyScript's scalar Math.exp that was about
// half of the attention kernel's time at a 7,600-token context.
const LOG2E: f64 = 1.4426950408889634;
// ln 2 split so that k · LN2_HI is exact for |k| < 2^11 (fdlibm's constants).
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/** Below this, exp(x) is not a normal float32 (and 2^k below would not be a normal double's scale either): scalar Math.exp. */
export const EXP_LANES_MIN: f64 = -87.0;

/**
 * exp of both f64 lanes of x, each in [EXP_LANES_MIN, 0]: x = k·ln 2 + r with |r| ≤ ln 2 / 2,
 * e^r by its Taylor series to r^13 (truncation < 2^-57 there), times 2^k built in the exponent
 * bits. Within 1 ulp of a double of V8's Math.exp (measured on 3 million points in [-87, 0]),
 * which rounds to the same float32 (none of those 3 million differed); AS's own Math.exp is no
 * closer. The softmax test holds it to reference/math.ts's.
 */
// @ts-ignore: decorator
@inline export function expLanes(x: v128): v128 {
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
