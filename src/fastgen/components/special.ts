import type { PolicyComponent } from "../policy.ts";

/** `special`: every special token (BOS/EOS and user-configured ids), spec §3. */
export const special: PolicyComponent = {
  name: "special",
  keep(ctx, keep) {
    for (let e = 0; e < ctx.length; e++) if (ctx.isSpecial(ctx.positions[e]!)) keep[e] = 1;
  },
  rowRule(ctx) {
    const columns = new Uint8Array(ctx.n);
    for (let j = 0; j < ctx.n; j++) if (ctx.isSpecial(j)) columns[j] = 1;
    return { columns, window: 0 };
  },
};
