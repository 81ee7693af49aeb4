import type { PolicyComponent } from "../policy.ts";

/** `punct`: every punctuation token, spec §3 and §12.10. */
export const punct: PolicyComponent = {
  name: "punct",
  keep(ctx, keep) {
    for (let e = 0; e < ctx.length; e++) if (ctx.isPunct(ctx.positions[e]!)) keep[e] = 1;
  },
  rowRule(ctx) {
    const columns = new Uint8Array(ctx.n);
    for (let j = 0; j < ctx.n; j++) if (ctx.isPunct(j)) columns[j] = 1;
    return { columns, window: 0 };
  },
};
