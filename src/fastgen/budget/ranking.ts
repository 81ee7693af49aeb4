/**
 * The one ranking a budgeted head keeps by (docs/algorithm.md §10): the first `b` entries of
 *   1. attention sinks (positions < s) and special tokens, oldest first;
 *   2. punctuation, newest first;
 *   3. the window: the newest other entries, `round(share · r)` of them, where r is what tiers 1–2 left of b;
 *   4. the rest by cumulative score, higher first, equal scores → newer first (as `topK`, spec §7).
 */
import type { TokenClassLookup } from "../prompt-attention.ts";

/** Sinks and special tokens (tier 1), then punctuation (tier 2), of positions 0..n-1. */
export function structuralOrder(n: number, classes: TokenClassLookup, sinks: number): number[] {
  const order: number[] = [];
  const taken = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (j < sinks || classes.isSpecial(j)) {
      order.push(j);
      taken[j] = 1;
    }
  }
  for (let j = n - 1; j >= 0; j--) if (!taken[j] && classes.isPunct(j)) order.push(j);
  return order;
}

/** `round(x · L / n)` half up, in integers, so that L = n gives x exactly. */
export function scaleToLength(x: number, length: number, n: number): number {
  return Math.floor((2 * x * length + n) / (2 * n));
}

export interface RankedEntries {
  readonly positions: ArrayLike<number>;
  readonly scores: ArrayLike<number>;
  readonly length: number;
  /** Newest position p. */
  readonly current: number;
  readonly sinks: number;
  isSpecial(position: number): boolean;
  isPunct(position: number): boolean;
}

/** Marks the first `budget` entries of the ranking (entries in increasing position order); `keep` starts all 0. */
export function keepRanked(ctx: RankedEntries, budget: number, windowShare: number, keep: Uint8Array): void {
  const { positions, length } = ctx;
  if (budget >= length) {
    keep.fill(1, 0, length);
    return;
  }
  let left = budget;
  const mark = (e: number) => {
    keep[e] = 1;
    left--;
  };
  for (let e = 0; e < length && left > 0; e++) if (!keep[e] && (positions[e]! < ctx.sinks || ctx.isSpecial(positions[e]!))) mark(e);
  for (let e = length - 1; e >= 0 && left > 0; e--) if (!keep[e] && ctx.isPunct(positions[e]!)) mark(e);
  let window = Math.floor(windowShare * left + 0.5);
  for (let e = length - 1; e >= 0 && window > 0; e--) {
    if (keep[e]) continue;
    mark(e);
    window--;
  }
  if (left <= 0) return;
  const rest: number[] = [];
  for (let e = 0; e < length; e++) if (!keep[e]) rest.push(e);
  rest.sort((a, b) => ctx.scores[b]! - ctx.scores[a]! || positions[b]! - positions[a]!);
  for (let i = 0; i < left && i < rest.length; i++) keep[rest[i]!] = 1;
}
