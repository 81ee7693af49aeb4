import type { PolicyComponent } from "../policy.ts";

/**
 * Marks `keep[e] = 1` for the `k` entries with the largest score; equal scores → the more recent
 * position wins (spec §7). The ranking covers every entry, whatever else keeps it (spec §12.5).
 *
 * Runs once per (layer, KV head) per decode step, so it avoids a sort and allocations: the k-th
 * largest score `t` is found by selection (O(length) on average) in a reused scratch copy; every
 * entry above `t` is kept, and the entries at `t` fill the remaining places, the largest positions
 * first. That is exactly the top k of the order (score desc, position desc) —
 * test/fastgen/top-k.test.ts holds it to the plain sort.
 */
export function markTopK(scores: ArrayLike<number>, positions: ArrayLike<number>, length: number, k: number, keep: Uint8Array): void {
  if (k >= length) {
    keep.fill(1, 0, length); // everything fits: no ranking needed
    return;
  }
  if (k <= 0) return;
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length));
  for (let e = 0; e < length; e++) scratch[e] = scores[e]!;
  const t = kthLargest(scratch, length, k);
  let room = k;
  let ties = 0;
  for (let e = 0; e < length; e++) {
    const s = scores[e]!;
    if (s > t) {
      keep[e] = 1;
      room--;
    } else if (s === t) ties++;
  }
  if (ties <= room) {
    for (let e = 0; e < length && room > 0; e++) {
      if (scores[e] === t) {
        keep[e] = 1;
        room--;
      }
    }
    return;
  }
  // More ties than places (rare: equal cumulative scores): the most recent positions win.
  const at: number[] = [];
  for (let e = 0; e < length; e++) if (scores[e] === t) at.push(e);
  at.sort((a, b) => positions[b]! - positions[a]!);
  for (let i = 0; i < room; i++) keep[at[i]!] = 1;
}

/** The selection's scratch copy of the scores (reused: one decode step ranks every KV head). */
let scratch = new Float64Array(256);

/** Indices of the `k` entries {@link markTopK} keeps (a set, in increasing order). */
export function topK(scores: ArrayLike<number>, positions: ArrayLike<number>, length: number, k: number): number[] {
  const keep = new Uint8Array(length);
  markTopK(scores, positions, length, k, keep);
  const kept: number[] = [];
  for (let e = 0; e < length; e++) if (keep[e]) kept.push(e);
  return kept;
}

/** The k-th largest value of `a[0..length)` (1 ≤ k ≤ length), by quickselect; reorders that part of `a`. */
function kthLargest(a: Float64Array, length: number, k: number): number {
  let lo = 0;
  let hi = length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    // biome-ignore lint/complexity/useMathMinMax: the median of three, not a min or max
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // Three-way partition (descending): [lo, lt) > pivot, [lt, gt] = pivot, (gt, hi] < pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i]!;
      if (v > pivot) {
        a[i] = a[lt]!;
        a[lt++] = v;
        i++;
      } else if (v < pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[lo]!;
}

/** `frequent`: the heavy hitters, top-`k` by cumulative attention score (spec §3). */
export const frequent: PolicyComponent = {
  name: "frequent",
  readsScores: true,
  keep(ctx, keep) {
    markTopK(ctx.scores, ctx.positions, ctx.length, ctx.sizes.frequentK, keep);
  },
  rowRule(ctx) {
    // Spec §4: one set F per KV head, ranked by the prompt's column sums, k from n.
    const columns = new Uint8Array(ctx.n);
    const positions = Int32Array.from({ length: ctx.n }, (_, j) => j);
    markTopK(ctx.columnScores, positions, ctx.n, ctx.sizes.frequentK, columns);
    return { columns, window: 0 };
  },
};
