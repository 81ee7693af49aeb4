import { totalBudget } from "../budget/profile.ts";
import { type LiteratureMethod, pinned, SNAP_WINDOW, topPositions } from "./method.ts";
import { layerVotes, windowOf } from "./window-scores.ts";

/** The pyramid's steepness: the first layer's budget over the last's (the PyramidKV paper's β = 20). */
export const PYRAMID_BETA = 20;

/**
 * Per-layer budgets of PyramidKV (spec §14.3): linear in depth from β·m (layer 0) down to m (the
 * last layer), summing to round((1 − C) · n · nLayers); a layer whose share would pass n keeps n
 * and its excess goes to the others by the same weights; rounded by largest remainders, each ≥ 1.
 */
export function pyramidBudgets(nLayers: number, n: number, compression: number, beta = PYRAMID_BETA): number[] {
  const total = totalBudget(compression, nLayers, n);
  const weight = (l: number) => (nLayers === 1 ? 1 : beta - ((beta - 1) * l) / (nLayers - 1));
  const capped = new Array<boolean>(nLayers).fill(false);
  let raw: number[] = [];
  for (;;) {
    const free = total - n * capped.filter(Boolean).length;
    const sumW = capped.reduce((s, c, l) => (c ? s : s + weight(l)), 0);
    raw = capped.map((c, l) => (c ? n : (free * weight(l)) / sumW));
    const over = raw.map((r, l) => !capped[l] && r > n);
    if (!over.some(Boolean)) break;
    over.forEach((o, l) => {
      if (o) capped[l] = true;
    });
  }
  const budgets = raw.map((r) => Math.floor(r));
  let left = total - budgets.reduce((s, b) => s + b, 0);
  // Largest remainders first; equal remainders: the shallower layer.
  const order = raw.map((r, l) => ({ l, f: r - Math.floor(r) })).sort((a, b) => b.f - a.f || a.l - b.l);
  for (const { l } of order) {
    if (left <= 0) break;
    budgets[l]!++;
    left--;
  }
  return budgets.map((b) => Math.min(n, Math.max(1, b)));
}

/** PyramidKV (Cai et al. 2024), spec §14.3: SnapKV's vote, with budgets that shrink with depth. */
export const pyramidkv: LiteratureMethod = {
  name: "pyramidkv",
  observedRows: (observe) => observe ?? SNAP_WINDOW,
  policies({ layout, n, compression, attention, observe }) {
    if (!attention) throw new Error("pyramidkv reads the prompt's attention");
    // (1 − C) · n entries per head on average over the layers, as every method keeps.
    const budgets = pyramidBudgets(layout.nLayers, n, compression);
    return budgets.map((b, l) => {
      const w = windowOf(observe ?? SNAP_WINDOW, b, n);
      return layerVotes(attention, layout, l, w).map((votes) => pinned("pyramidkv", topPositions(votes, b)));
    });
  },
};
