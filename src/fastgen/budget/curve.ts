/**
 * A KV head's recovery curve (docs/algorithm.md §10): for every kept count c = 0..n, the attention
 * recovery (spec §4: plain retained mass, averaged over prompt rows) of the best shape that keeps
 * c entries at the end of the prompt under the ranking of `ranking.ts`: the structural tokens, a
 * window of the u newest other positions, and the k heaviest of the rest (c = s + u + k).
 * Each row i is scored as FastGen scores its candidates: fixed columns (structural, heavy) plus the
 * band `i − w < j ≤ i`, where w is the window's width in positions.
 */
import { firstObservedRow, type GqaReduction, type PromptAttention } from "../prompt-attention.ts";

export interface HeadCurve {
  /** `value[c]`: the group's recovery (min or mean over its query heads) keeping c entries. */
  readonly value: Float64Array;
  /** `window[c]`: the band width w of the best shape at c (ties → the wider window). */
  readonly window: Int32Array;
  /** `heavy[c]`: heavy hitters k of that shape. */
  readonly heavy: Int32Array;
}

export interface CurveInput {
  readonly attention: PromptAttention;
  readonly layer: number;
  /** The KV head's query heads. */
  readonly heads: readonly number[];
  /** Cumulative score of each prompt position (the group's column sums, spec §12.1). */
  readonly scores: ArrayLike<number>;
  /** Tiers 1–2 of the ranking (`structuralOrder`). */
  readonly structural: readonly number[];
  readonly gqa: GqaReduction;
  /** Observation window: only the last `observe` rows count (undefined: every row). */
  readonly observe?: number;
  /** Shapes keep at least this share of their non-structural entries in the window (default MIN_WINDOW_SHARE). */
  readonly minWindowShare?: number;
  /** Shapes keep at least ⌊share · (c − s)⌋ heavy hitters (default MIN_HEAVY_SHARE). */
  readonly minHeavyShare?: number;
}

/**
 * The window takes at least half of what a head keeps beyond its structural tokens: heavy hitters
 * are ranked by column sums that include the very rows they are scored on, which flatters them on
 * the prompt; while decoding, a head with little window drops each new token at once (the
 * `frequent` baseline's failure, docs/results.md).
 */
export const MIN_WINDOW_SHARE = 0.5;

/**
 * And heavy hitters take at least ⌊1/10⌋ of it: a head whose best shape on the prompt is all
 * window keeps nothing older than its window while decoding, and on a character-level model that
 * loses every earlier occurrence of a name it has to copy ("…a new friend.Tim" → "m": KL 2.65 on
 * one row of a BabyLlama-sampled text, where h2o's heavy hitters keep "Timmy"). Measured in
 * docs/algorithm.md §10: budgeted's KL against h2o's at 20–50% compression on 128–192-token texts
 * sampled from BabyLlama went from 1.05–1.55× to 0.51–0.97×; on a second, held-out set from
 * 0.57–0.85× to 0.52–0.77×; on the four other prompt sets at most 0.07 worse and up to 0.11 better.
 * 1/4 helped the first set more and the held-out set less.
 */
export const MIN_HEAVY_SHARE = 0.1;

/**
 * Per query head: `suf[t·n + j] = Σ_{i ≥ max(t, i0)} A[i, j]` and the band prefix
 * `band[w] = Σ_{i ≥ i0} Σ_{d < w} A[i, i − d]`.
 */
function tables(att: PromptAttention, layer: number, head: number, i0: number): { suf: Float64Array; band: Float64Array } {
  const n = att.n;
  const suf = new Float64Array((n + 1) * n);
  const diag = new Float64Array(n);
  for (let t = n - 1; t >= 0; t--) {
    const base = t * n;
    suf.copyWithin(base, base + n, base + 2 * n);
    if (t < i0) continue;
    const row = att.row(layer, head, t);
    for (let j = 0; j <= t; j++) {
      suf[base + j] = suf[base + j]! + row[j]!;
      diag[t - j] = diag[t - j]! + row[j]!;
    }
  }
  const band = new Float64Array(n + 1);
  for (let w = 1; w <= n; w++) band[w] = band[w - 1]! + diag[w - 1]!;
  return { suf, band };
}

export function recoveryCurve(input: CurveInput): HeadCurve {
  const { attention: att, layer, heads, scores, structural, gqa } = input;
  const n = att.n;
  const i0 = firstObservedRow(n, input.observe);
  const rows = n - i0;
  const G = heads.length;
  const t = heads.map((h) => tables(att, layer, h, i0));
  const s = structural.length;
  const isS = new Uint8Array(n);
  for (const j of structural) isS[j] = 1;
  // Other positions, newest first (the window grows over them), and by score (heavy hitters).
  const recent: number[] = [];
  for (let j = n - 1; j >= 0; j--) if (!isS[j]) recent.push(j);
  const byScore = [...recent].sort((a, b) => scores[b]! - scores[a]! || b - a);
  const m = recent.length;
  const minShare = input.minWindowShare ?? MIN_WINDOW_SHARE;
  const minHeavy = input.minHeavyShare ?? MIN_HEAVY_SHARE;

  const value = new Float64Array(n + 1).fill(-Infinity);
  const window = new Int32Array(n + 1);
  const heavy = new Int32Array(n + 1);
  const acc = new Float64Array(G);
  const reduce = (): number => {
    let r = gqa === "min" ? Infinity : 0;
    for (let q = 0; q < G; q++) r = gqa === "min" ? Math.min(r, acc[q]!) : r + acc[q]!;
    return (gqa === "min" ? r : r / G) / rows;
  };
  const colMass = (q: number, j: number, w: number) => t[q]!.suf[Math.min(n, j + w) * n + j]!;
  const offer = (c: number, v: number, w: number, k: number) => {
    if (v > value[c]! || (v === value[c]! && w > window[c]!)) {
      value[c] = v;
      window[c] = w;
      heavy[c] = k;
    }
  };

  // c ≤ s: a prefix of the structural tiers, no window.
  acc.fill(0);
  offer(0, reduce(), 0, 0);
  for (let c = 1; c <= s; c++) {
    for (let q = 0; q < G; q++) acc[q] = acc[q]! + colMass(q, structural[c - 1]!, 0);
    offer(c, reduce(), 0, 0);
  }
  // c = s + u + k: u non-structural positions in the window, widened over structural ones (free).
  for (let u = 0; u <= m; u++) {
    const w = u < m ? n - 1 - recent[u]! : n;
    for (let q = 0; q < G; q++) {
      let a = t[q]!.band[w]!;
      for (const j of structural) a += colMass(q, j, w);
      acc[q] = a;
    }
    let k = 0;
    if (Math.floor(minHeavy * u) === 0) offer(s + u, reduce(), w, 0);
    for (const j of byScore) {
      if (j >= n - w) continue;
      k++;
      if (u < minShare * (u + k)) break; // later k only lower the window's share
      for (let q = 0; q < G; q++) acc[q] = acc[q]! + colMass(q, j, w);
      if (k >= Math.floor(minHeavy * (u + k))) offer(s + u + k, reduce(), w, k);
    }
  }
  return { value, window, heavy };
}
