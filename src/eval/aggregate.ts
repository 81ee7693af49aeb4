/**
 * Per-setting summaries over the prompts: every prompt counts once (its own means over its rows),
 * with a 95% confidence interval of the mean across prompts (normal approximation).
 */
import type { PromptOutcome, SettingOutcome } from "./prompt-eval.ts";
import type { EvalSetting } from "./settings.ts";

export interface Stat {
  readonly mean: number;
  /** Half-width of the 95% interval of the mean: 1.96 · sd / √n (0 for one value). */
  readonly ci95: number;
  readonly min: number;
  readonly max: number;
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) throw new RangeError("no values");
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, ci95: (1.96 * Math.sqrt(variance)) / Math.sqrt(n), min: Math.min(...values), max: Math.max(...values) };
}

/** The metrics summarized for every setting, by name (also the keys of the JSON and the charts). */
export const METRICS = {
  compressionAfterPrefill: (o: SettingOutcome) => o.compression.afterPrefill,
  compressionFinal: (o: SettingOutcome) => o.compression.final,
  compressionMean: (o: SettingOutcome) => o.compression.mean,
  /** 1 − held bytes / full float32 K+V bytes at the final length (spec §8: bookkeeping included). */
  byteSaving: (o: SettingOutcome) => 1 - o.kvBytes.compressed / o.kvBytes.full,
  kvBytesFull: (o: SettingOutcome) => o.kvBytes.full,
  kvBytesHeld: (o: SettingOutcome) => o.kvBytes.compressed,
  kl: (o: SettingOutcome) => o.teacher.kl,
  klMax: (o: SettingOutcome) => o.teacher.klMax,
  top1: (o: SettingOutcome) => o.teacher.top1,
  llr: (o: SettingOutcome) => o.teacher.llr,
  freeAgreement: (o: SettingOutcome) => o.free.agreement,
  commonPrefix: (o: SettingOutcome) => o.free.commonPrefix,
  recoveryDecode: (o: SettingOutcome) => o.recovery.decode,
  recoveryEnd: (o: SettingOutcome) => o.recovery.end,
} as const;
export type MetricName = keyof typeof METRICS;

export interface SettingSummary {
  readonly setting: string;
  readonly policy: EvalSetting["policy"];
  readonly value: number | null;
  readonly prompts: number;
  readonly stats: Readonly<Record<MetricName, Stat>>;
}

/** The outcome of `setting` in each prompt. */
export function outcomesOf(prompts: readonly PromptOutcome[], setting: string): SettingOutcome[] {
  return prompts.map((p) => {
    const o = p.outcomes.find((x) => x.setting === setting);
    if (!o) throw new Error(`prompt ${p.id} has no outcome for ${setting}`);
    return o;
  });
}

export function summarize(settings: readonly EvalSetting[], prompts: readonly PromptOutcome[]): SettingSummary[] {
  return settings.map((s) => {
    const outcomes = outcomesOf(prompts, s.id);
    const stats = Object.fromEntries(Object.entries(METRICS).map(([name, f]) => [name, stat(outcomes.map(f))])) as Record<MetricName, Stat>;
    return { setting: s.id, policy: s.policy, value: s.value, prompts: outcomes.length, stats };
  });
}
