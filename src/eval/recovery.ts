/**
 * Attention recovery during decoding (spec §10): at each decode step, the attention mass the full
 * cache gives to the positions a compressed head attended (its kept positions plus the new token,
 * spec §6 step 2). Reduced per KV head like the profiler (min or mean over the group, spec §4).
 */
import type { CompressionSession } from "../fastgen/session.ts";
import type { GqaReduction } from "../fastgen/prompt-attention.ts";
import type { KvLayout } from "../interfaces.ts";
import type { ReferenceRun } from "./reference-run.ts";

export interface HeadRecovery {
  readonly layer: number;
  readonly kvHead: number;
  readonly policy: string;
  /** FastGen: the chosen policy's recovery at profiling time (spec §4); budgeted: its curve at the kept count; null for baselines. */
  readonly profile: number | null;
  /** Budgeted: the share of the prompt the head keeps (kept / n). */
  readonly budget?: number;
  /** Mean over all decode steps. */
  readonly decode: number;
  /** Mean over the last quarter of the decode steps: "at the end of generation". */
  readonly end: number;
}

/** Steps that count as "the end": the last quarter, at least one. */
export function endWindow(steps: number): number {
  return Math.max(1, Math.ceil(steps / 4));
}

export class RecoveryMeter {
  private readonly layout: KvLayout;
  private readonly ref: ReferenceRun;
  private readonly n: number;
  private readonly steps: number;
  /** `mass[(layer · nHeads + h) · steps + step]` */
  private readonly mass: Float64Array;

  constructor(layout: KvLayout, ref: ReferenceRun, n: number) {
    this.layout = layout;
    this.ref = ref;
    this.n = n;
    this.steps = ref.rows.length;
    this.mass = new Float64Array(layout.nLayers * layout.nHeads * this.steps);
  }

  /** Called with the positions a KV head attended at `position` (a decode step). */
  observe(layer: number, kvHead: number, position: number, attended: Int32Array | Uint16Array): void {
    const { nHeads, nKvHeads } = this.layout;
    const groupSize = nHeads / nKvHeads;
    const step = position - this.n;
    const full = this.ref.steps[position]!.probs[layer * nKvHeads + kvHead]!;
    for (let i = 0; i < groupSize; i++) {
      const row = full[i]!;
      let m = 0;
      for (let e = 0; e < attended.length; e++) m += row[attended[e]!]!;
      this.mass[(layer * nHeads + kvHead * groupSize + i) * this.steps + step] = m;
    }
  }

  heads(session: CompressionSession, gqa: GqaReduction): HeadRecovery[] {
    const { nLayers, nHeads, nKvHeads } = this.layout;
    const groupSize = nHeads / nKvHeads;
    const policies = session.policyTable();
    const tail = endWindow(this.steps);
    const out: HeadRecovery[] = [];
    for (let l = 0; l < nLayers; l++) {
      for (let g = 0; g < nKvHeads; g++) {
        const decode: number[] = [];
        const end: number[] = [];
        for (let i = 0; i < groupSize; i++) {
          const base = (l * nHeads + g * groupSize + i) * this.steps;
          decode.push(mean(this.mass.subarray(base, base + this.steps)));
          end.push(mean(this.mass.subarray(base + this.steps - tail, base + this.steps)));
        }
        const chosen = session.profile?.layers[l]?.[g];
        const budget = session.budget;
        const head = budget?.layers[l]?.[g];
        out.push({
          layer: l,
          kvHead: g,
          policy: policies[l]![g]!,
          profile: chosen ? chosen.recovery[chosen.policy] : head ? head.recovery : null,
          ...(head ? { budget: head.kept / budget!.n } : {}),
          decode: reduce(decode, gqa),
          end: reduce(end, gqa),
        });
      }
    }
    return out;
  }
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

function reduce(xs: number[], how: GqaReduction): number {
  return how === "min" ? Math.min(...xs) : mean(xs);
}
