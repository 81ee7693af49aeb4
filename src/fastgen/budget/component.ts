import { full } from "../components/full.ts";
import { type KvHeadPolicy, type PolicyComponent, unionPolicy } from "../policy.ts";
import type { BudgetReport } from "./profile.ts";
import { keepRanked, scaleToLength } from "./ranking.ts";

/** What the budgeted profile gave one KV head at the end of an n-token prompt (docs/algorithm.md §10). */
export interface HeadBudget {
  /** Prompt length n. */
  readonly n: number;
  /** Entries kept at length n. */
  readonly kept: number;
  /** Window width w in positions at length n (the band the profile scored). */
  readonly window: number;
  /** Positions `< sinks` are forced in (tier 1). */
  readonly sinks: number;
  /** Share of the entries beyond the structural ones that go to the window (newest first). */
  readonly windowShare: number;
}

/**
 * `budgeted`: keeps the head's share of the current length, `b = round(kept · L / n)`, by the
 * ranking of `budget/ranking.ts`, the window keeping its share of what the structural tokens leave.
 * Meant as a policy's only component (it counts what it marks).
 */
export function budgeted(head: HeadBudget): PolicyComponent {
  return {
    name: "budgeted",
    readsScores: true,
    keep(ctx, keep) {
      const L = ctx.current + 1;
      keepRanked(
        {
          positions: ctx.positions,
          scores: ctx.scores,
          length: ctx.length,
          current: ctx.current,
          sinks: head.sinks,
          isSpecial: ctx.isSpecial,
          isPunct: ctx.isPunct,
        },
        scaleToLength(head.kept, L, head.n),
        head.windowShare,
        keep,
      );
    },
    rowRule(ctx) {
      // The set kept at row n−1 as fixed columns plus its window as a band: how the curve scored this shape.
      const positions = Int32Array.from({ length: ctx.n }, (_, j) => j);
      const columns = new Uint8Array(ctx.n);
      keepRanked(
        {
          positions,
          scores: ctx.columnScores,
          length: ctx.n,
          current: ctx.n - 1,
          sinks: head.sinks,
          isSpecial: ctx.isSpecial,
          isPunct: ctx.isPunct,
        },
        head.kept,
        head.windowShare,
        columns,
      );
      return { columns, window: head.window };
    },
  };
}

/** The policy of every (layer, KV head) the budgeted profile gave: `full` for a head that keeps the whole prompt. */
export function budgetedPolicies(report: BudgetReport, sinks: number): KvHeadPolicy[][] {
  const n = report.n;
  return report.layers.map((heads) =>
    heads.map((h) =>
      h.kept >= n ? unionPolicy([full]) : unionPolicy([budgeted({ n, kept: h.kept, window: h.window, windowShare: h.windowShare, sinks })]),
    ),
  );
}
