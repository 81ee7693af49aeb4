/**
 * Comparing methods at matched compression (spec §9): a baseline's sweep is a curve of
 * (compression, metric) points; it is read at FastGen's compression by linear interpolation
 * between the two neighbouring settings. Outside the sweep's range there is no match.
 */
import { METRICS, type MetricName, outcomesOf, type SettingSummary } from "./aggregate.ts";
import type { PromptOutcome } from "./prompt-eval.ts";
import type { EvalSetting } from "./settings.ts";

export interface CurvePoint {
  readonly x: number;
  readonly y: number;
}

/** y at x on the piecewise-linear curve through `points` (sorted by x here); undefined outside [min x, max x]. */
export function interpolateAt(points: readonly CurvePoint[], x: number): number | undefined {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  if (sorted.length === 0 || x < sorted[0]!.x || x > sorted[sorted.length - 1]!.x) return undefined;
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i]!;
    if (b.x === x) return b.y;
    if (b.x > x) {
      const a = sorted[i - 1]!;
      return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x);
    }
  }
  return undefined;
}

/** The compression figure methods are matched on: the mean over decode steps (spec §8). */
export const MATCH_ON: MetricName = "compressionMean";
export const COMPARED: readonly MetricName[] = ["kl", "top1", "llr", "freeAgreement", "commonPrefix", "recoveryDecode"];
/** For each compared metric, whether larger is better. */
export const HIGHER_IS_BETTER: Readonly<Partial<Record<MetricName, boolean>>> = {
  kl: false,
  top1: true,
  llr: true,
  freeAgreement: true,
  commonPrefix: true,
  recoveryDecode: true,
};

export interface MatchedBaseline {
  readonly policy: string;
  /** Interpolated metric values at FastGen's compression; absent metrics: out of the sweep's range. */
  readonly values: Partial<Record<MetricName, number>>;
  /** The sweep's compression range. */
  readonly range: readonly [number, number];
  /** When FastGen's compression is out of that range: the setting closest to it, as measured (not matched). */
  readonly nearest?: { readonly setting: string; readonly compression: number; readonly values: Partial<Record<MetricName, number>> };
  /** Per prompt, at that prompt's FastGen compression: prompts where FastGen is better on KL, worse, and matched at all. */
  readonly klWins: { readonly fastgen: number; readonly baseline: number; readonly matched: number };
}

export interface MatchedRow {
  readonly setting: string;
  readonly threshold: number;
  readonly compression: number;
  readonly fastgen: Partial<Record<MetricName, number>>;
  readonly baselines: readonly MatchedBaseline[];
}

function curve(summaries: readonly SettingSummary[], policy: string, metric: MetricName): CurvePoint[] {
  return summaries.filter((s) => s.policy === policy).map((s) => ({ x: s.stats[MATCH_ON].mean, y: s.stats[metric].mean }));
}

export function matchAtFastgen(
  settings: readonly EvalSetting[],
  summaries: readonly SettingSummary[],
  prompts: readonly PromptOutcome[],
  baselines: readonly string[],
): MatchedRow[] {
  return summaries
    .filter((s) => s.policy === "fastgen")
    .map((fg) => {
      const c = fg.stats[MATCH_ON].mean;
      const rows = baselines
        .filter((b) => summaries.some((s) => s.policy === b))
        .map((policy): MatchedBaseline => {
          const xs = curve(summaries, policy, MATCH_ON).map((p) => p.x);
          const values: Partial<Record<MetricName, number>> = {};
          for (const m of COMPARED) {
            const v = interpolateAt(curve(summaries, policy, m), c);
            if (v !== undefined) values[m] = v;
          }
          const range: [number, number] = [Math.min(...xs), Math.max(...xs)];
          const base = { policy, values, range, klWins: perPromptWins(settings, prompts, fg.setting, policy) };
          if (c >= range[0] && c <= range[1]) return base;
          const near = summaries
            .filter((s) => s.policy === policy)
            .reduce((a, b) => (Math.abs(b.stats[MATCH_ON].mean - c) < Math.abs(a.stats[MATCH_ON].mean - c) ? b : a));
          return {
            ...base,
            nearest: {
              setting: near.setting,
              compression: near.stats[MATCH_ON].mean,
              values: Object.fromEntries(COMPARED.map((m) => [m, near.stats[m].mean])),
            },
          };
        });
      return {
        setting: fg.setting,
        threshold: fg.value!,
        compression: c,
        fastgen: Object.fromEntries(COMPARED.map((m) => [m, fg.stats[m].mean])),
        baselines: rows,
      };
    });
}

/** Per prompt: the baseline's own curve on that prompt, read at that prompt's FastGen compression, against FastGen's KL. */
export function perPromptWins(
  settings: readonly EvalSetting[],
  prompts: readonly PromptOutcome[],
  fastgen: string,
  policy: string,
): MatchedBaseline["klWins"] {
  const ids = settings.filter((s) => s.policy === policy).map((s) => s.id);
  const fg = outcomesOf(prompts, fastgen);
  let wins = 0;
  let losses = 0;
  let matched = 0;
  prompts.forEach((p, i) => {
    const points = ids.map((id) => p.outcomes.find((o) => o.setting === id)!).map((o) => ({ x: METRICS[MATCH_ON](o), y: o.teacher.kl }));
    const own = fg[i]!;
    const base = interpolateAt(points, METRICS[MATCH_ON](own));
    if (base === undefined) return;
    matched++;
    if (own.teacher.kl < base) wins++;
    else if (own.teacher.kl > base) losses++;
  });
  return { fastgen: wins, baseline: losses, matched };
}
