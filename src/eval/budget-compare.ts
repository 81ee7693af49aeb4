/**
 * Budgeted against FastGen and the baselines at fixed compressions (docs/algorithm.md §10): every
 * policy's sweep is a curve of (mean compression, metric) points, read at each target compression
 * by linear interpolation (matched.ts); outside a sweep's range there is no value. Per prompt, the
 * same reading on that prompt's own curves counts where budgeted's KL is lower.
 */
import { METRICS, type MetricName, type SettingSummary } from "./aggregate.ts";
import { interpolateAt, MATCH_ON } from "./matched.ts";
import type { PromptOutcome } from "./prompt-eval.ts";
import type { EvalSetting } from "./settings.ts";

export const BUDGET_TARGETS = [0.2, 0.3, 0.4, 0.5, 0.6] as const;
export const BUDGET_RIVALS = ["fastgen", "h2o", "streaming", "local", "frequent"] as const;
const READ: readonly MetricName[] = ["kl", "top1", "llr", "freeAgreement", "recoveryDecode"];

export interface TargetReading {
  readonly compression: number;
  /** `values[policy][metric]`, absent outside the policy's sweep. */
  readonly values: Readonly<Record<string, Partial<Record<MetricName, number>>>>;
  /** Per rival: prompts where budgeted's KL is lower, higher, and matched at all (both curves reach the target on that prompt). */
  readonly klWins: Readonly<Record<string, { readonly budgeted: number; readonly rival: number; readonly matched: number }>>;
}

function curve(summaries: readonly SettingSummary[], policy: string, metric: MetricName) {
  return summaries.filter((s) => s.policy === policy).map((s) => ({ x: s.stats[MATCH_ON].mean, y: s.stats[metric].mean }));
}

function promptCurve(settings: readonly EvalSetting[], p: PromptOutcome, policy: string) {
  return settings
    .filter((s) => s.policy === policy)
    .map((s) => p.outcomes.find((o) => o.setting === s.id)!)
    .map((o) => ({ x: METRICS[MATCH_ON](o), y: o.teacher.kl }));
}

export function compareAtTargets(
  settings: readonly EvalSetting[],
  summaries: readonly SettingSummary[],
  prompts: readonly PromptOutcome[],
  targets: readonly number[] = BUDGET_TARGETS,
): TargetReading[] {
  if (!settings.some((s) => s.policy === "budgeted")) return [];
  const methods = ["budgeted", ...BUDGET_RIVALS].filter((m) => settings.some((s) => s.policy === m));
  return targets.map((c) => {
    const values: Record<string, Partial<Record<MetricName, number>>> = {};
    for (const m of methods) {
      const v: Partial<Record<MetricName, number>> = {};
      for (const metric of READ) {
        const y = interpolateAt(curve(summaries, m, metric), c);
        if (y !== undefined) v[metric] = y;
      }
      values[m] = v;
    }
    const klWins: Record<string, { budgeted: number; rival: number; matched: number }> = {};
    for (const rival of methods.filter((m) => m !== "budgeted")) {
      let budgeted = 0;
      let other = 0;
      let matched = 0;
      for (const p of prompts) {
        const a = interpolateAt(promptCurve(settings, p, "budgeted"), c);
        const b = interpolateAt(promptCurve(settings, p, rival), c);
        if (a === undefined || b === undefined) continue;
        matched++;
        if (a < b) budgeted++;
        else if (a > b) other++;
      }
      klWins[rival] = { budgeted, rival: other, matched };
    }
    return { compression: c, values, klWins };
  });
}
