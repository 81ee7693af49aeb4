/**
 * The methods and settings an evaluation sweeps: FastGen over thresholds T, each baseline over a
 * budget ratio (spec §9: compared at matched compression), and the full cache as the reference.
 */
import { type CompressionSettings, compressionSettingsSchema, type MethodName } from "../fastgen/methods.ts";
import type { GqaReduction } from "../fastgen/profiler.ts";

export const SWEPT_BASELINES = ["local", "frequent", "h2o", "streaming"] as const;
export type SweptBaseline = (typeof SWEPT_BASELINES)[number];

export interface EvalSetting {
  /** e.g. "fastgen T=0.95", "h2o r=0.2", "full". */
  readonly id: string;
  readonly method: MethodName;
  /** T for FastGen, the swept ratio for a baseline, null for full. */
  readonly value: number | null;
  readonly settings: CompressionSettings;
}

export interface SweepOptions {
  readonly thresholds: readonly number[];
  readonly ratios: Readonly<Record<SweptBaseline, readonly number[]>>;
  /** FastGen's own budgets (spec §3 default 0.3). */
  readonly rLocal: number;
  readonly rFrequent: number;
  readonly gqa: GqaReduction;
  readonly sinks: number;
}

/** What a baseline's ratio r sets: local → rLocal; frequent → rFrequent; h2o → both; streaming → rLocal (plus sinks). */
function baselineSettings(method: SweptBaseline, r: number, o: SweepOptions): CompressionSettings {
  const over = method === "local" || method === "streaming" ? { rLocal: r } : method === "frequent" ? { rFrequent: r } : { rLocal: r, rFrequent: r };
  return compressionSettingsSchema.parse({ method, gqa: o.gqa, sinks: o.sinks, rLocal: o.rLocal, rFrequent: o.rFrequent, ...over });
}

export function buildSettings(o: SweepOptions): EvalSetting[] {
  const out: EvalSetting[] = [{ id: "full", method: "full", value: null, settings: compressionSettingsSchema.parse({ method: "full" }) }];
  for (const t of o.thresholds) {
    const settings = compressionSettingsSchema.parse({ method: "fastgen", threshold: t, rLocal: o.rLocal, rFrequent: o.rFrequent, gqa: o.gqa, sinks: o.sinks });
    out.push({ id: `fastgen T=${t}`, method: "fastgen", value: t, settings });
  }
  for (const method of SWEPT_BASELINES) {
    for (const r of o.ratios[method]) out.push({ id: `${method} r=${r}`, method, value: r, settings: baselineSettings(method, r, o) });
  }
  return out;
}
