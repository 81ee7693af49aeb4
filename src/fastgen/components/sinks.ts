import type { PolicyComponent } from "../policy.ts";

/** `sinks`: the first `s` absolute positions, StreamingLLM's attention sinks (spec §9, §12.11). */
export const sinks: PolicyComponent = {
  name: "sinks",
  keep(ctx, keep) {
    for (let e = 0; e < ctx.length; e++) if (ctx.positions[e]! < ctx.sizes.sinks) keep[e] = 1;
  },
  rowRule(ctx) {
    const columns = new Uint8Array(ctx.n);
    columns.fill(1, 0, Math.min(ctx.n, ctx.sizes.sinks));
    return { columns, window: 0 };
  },
};
