/**
 * The head profiler (spec §4): for every layer and query head, the recovery of each candidate
 * policy on the prompt's attention; reduced per KV head (min by default, or mean); the chosen
 * policy is the first candidate whose recovery reaches the threshold T.
 */
import type { KvLayout } from "../interfaces.ts";
import { CANDIDATE_NAMES, CANDIDATES, type CandidateName } from "./candidates.ts";
import { type PolicySizes, type ProfileContext, policySizes, unionRowRule } from "./policy.ts";
import {
  firstObservedRow,
  type GqaReduction,
  groupColumnScores,
  type PromptAttention,
  queryHeadsOf,
  type TokenClassLookup,
} from "./prompt-attention.ts";

export interface ProfileSettings {
  /** Recovery threshold T in [0, 1]. */
  readonly threshold: number;
  readonly rLocal: number;
  readonly rFrequent: number;
  readonly gqa: GqaReduction;
  /** Observation window: recovery over the last `observe` prompt rows only (absent: every row, spec §4). */
  readonly observe?: number | undefined;
}

/** Recovery of every candidate, keyed by the spec's policy names. */
export type RecoveryReport = Record<CandidateName, number>;

export interface KvHeadProfile {
  readonly layer: number;
  readonly kvHead: number;
  /** The first candidate with recovery ≥ T. */
  readonly policy: CandidateName;
  /** The group's recovery (min or mean over its query heads). */
  readonly recovery: RecoveryReport;
  /** Each query head's own recovery. */
  readonly queryHeads: readonly { readonly head: number; readonly recovery: RecoveryReport }[];
}

export interface ProfileReport {
  readonly settings: ProfileSettings;
  /** Prompt length n. */
  readonly n: number;
  /** The window and heavy-hitter sizes the candidates were scored with (k from n). */
  readonly sizes: PolicySizes;
  /** `layers[l][g]` */
  readonly layers: readonly (readonly KvHeadProfile[])[];
}

export function profileHeads(
  attention: PromptAttention,
  layout: KvLayout,
  classes: TokenClassLookup,
  settings: ProfileSettings,
): ProfileReport {
  const n = attention.n;
  if (n < 1) throw new RangeError("cannot profile an empty prompt");
  // Spec §4: k from n while profiling; FastGen's candidates keep no sinks.
  const sizes = policySizes({ ...settings, sinks: 0 }, n, n);
  const layers: KvHeadProfile[][] = [];
  for (let l = 0; l < layout.nLayers; l++) {
    const row: KvHeadProfile[] = [];
    for (let g = 0; g < layout.nKvHeads; g++) {
      const heads = queryHeadsOf(layout, g);
      const ctx: ProfileContext = { n, columnScores: groupColumnScores(attention, l, heads), sizes, ...bind(classes) };
      const rules = CANDIDATES.map((c) => unionRowRule(c, ctx));
      const queryHeads = heads.map((h) => ({
        head: h,
        recovery: recoveryReport((_, c) =>
          CANDIDATES[c]!.keepsAll ? 1 : recovery(attention, l, h, rules[c]!.columns, rules[c]!.window, settings.observe),
        ),
      }));
      const recoveryOf = recoveryReport((name) =>
        reduce(
          queryHeads.map((q) => q.recovery[name]),
          settings.gqa,
        ),
      );
      // Spec §4: the first candidate with recovery ≥ T (no clamping, §12.3); full always qualifies.
      const policy = CANDIDATE_NAMES.find((name) => name === "full" || recoveryOf[name] >= settings.threshold)!;
      row.push({ layer: l, kvHead: g, policy, recovery: recoveryOf, queryHeads });
    }
    layers.push(row);
  }
  return { settings, n, sizes, layers };
}

function bind(classes: TokenClassLookup): TokenClassLookup {
  return { isSpecial: (p) => classes.isSpecial(p), isPunct: (p) => classes.isPunct(p) };
}

function recoveryReport(f: (name: CandidateName, index: number) => number): RecoveryReport {
  return Object.fromEntries(CANDIDATE_NAMES.map((name, i) => [name, f(name, i)])) as RecoveryReport;
}

function reduce(values: number[], how: GqaReduction): number {
  return how === "min" ? Math.min(...values) : values.reduce((a, b) => a + b, 0) / values.length;
}

/** (1/n) Σ_i Σ_{j ≤ i kept} A[i, j]: plain retained mass, not renormalised (spec §4); with `observe`, over the last rows only. */
function recovery(
  attention: PromptAttention,
  layer: number,
  head: number,
  columns: Uint8Array | null,
  window: number,
  observe?: number,
): number {
  let total = 0;
  const from = firstObservedRow(attention.n, observe);
  for (let i = from; i < attention.n; i++) {
    const row = attention.row(layer, head, i);
    for (let j = 0; j <= i; j++) {
      if (j > i - window || (columns !== null && columns[j] === 1)) total += row[j]!;
    }
  }
  return total / (attention.n - from);
}

/** How many KV heads got each policy. */
export function policyCounts(report: ProfileReport): Record<CandidateName, number> {
  const counts = recoveryReport(() => 0);
  for (const layer of report.layers) for (const head of layer) counts[head.policy]++;
  return counts;
}
