import { markTopK } from "../components/frequent.ts";
import { type PolicyComponent, unionPolicy } from "../policy.ts";
import { type LiteratureMethod, uniform } from "./method.ts";

let scratch = new Float64Array(256);

/**
 * A squared norm on a grid of relative steps 2^-20 (≈ 1e-6): the ranking of ‖k‖, where norms that
 * agree to about six digits are equal (spec §14.6). In the first layer a key depends only on its
 * token, so a repeated token's keys have one norm, which RoPE's float rounding splits by ~1e-9;
 * on the grid they tie, and the tie goes to the later position, as everywhere (spec §7).
 */
export function normBucket(squared: number): number {
  return squared > 0 ? Math.round(Math.log2(squared) * 2 ** 20) : -Infinity;
}

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
      scratch[e] = -normBucket(s);
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
