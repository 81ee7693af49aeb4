import type { PolicyComponent } from "../policy.ts";

/**
 * Indices of the `k` entries with the largest score; equal scores → the more recent position wins (spec §7).
 * The ranking covers every entry, whatever else keeps it (spec §12.5).
 */
export function topK(scores: ArrayLike<number>, positions: ArrayLike<number>, length: number, k: number): number[] {
  if (k >= length) return Array.from({ length }, (_, e) => e); // everything fits: no ranking needed
  const order = Array.from({ length }, (_, e) => e);
  order.sort((a, b) => scores[b]! - scores[a]! || positions[b]! - positions[a]!);
  return order.slice(0, Math.min(k, length));
}

/** `frequent`: the heavy hitters, top-`k` by cumulative attention score (spec §3). */
export const frequent: PolicyComponent = {
  name: "frequent",
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
