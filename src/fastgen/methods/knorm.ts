import { markTopK } from "../components/frequent.ts";
import { type PolicyComponent, unionPolicy } from "../policy.ts";
import { type LiteratureMethod, uniform } from "./method.ts";

let scratch = new Float64Array(256);

/**
 * K-norm (Devoto et al. 2024), spec §14.6: keep the share (1 − C) of the current length whose keys
 * have the smallest L2 norm (RoPE rotates pairs of coordinates, so the norm is the same before or
 * after it); equal norms: the later position. No attention is read.
 */
export const knormComponent: PolicyComponent = {
  name: "knorm",
  keep(ctx, keep) {
    const d = ctx.headDim;
    if (scratch.length < ctx.length) scratch = new Float64Array(Math.max(ctx.length, 2 * scratch.length));
    for (let e = 0; e < ctx.length; e++) {
      let s = 0;
      for (let i = e * d; i < (e + 1) * d; i++) s += ctx.keys[i]! * ctx.keys[i]!;
      scratch[e] = -s; // the ranking of −‖k‖, without the square root
    }
    markTopK(scratch, ctx.positions, ctx.length, ctx.sizes.share, keep);
  },
};

const KNORM = unionPolicy([knormComponent]);

export const knorm: LiteratureMethod = {
  name: "knorm",
  observedRows: () => 0,
  policies: ({ layout }) => uniform(layout, KNORM),
};
