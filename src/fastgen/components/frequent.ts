import type { PolicyComponent } from "../policy.ts";

/**
 * Marks `keep[e] = 1` for the `k` entries with the largest score; equal scores → the more recent
 * position wins (spec §7). The ranking covers every entry, whatever else keeps it (spec §12.5).
 *
 * Runs once per (layer, KV head) per decode step, so it avoids a sort and allocations: the k-th
 * largest score `t` is found by selection (O(length) on average, {@link kthLargestScore}); every
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
  const t = kthLargestScore(scores, length, k);
  // Counted without branches (`+(a > b)` is 0 or 1): which side of t a score falls is a coin toss
  // per entry, and mispredicted branches were most of this loop's time.
  let above = 0;
  let ties = 0;
  for (let e = 0; e < length; e++) {
    const s = scores[e]!;
    above += +(s > t);
    ties += +(s === t);
  }
  const room = k - above;
  if (ties <= room) {
    // Every tie fits (then ties === room, since above + ties ≥ k): keep all scores ≥ t.
    for (let e = 0; e < length; e++) keep[e]! |= +(scores[e]! >= t);
    return;
  }
  for (let e = 0; e < length; e++) keep[e]! |= +(scores[e]! > t);
  // More ties than places (rare: equal cumulative scores): the most recent positions win.
  const at: number[] = [];
  for (let e = 0; e < length; e++) if (scores[e] === t) at.push(e);
  at.sort((a, b) => positions[b]! - positions[a]!);
  for (let i = 0; i < room; i++) keep[at[i]!] = 1;
}

/** The selection's scratch (reused: one decode step ranks every KV head): a copy of the scores, or the sampled band. */
let scratch = new Float64Array(256);
/** The sorted sample of {@link bandedKth}. */
const sample = new Float64Array(64);

/** Lengths from which {@link kthLargestScore} first tries the sampled band (below, a quickselect of a copy is as cheap). */
export const SAMPLED_SELECTION_FROM = 1024;

/**
 * The k-th largest of `scores[0..length)` (1 ≤ k < length), exactly. From
 * {@link SAMPLED_SELECTION_FROM} entries on, first by a sampled band (Floyd–Rivest's idea): 64
 * evenly spaced scores, sorted, give two bounds that should bracket the k-th largest; one pass
 * counts the scores above the upper bound and gathers those between the bounds, and when the k-th
 * lies among the gathered ones (almost always) a quickselect over them (about a quarter of the
 * entries) finds it. Otherwise, and below that length, a quickselect over a copy of all of them.
 * Either way the same value: only the work differs.
 */
export function kthLargestScore(scores: ArrayLike<number>, length: number, k: number): number {
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length));
  if (length >= SAMPLED_SELECTION_FROM) {
    const t = bandedKth(scores, length, k);
    if (t !== undefined) return t;
  }
  for (let e = 0; e < length; e++) scratch[e] = scores[e]!;
  return kthLargest(scratch, length, k);
}

/** {@link kthLargestScore}'s sampled band: the k-th largest, or undefined when the band missed it. */
function bandedKth(scores: ArrayLike<number>, length: number, k: number): number | undefined {
  const m = sample.length;
  for (let i = 0; i < m; i++) sample[i] = scores[Math.floor(((i + 0.5) * length) / m)]!;
  sample.sort(); // ascending: the j-th largest of the sample is sample[m - 1 - j]
  // The k-th largest's rank in the sample is about (k − 1)·m/length, give or take ~sqrt(m)/2; the
  // band reaches 8 sample ranks either side (an unbounded side where it runs off the sample).
  const rank = ((k - 1) * m) / length;
  const upper = Math.floor(rank) - 8;
  const lower = Math.ceil(rank) + 8;
  const hi = upper < 0 ? Number.POSITIVE_INFINITY : sample[m - 1 - upper]!;
  const lo = lower > m - 1 ? Number.NEGATIVE_INFINITY : sample[m - 1 - lower]!;
  let above = 0;
  let band = 0;
  for (let e = 0; e < length; e++) {
    // Branch-free, as in markTopK: every score is written, the band's end moves only for those in it.
    const s = scores[e]!;
    above += +(s > hi);
    scratch[band] = s;
    band += +(s >= lo) & +(s <= hi);
  }
  const r = k - above; // the k-th largest is the r-th largest of the band when 1 ≤ r ≤ band
  if (r < 1 || r > band) return undefined;
  return kthLargest(scratch, band, r);
}

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
