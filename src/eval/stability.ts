/**
 * The profile stability study (the paper's core assumption, spec §1): does a KV head pick the same
 * policy whatever the prompt, and does the recovery measured while generating still reach what
 * profiling promised? Also the per-layer policy shares (the paper's Figure 3 view).
 */
import { CANDIDATE_NAMES, type CandidateName } from "../fastgen/candidates.ts";
import { outcomesOf } from "./aggregate.ts";
import { bandLabel, LENGTH_BANDS, promptsInBand } from "./length-bands.ts";
import type { PromptOutcome } from "./prompt-eval.ts";
import type { HeadRecovery } from "./recovery.ts";
import type { EvalSetting } from "./settings.ts";

export interface HeadStability {
  readonly layer: number;
  readonly kvHead: number;
  /** Prompts that chose each policy. */
  readonly counts: Readonly<Record<CandidateName, number>>;
  readonly mode: CandidateName;
  /** Share of prompts that chose the modal policy. */
  readonly modeShare: number;
  /** Chance that two different prompts chose the same policy: Σ c(c−1) / (P(P−1)). */
  readonly pairAgreement: number;
}

export interface RecoveryDrift {
  /** KV heads (over all prompts) with a policy other than full. */
  readonly heads: number;
  /** Mean recovery of the chosen policy at profiling time. */
  readonly profile: number;
  /** Mean over all decode steps, and over the last quarter. */
  readonly decode: number;
  readonly end: number;
  /** Share of those heads whose end-of-generation recovery still reaches T. */
  readonly endReachesT: number;
}

export interface ThresholdStability {
  readonly setting: string;
  readonly threshold: number;
  readonly prompts: number;
  readonly heads: readonly HeadStability[];
  /** Means over KV heads. */
  readonly modeShare: number;
  readonly pairAgreement: number;
  /** `layerShares[layer][policy]`: share of that layer's KV heads (over prompts) with the policy. */
  readonly layerShares: readonly Readonly<Record<CandidateName, number>>[];
  readonly recovery: RecoveryDrift;
}

const zeroCounts = (): Record<CandidateName, number> =>
  Object.fromEntries(CANDIDATE_NAMES.map((c) => [c, 0])) as Record<CandidateName, number>;

function asCandidate(policy: string): CandidateName {
  if (!(CANDIDATE_NAMES as readonly string[]).includes(policy)) throw new Error(`not a FastGen candidate policy: ${policy}`);
  return policy as CandidateName;
}

export function headStability(layer: number, kvHead: number, policies: readonly string[]): HeadStability {
  const counts = zeroCounts();
  for (const p of policies) counts[asCandidate(p)]++;
  const P = policies.length;
  const mode = CANDIDATE_NAMES.reduce((best, c) => (counts[c] > counts[best] ? c : best), CANDIDATE_NAMES[0]);
  const pairs = CANDIDATE_NAMES.reduce((a, c) => a + counts[c] * (counts[c] - 1), 0);
  return { layer, kvHead, counts, mode, modeShare: counts[mode] / P, pairAgreement: P > 1 ? pairs / (P * (P - 1)) : 1 };
}

export function recoveryDrift(heads: readonly HeadRecovery[], threshold: number): RecoveryDrift {
  const h = heads.filter((x) => x.policy !== "full" && x.profile !== null);
  const mean = (f: (x: HeadRecovery) => number) => (h.length ? h.reduce((a, x) => a + f(x), 0) / h.length : NaN);
  return {
    heads: h.length,
    profile: mean((x) => x.profile!),
    decode: mean((x) => x.decode),
    end: mean((x) => x.end),
    endReachesT: mean((x) => (x.end >= threshold ? 1 : 0)),
  };
}

export function stabilityOf(settings: readonly EvalSetting[], prompts: readonly PromptOutcome[]): ThresholdStability[] {
  return settings
    .filter((s) => s.policy === "fastgen")
    .map((s) => {
      const perPrompt = outcomesOf(prompts, s.id).map((o) => o.heads ?? []);
      const all = perPrompt.flat();
      const nLayers = Math.max(...all.map((h) => h.layer)) + 1;
      const nKv = Math.max(...all.map((h) => h.kvHead)) + 1;
      const heads: HeadStability[] = [];
      const layerShares: Record<CandidateName, number>[] = [];
      for (let l = 0; l < nLayers; l++) {
        const shares = zeroCounts();
        for (let g = 0; g < nKv; g++) {
          const policies = perPrompt.map((hs) => hs.find((h) => h.layer === l && h.kvHead === g)!.policy);
          const hs = headStability(l, g, policies);
          heads.push(hs);
          for (const c of CANDIDATE_NAMES) shares[c] += hs.counts[c] / (nKv * policies.length);
        }
        layerShares.push(shares);
      }
      const avg = (f: (h: HeadStability) => number) => heads.reduce((a, h) => a + f(h), 0) / heads.length;
      return {
        setting: s.id,
        threshold: s.value!,
        prompts: perPrompt.length,
        heads,
        modeShare: avg((h) => h.modeShare),
        pairAgreement: avg((h) => h.pairAgreement),
        layerShares,
        recovery: recoveryDrift(all, s.value!),
      };
    });
}

/** One setting (a base or its observation-window variant) over the prompts of a length band. */
export interface ObserveRow {
  readonly band: string;
  readonly setting: string;
  readonly observe: number | null;
  readonly prompts: number;
  readonly compression: number;
  readonly kl: number;
  /** Non-full heads: profiled recovery, during decoding, over the last quarter. */
  readonly recovery: RecoveryDrift;
}

/**
 * Does profiling over the last W prompt rows (SnapKV's observation window) close the gap between
 * the recovery promised at profiling and the recovery measured while decoding? Each variant beside
 * its base setting, per prompt-length band and over all prompts.
 */
export function observeStudy(
  pairs: readonly { readonly base: EvalSetting; readonly variant: EvalSetting }[],
  prompts: readonly PromptOutcome[],
): ObserveRow[] {
  const bands: [string, readonly PromptOutcome[]][] = [
    ...LENGTH_BANDS.map(([from, to]): [string, readonly PromptOutcome[]] => [bandLabel(from, to), promptsInBand(prompts, from, to)]),
    ["all", prompts],
  ];
  const rows: ObserveRow[] = [];
  for (const [band, inBand] of bands) {
    if (inBand.length === 0) continue;
    for (const { base, variant } of pairs) {
      for (const s of [base, variant]) {
        const o = outcomesOf(inBand, s.id);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        rows.push({
          band,
          setting: s.id,
          observe: s.observe ?? null,
          prompts: inBand.length,
          compression: mean(o.map((x) => x.compression.mean)),
          kl: mean(o.map((x) => x.teacher.kl)),
          recovery: recoveryDrift(
            o.flatMap((x) => x.heads ?? []),
            s.policy === "fastgen" ? s.value! : NaN,
          ),
        });
      }
    }
  }
  return rows;
}
