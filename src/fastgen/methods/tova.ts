import { markTopK } from "../components/frequent.ts";
import { type PolicyComponent, unionPolicy } from "../policy.ts";
import { type LiteratureMethod, uniform } from "./method.ts";

let scratch = new Float64Array(256);

/**
 * TOVA's rule (Oren et al. 2024), spec §14.5: a fixed number b of entries per KV head; whenever
 * there are more, keep the b that the attention just computed weighs most (summed over the group's
 * query heads, float64), the newest entry always among them; equal weights: the later position.
 */
export const tovaComponent: PolicyComponent = {
  name: "tova",
  keep(ctx, keep) {
    const b = ctx.sizes.budget;
    if (ctx.length <= b) {
      keep.fill(1, 0, ctx.length);
      return;
    }
    const a = ctx.attention;
    if (!a) throw new Error("tova ranks by the attention just computed, and the cache did not pass it");
    if (scratch.length < ctx.length) scratch = new Float64Array(Math.max(ctx.length, 2 * scratch.length));
    scratch.fill(0, 0, ctx.length);
    for (const row of a) for (let e = 0; e < ctx.length; e++) scratch[e] = scratch[e]! + row[e]!;
    scratch[ctx.length - 1] = Infinity;
    markTopK(scratch, ctx.positions, ctx.length, b, keep);
  },
};

const TOVA = unionPolicy([tovaComponent]);

/** TOVA: reads the last prompt row to cut the prompt, then each step's attention. */
export const tova: LiteratureMethod = {
  name: "tova",
  observedRows: () => 1,
  policies: ({ layout }) => uniform(layout, TOVA),
};
