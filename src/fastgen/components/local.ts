import type { PolicyComponent } from "../policy.ts";

/** `local`: the most recent `w` positions, `p - w < j ≤ p` (spec §3, §6 step 4). */
export const local: PolicyComponent = {
  name: "local",
  keep(ctx, keep) {
    const from = ctx.current - ctx.sizes.window;
    for (let e = 0; e < ctx.length; e++) if (ctx.positions[e]! > from) keep[e] = 1;
  },
  rowRule(ctx) {
    return { columns: null, window: ctx.sizes.window };
  },
};
