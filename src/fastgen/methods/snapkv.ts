import { type LiteratureMethod, pinned, SNAP_WINDOW, topPositions } from "./method.ts";
import { layerVotes, windowOf } from "./window-scores.ts";

/**
 * SnapKV (Li et al. 2024), spec §14.2: every KV head keeps the b = (1 − C) · n prompt positions
 * its observation window votes for most (the window itself included), then keeps all it decodes.
 */
export const snapkv: LiteratureMethod = {
  name: "snapkv",
  observedRows: (observe) => observe ?? SNAP_WINDOW,
  policies({ layout, n, sizes, attention, observe }) {
    if (!attention) throw new Error("snapkv reads the prompt's attention");
    const b = sizes.budget;
    const w = windowOf(observe ?? SNAP_WINDOW, b, n);
    return Array.from({ length: layout.nLayers }, (_, l) =>
      layerVotes(attention, layout, l, w).map((votes) => pinned("snapkv", topPositions(votes, b))),
    );
  },
};
