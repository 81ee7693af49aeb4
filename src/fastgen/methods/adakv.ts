import { type LiteratureMethod, pinned, SNAP_WINDOW, topPositions } from "./method.ts";
import { layerVotes, windowOf } from "./window-scores.ts";

/** Share of its even budget every head keeps whatever its scores (Ada-KV's safeguard, α = 0.2). */
export const ADA_SAFEGUARD = 0.2;

/**
 * Ada-KV's split of one layer's budget (spec §14.4): every head first takes its ⌊α · b⌋ best
 * positions; the rest of `heads · b` goes to the best scores over all heads of the layer (ties:
 * the later position, then the lower head). Returns the kept marks of each head.
 */
export function adaptiveSplit(scores: readonly Float64Array[], b: number, alpha = ADA_SAFEGUARD): Uint8Array[] {
  const kept = scores.map((s) => topPositions(s, Math.floor(alpha * b)));
  let room = scores.length * b - kept.reduce((sum, k) => sum + k.reduce((a, x) => a + x, 0), 0);
  const rest: { g: number; j: number; s: number }[] = [];
  scores.forEach((s, g) => {
    for (let j = 0; j < s.length; j++) if (!kept[g]![j]) rest.push({ g, j, s: s[j]! });
  });
  rest.sort((x, y) => y.s - x.s || y.j - x.j || x.g - y.g);
  for (const { g, j } of rest) {
    if (room <= 0) break;
    kept[g]![j] = 1;
    room--;
  }
  return kept;
}

/** Ada-KV (Feng et al. 2024) over SnapKV's vote ("Ada-SnapKV"), spec §14.4. */
export const adakv: LiteratureMethod = {
  name: "adakv",
  observedRows: (observe) => observe ?? SNAP_WINDOW,
  policies({ layout, n, sizes, attention, observe }) {
    if (!attention) throw new Error("adakv reads the prompt's attention");
    const b = sizes.budget;
    const w = windowOf(observe ?? SNAP_WINDOW, b, n);
    return Array.from({ length: layout.nLayers }, (_, l) => {
      return adaptiveSplit(layerVotes(attention, layout, l, w), b).map((kept) => pinned("adakv", kept));
    });
  },
};
