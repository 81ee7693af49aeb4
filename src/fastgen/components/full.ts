import type { PolicyComponent } from "../policy.ts";

/** `full`: everything; recovery 1 by definition (spec §12.2). */
export const full: PolicyComponent = {
  name: "full",
  keepsAll: true,
  keep(ctx, keep) {
    keep.fill(1, 0, ctx.length);
  },
  rowRule() {
    return { columns: null, window: Infinity };
  },
};
