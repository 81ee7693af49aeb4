/** Attention of one KV head's query group over its kept entries. Part of the kernels described in index.ts. */

import { hsum } from "./convert";
import { madd } from "./matmul";
import { softmax } from "./softmax";
/**
 * Attention of the `group` query heads of one KV head over its `len` kept entries: the same
 * results as attendSimple, bit for bit, with each key and value read from memory once for the
 * whole group instead of once per query head. Every score and every output dimension is summed
 * in attendSimple's order; only the loops are exchanged:
 * - scores: four keys at a time (1 KiB at head dim 64), every query head over those four keys
 *   while they are in L1;
 * - values: the entries in tiles of ~16 KiB; each head's output accumulators continue from memory
 *   at the start of a tile (a stored float32 reloads exactly, so the running sums are unchanged).
 * At a 7,600-token context a KV head's keys and values are ~3.9 MB, far above L2: attendSimple's
 * three passes for SmolLM2's groups of 3 read them from DRAM three times (measured: see
 * docs/benchmarks.md).
 */
export function attend(q: usize, keys: usize, values: usize, len: i32, headDim: i32, group: i32, probs: usize, out: usize): void {
  const rb = <usize>headDim << 2;
  const scale = Math.sqrt(<f64>headDim);
  const scales = f64x2.splat(scale);
  let t = 0;
  for (; t + 4 <= len; t += 4) {
    const k0 = keys + <usize>t * rb;
    for (let h = 0; h < group; h++) scores4(q + <usize>h * rb, k0, rb, scales, probs + (<usize>(h * len + t) << 2));
  }
  for (; t < len; t++) {
    const k0 = keys + <usize>t * rb;
    for (let h = 0; h < group; h++) store<f32>(probs + (<usize>(h * len + t) << 2), score1(q + <usize>h * rb, k0, rb, scale));
  }
  for (let h = 0; h < group; h++) softmax(probs + (<usize>(h * len) << 2), len);
  for (let o: usize = 0; o < <usize>group * rb; o += 16) v128.store(out + o, f32x4.splat(0));
  const tile = max<i32>(4, <i32>(16384 / rb));
  for (let t0 = 0; t0 < len; t0 += tile) {
    const t1 = min<i32>(len, t0 + tile);
    for (let h = 0; h < group; h++) mix(probs + (<usize>(h * len) << 2), values, t0, t1, rb, out + <usize>h * rb);
  }
}

/**
 * The scaled scores q·k / sqrt(headDim) of four consecutive keys from k0, to p[0..3]: per key
 * dotRow's order, and its lanes' sum (l0+l1)+(l2+l3) for the four keys at once (a 4 × 4 transpose,
 * then two adds), the division in f64 two lanes at a time: the bits of hsum and a scalar divide.
 */
// @ts-ignore: decorator
@inline function scores4(qh: usize, k0: usize, rb: usize, scale: v128, p: usize): void {
  const k1 = k0 + rb, k2 = k1 + rb, k3 = k2 + rb;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let o: usize = 0; o < rb; o += 16) {
    const qv = v128.load(qh + o);
    a0 = madd(a0, qv, v128.load(k0 + o));
    a1 = madd(a1, qv, v128.load(k1 + o));
    a2 = madd(a2, qv, v128.load(k2 + o));
    a3 = madd(a3, qv, v128.load(k3 + o));
  }
  const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
  const l0 = i64x2.shuffle(t0, t2, 0, 2), l1 = i64x2.shuffle(t0, t2, 1, 3);
  const l2 = i64x2.shuffle(t1, t3, 0, 2), l3 = i64x2.shuffle(t1, t3, 1, 3);
  const sums = f32x4.add(f32x4.add(l0, l1), f32x4.add(l2, l3));
  const lo = f32x4.demote_f64x2_zero(f64x2.div(f64x2.promote_low_f32x4(sums), scale));
  const hi = f32x4.demote_f64x2_zero(f64x2.div(f64x2.promote_low_f32x4(i64x2.shuffle(sums, sums, 1, 0)), scale));
  v128.store(p, i64x2.shuffle(lo, hi, 0, 2));
}

/** One key's scaled score (scores4 on one key). */
// @ts-ignore: decorator
@inline function score1(qh: usize, k0: usize, rb: usize, scale: f64): f32 {
  let a0 = f32x4.splat(0);
  for (let o: usize = 0; o < rb; o += 16) a0 = madd(a0, v128.load(qh + o), v128.load(k0 + o));
  return <f32>(<f64>hsum(a0) / scale);
}

/**
 * oh[dim] += Σ_{t0 ≤ t < t1} p[t]·v[t][dim], entries in order, continuing the sums stored in oh:
 * 48, 32, 16, then 4 dimensions at a time held in registers over one tile.
 */
// @ts-ignore: decorator
@inline function mix(p: usize, values: usize, t0: i32, t1: i32, rb: usize, oh: usize): void {
  let o: usize = 0;
  for (; o + 192 <= rb; o += 192) mixDims(12, p, values, t0, t1, rb, oh + o, o);
  for (; o + 128 <= rb; o += 128) mixDims(8, p, values, t0, t1, rb, oh + o, o);
  for (; o + 64 <= rb; o += 64) mixDims(4, p, values, t0, t1, rb, oh + o, o);
  for (; o < rb; o += 16) {
    let m0 = v128.load(oh + o);
    for (let t = t0; t < t1; t++) m0 = madd(m0, f32x4.splat(load<f32>(p + (<usize>t << 2))), v128.load(values + <usize>t * rb + o));
    v128.store(oh + o, m0);
  }
}

/**
 * mix for 4·`vectors` dimensions from byte `o` of each value (vectors 4, 8 or 12, a constant
 * after inlining, so the unused accumulators fold away): one register per four dimensions across
 * the tile's entries, read from and written back to `at`.
 */
// @ts-ignore: decorator
@inline function mixDims(vectors: i32, p: usize, values: usize, t0: i32, t1: i32, rb: usize, at: usize, o: usize): void {
  const wide = vectors >= 8, widest = vectors == 12;
  let m0 = v128.load(at, 0), m1 = v128.load(at, 16), m2 = v128.load(at, 32), m3 = v128.load(at, 48);
  let m4 = wide ? v128.load(at, 64) : m0, m5 = wide ? v128.load(at, 80) : m0;
  let m6 = wide ? v128.load(at, 96) : m0, m7 = wide ? v128.load(at, 112) : m0;
  let m8 = widest ? v128.load(at, 128) : m0, m9 = widest ? v128.load(at, 144) : m0;
  let m10 = widest ? v128.load(at, 160) : m0, m11 = widest ? v128.load(at, 176) : m0;
  for (let t = t0; t < t1; t++) {
    const pv = f32x4.splat(load<f32>(p + (<usize>t << 2)));
    const vt = values + <usize>t * rb + o;
    m0 = madd(m0, pv, v128.load(vt, 0));
    m1 = madd(m1, pv, v128.load(vt, 16));
    m2 = madd(m2, pv, v128.load(vt, 32));
    m3 = madd(m3, pv, v128.load(vt, 48));
    if (wide) {
      m4 = madd(m4, pv, v128.load(vt, 64));
      m5 = madd(m5, pv, v128.load(vt, 80));
      m6 = madd(m6, pv, v128.load(vt, 96));
      m7 = madd(m7, pv, v128.load(vt, 112));
    }
    if (widest) {
      m8 = madd(m8, pv, v128.load(vt, 128));
      m9 = madd(m9, pv, v128.load(vt, 144));
      m10 = madd(m10, pv, v128.load(vt, 160));
      m11 = madd(m11, pv, v128.load(vt, 176));
    }
  }
  v128.store(at, m0, 0); v128.store(at, m1, 16); v128.store(at, m2, 32); v128.store(at, m3, 48);
  if (wide) { v128.store(at, m4, 64); v128.store(at, m5, 80); v128.store(at, m6, 96); v128.store(at, m7, 112); }
  if (widest) { v128.store(at, m8, 128); v128.store(at, m9, 144); v128.store(at, m10, 160); v128.store(at, m11, 176); }
}

/**
 * The simple attention of the `group` query heads of one KV head over its `len` kept entries, one
 * query head after another: what attend must equal, bit for bit.
 * q: `[group][headDim]`; keys, values: `[len][headDim]` (keys rotated); writes the softmax weights
 * to probs `[group][len]` and the mixed values to out `[group][headDim]`. headDim % 4 == 0.
 * Matches: the attention loop of reference/transformer.ts (scores q·k / sqrt(headDim), softmax,
 * Σ p·v): the dot products and the value mix sum in float32, the softmax is math.ts's.
 * Each score is summed in dotRow's order (one accumulator over 4-element steps, lanes
 * (l0+l1)+(l2+l3), hsum), one key at a time; each output dimension sums p[t]·v[t] over t in order,
 * up to 48 dimensions held in registers across the entries (mix over all entries at once; until
 * 2026-12-02 the output was read and written back in memory for every entry — the same sums, bit
 * for bit, 2–3× slower).
 */
export function attendSimple(q: usize, keys: usize, values: usize, len: i32, headDim: i32, group: i32, probs: usize, out: usize): void {
  const rb = <usize>headDim << 2;
  const scale = Math.sqrt(<f64>headDim);
  for (let h = 0; h < group; h++) {
    const qh = q + <usize>h * rb;
    const p = probs + (<usize>(h * len) << 2);
    for (let t = 0; t < len; t++) store<f32>(p + (<usize>t << 2), score1(qh, keys + <usize>t * rb, rb, scale));
    softmax(p, len);
    const oh = out + <usize>h * rb;
    for (let o: usize = 0; o < rb; o += 16) v128.store(oh + o, f32x4.splat(0));
    mix(p, values, 0, len, rb, oh);
  }
}
