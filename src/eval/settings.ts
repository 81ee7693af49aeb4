/**
 * The methods and settings an evaluation sweeps: FastGen over thresholds T, each baseline over a
 * budget ratio (spec §9: compared at matched compression), budgeted over its compression C
 * (docs/algorithm.md §10), and the full cache as the reference. With an observation window, a few
 * extra settings (`observeSettings`) rerun FastGen and budgeted with recovery over the last W rows.
 */
import { type CompressionSettings, compressionSettingsSchema, type PolicyName } from "../fastgen/settings.ts";
import type { GqaReduction } from "../fastgen/prompt-attention.ts";

/** Methods swept over one knob and read at FastGen's compression (budgeted's knob is C). */
export const SWEPT_BASELINES = ["budgeted", "local", "frequent", "h2o", "streaming"] as const;
export type SweptBaseline = (typeof SWEPT_BASELINES)[number];

export interface EvalSetting {
  /** e.g. "fastgen T=0.95", "h2o r=0.2", "full". */
  readonly id: string;
  readonly policy: PolicyName;
  /** T for FastGen, C for budgeted, the swept ratio for a baseline, null for full. */
  readonly value: number | null;
  /** Observation window W of an `observeSettings` variant. */
  readonly observe?: number;
  readonly settings: CompressionSettings;
}

export interface SweepOptions {
  readonly thresholds: readonly number[];
  /** Per swept policy; budgeted's C values may be left out (none). */
  readonly ratios: Readonly<Record<Exclude<SweptBaseline, "budgeted">, readonly number[]>> & { readonly budgeted?: readonly number[] };
  /** FastGen's own window and heavy-hitter ratios (spec §3 default 0.3). */
  readonly rLocal: number;
  readonly rFrequent: number;
  readonly gqa: GqaReduction;
  readonly sinks: number;
  /** Observation window study: FastGen at `threshold` and budgeted at `compression`, rerun with recovery over the last `window` rows. */
  readonly observe?: { readonly window: number; readonly threshold: number; readonly compression: number };
}

/** What a baseline's ratio r sets: local → rLocal; frequent → rFrequent; h2o → both; streaming → rLocal (plus sinks). */
function baselineSettings(policy: SweptBaseline, r: number, o: SweepOptions): CompressionSettings {
  const over =
    policy === "budgeted"
      ? { compression: r }
      : policy === "local" || policy === "streaming"
        ? { rLocal: r }
        : policy === "frequent"
          ? { rFrequent: r }
          : { rLocal: r, rFrequent: r };
  return compressionSettingsSchema.parse({ policy, gqa: o.gqa, sinks: o.sinks, rLocal: o.rLocal, rFrequent: o.rFrequent, ...over });
}

export function buildSettings(o: SweepOptions): EvalSetting[] {
  const out: EvalSetting[] = [{ id: "full", policy: "full", value: null, settings: compressionSettingsSchema.parse({ policy: "full" }) }];
  for (const t of o.thresholds) {
    const settings = compressionSettingsSchema.parse({
      policy: "fastgen",
      threshold: t,
      rLocal: o.rLocal,
      rFrequent: o.rFrequent,
      gqa: o.gqa,
      sinks: o.sinks,
    });
    out.push({ id: `fastgen T=${t}`, policy: "fastgen", value: t, settings });
  }
  for (const policy of SWEPT_BASELINES) {
    for (const r of o.ratios[policy] ?? [])
      out.push({ id: `${policy} ${policy === "budgeted" ? "C" : "r"}=${r}`, policy, value: r, settings: baselineSettings(policy, r, o) });
  }
  return out;
}

/** The observation-window variants (none without `o.observe`). */
export function observeSettings(o: SweepOptions): EvalSetting[] {
  if (!o.observe) return [];
  const { window: w, threshold, compression } = o.observe;
  const base = { gqa: o.gqa, sinks: o.sinks, rLocal: o.rLocal, rFrequent: o.rFrequent, observe: w };
  return [
    {
      id: `fastgen T=${threshold} W=${w}`,
      policy: "fastgen",
      value: threshold,
      observe: w,
      settings: compressionSettingsSchema.parse({ ...base, policy: "fastgen", threshold }),
    },
    {
      id: `budgeted C=${compression} W=${w}`,
      policy: "budgeted",
      value: compression,
      observe: w,
      settings: compressionSettingsSchema.parse({ ...base, policy: "budgeted", compression }),
    },
  ];
}
