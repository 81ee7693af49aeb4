/** A task's runs summed up per setting, and the winner at each target compression (spec §14.7). */
import type { TaskName } from "./cases.ts";
import type { CaseRun, TaskMethod, TaskSetting } from "./run-task.ts";

export interface TaskSummary {
  readonly setting: string;
  readonly method: TaskMethod | "full";
  readonly value: number | null;
  /** perplexity: exp of the mean log-perplexity over the cases; retrieval: accuracy (share of exact matches). */
  readonly score: number;
  readonly compressionAfterPrompt: number;
  /** Mean over cases of the mean compression over scored or decoded steps: the x of the curves. */
  readonly compression: number;
  readonly kvBytes: number;
  readonly fullBytes: number;
  /** Retrieval: mean over cases of the answer's mean log-probability (nats per token); absent for perplexity. */
  readonly answerLogProb?: number;
}

/** Whether a larger score is better (accuracy) or a smaller one (perplexity). */
export const higherIsBetter = (task: TaskName): boolean => task !== "perplexity";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function summarizeTask(task: TaskName, settings: readonly TaskSetting[], runs: readonly CaseRun[]): TaskSummary[] {
  return settings.map((s) => {
    const mine = runs.filter((r) => r.setting === s.id);
    const score = task === "perplexity" ? Math.exp(mean(mine.map((r) => Math.log(r.score)))) : mean(mine.map((r) => r.score));
    const logProbs = mine.flatMap((r) => (typeof r.answerLogProb === "number" ? [r.answerLogProb] : []));
    return {
      ...(logProbs.length > 0 ? { answerLogProb: mean(logProbs) } : {}),
      setting: s.id,
      method: s.method,
      value: s.value,
      score,
      compressionAfterPrompt: mean(mine.map((r) => r.compressionAfterPrompt)),
      compression: mean(mine.map((r) => r.compressionMean)),
      kvBytes: mean(mine.map((r) => r.kvBytes)),
      fullBytes: mean(mine.map((r) => r.fullBytes)),
    };
  });
}

/** What a winner table ranks: the task's score, or (retrieval) the answer's log-probability. */
export type RankedMetric = "score" | "answerLogProb";

/** A method's `metric` at compression `x`, linear between its two nearest settings; undefined outside its range. */
export function scoreAt(points: readonly TaskSummary[], x: number, metric: RankedMetric = "score"): number | undefined {
  const value = (s: TaskSummary) => s[metric] ?? NaN;
  const sorted = [...points].sort((a, b) => a.compression - b.compression);
  if (sorted.length === 0) return undefined;
  const tolerance = 0.005;
  if (x < sorted[0]!.compression - tolerance || x > sorted.at(-1)!.compression + tolerance) return undefined;
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i]!;
    if (Math.abs(b.compression - x) <= tolerance) return value(b);
    if (i > 0 && b.compression > x) {
      const a = sorted[i - 1]!;
      const t = (x - a.compression) / (b.compression - a.compression);
      return value(a) + t * (value(b) - value(a));
    }
  }
  return undefined;
}

export interface WinnerRow {
  readonly target: number;
  /** Each method's score at the target (undefined: its settings do not reach it). */
  readonly scores: Readonly<Record<string, number | undefined>>;
  /** The best methods (several when tied); empty when every placed method scores the same (`tied`). */
  readonly winners: readonly string[];
  /** Every method placed at this compression scores the same (e.g. no method retrieves anything). */
  readonly tied?: boolean;
}

export const TARGETS = [0.2, 0.4, 0.6, 0.8];

export function winners(task: TaskName, summaries: readonly TaskSummary[], metric: RankedMetric = "score"): WinnerRow[] {
  const methods = [...new Set(summaries.filter((s) => s.method !== "full").map((s) => s.method))];
  return TARGETS.map((target) => {
    const scores: Record<string, number | undefined> = {};
    for (const m of methods)
      scores[m] = scoreAt(
        summaries.filter((s) => s.method === m),
        target,
        metric,
      );
    const placed = Object.entries(scores).filter((e): e is [string, number] => e[1] !== undefined && Number.isFinite(e[1]));
    if (placed.length === 0) return { target, scores, winners: [] };
    const best =
      higherIsBetter(task) || metric === "answerLogProb" ? Math.max(...placed.map((e) => e[1])) : Math.min(...placed.map((e) => e[1]));
    const near = (v: number) => Math.abs(v - best) <= 1e-9 * Math.max(1, Math.abs(best));
    const top = placed.filter((e) => near(e[1])).map((e) => e[0]);
    if (placed.length > 1 && top.length === placed.length) return { target, scores, winners: [], tied: true };
    return { target, scores, winners: top };
  });
}
