import type { PolicyComponent } from "../policy.ts";

/**
 * Indices of the `k` entries with the largest score; equal scores → the more recent position wins (spec §7).
 * The ranking covers every entry, whatever else keeps it (spec §12.5). The result is a set (any order).
 *
 * Runs once per (layer, KV head) per decode step, so it avoids a sort: the k-th largest score `t` is
 * found by selection (O(length) on average); every entry above `t` is kept, and the entries at `t`
 * fill the remaining places, the largest positions first. That is exactly the top k of the order
 * (score desc, position desc) — test/fastgen/top-k.test.ts holds it to the plain sort.
 */
export function topK(scores: ArrayLike<number>, positions: ArrayLike<number>, length: number, k: number): number[] {
  if (k >= length) return Array.from({ length }, (_, e) => e); // everything fits: no ranking needed
  if (k <= 0) return [];
  const t = kthLargest(Float64Array.from({ length }, (_, e) => scores[e]!), k);
  const kept: number[] = [];
  const ties: number[] = [];
  for (let e = 0; e < length; e++) {
    const s = scores[e]!;
    if (s > t) kept.push(e);
    else if (s === t) ties.push(e);
  }
  const room = k - kept.length;
  // Ties are usually few; the cache's positions increase with the index, but rank by position anyway.
  if (ties.length > room) ties.sort((a, b) => positions[b]! - positions[a]!);
  for (let i = 0; i < room; i++) kept.push(ties[i]!);
  return kept;
}

/** The k-th largest value of `a` (1 ≤ k ≤ a.length), by quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
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
    for (const e of topK(ctx.scores, ctx.positions, ctx.length, ctx.budgets.frequentK)) keep[e] = 1;
  },
  rowRule(ctx) {
    // Spec §4: one set F per KV head, ranked by the prompt's column sums, k from n.
    const columns = new Uint8Array(ctx.n);
    const positions = Int32Array.from({ length: ctx.n }, (_, j) => j);
    for (const j of topK(ctx.columnScores, positions, ctx.n, ctx.budgets.frequentK)) columns[j] = 1;
    return { columns, window: 0 };
  },
};
