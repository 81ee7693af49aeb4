/**
 * The quality metrics of spec §10, as pure functions: teacher-forced divergence (KL, top-1
 * agreement, log-likelihood of the forced token) and free-running agreement. Float64 throughout,
 * from float32 logits (spec §12.3).
 */
import { argmax } from "../generation/sampler.ts";

/** log softmax in float64: `x_i - max - log Σ exp(x_j - max)`. */
export function logSoftmaxF64(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/** KL(p ‖ q) = Σ p (log p − log q) from log-probabilities; terms with p = 0 add nothing. */
export function klFromLogProbs(logP: Float64Array, logQ: Float64Array): number {
  if (logP.length !== logQ.length) throw new RangeError(`distributions differ in size: ${logP.length} vs ${logQ.length}`);
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const p = Math.exp(logP[i]!);
    if (p > 0) kl += p * (logP[i]! - logQ[i]!);
  }
  // Rounding can leave a hair below zero for near-identical rows; KL is never negative.
  return Math.max(0, kl);
}

/** One compared row: the full cache's logits, the compressed cache's, and the token forced next. */
export interface RowComparison {
  readonly kl: number;
  /** argmax of both rows agrees. */
  readonly top1: boolean;
  readonly logpFull: number;
  readonly logpCompressed: number;
}

/** What a full-cache row is compared by: its log-probabilities and argmax, worked out once for every policy. */
export interface ReferenceRow {
  readonly logProbs: Float64Array;
  readonly top: number;
}

export function referenceRow(logits: ArrayLike<number>): ReferenceRow {
  return { logProbs: logSoftmaxF64(logits), top: argmax(logits) };
}

/** `full`: the full cache's logits, or their {@link referenceRow} (an eval compares one row against every setting). */
export function compareRow(full: ArrayLike<number> | ReferenceRow, compressed: ArrayLike<number>, forced: number): RowComparison {
  const ref = "logProbs" in full ? full : referenceRow(full);
  const lf = ref.logProbs;
  const lc = logSoftmaxF64(compressed);
  if (!(forced >= 0 && forced < lf.length)) throw new RangeError(`forced token ${forced} is outside the vocabulary`);
  return { kl: klFromLogProbs(lf, lc), top1: ref.top === argmax(compressed), logpFull: lf[forced]!, logpCompressed: lc[forced]! };
}

/** Means over the compared rows (spec §10 "report the means"). */
export interface TeacherForcedMetrics {
  readonly rows: number;
  /** Mean KL(p_full ‖ p_compressed), nats. */
  readonly kl: number;
  /** Largest KL of any row. */
  readonly klMax: number;
  /** Share of rows whose argmax agrees. */
  readonly top1: number;
  /** mean log p_compressed(forced) − mean log p_full(forced), nats per token (≤ 0 is worse). */
  readonly llr: number;
}

export function summarizeRows(rows: readonly RowComparison[]): TeacherForcedMetrics {
  if (rows.length === 0) throw new RangeError("no rows to summarize");
  let kl = 0;
  let klMax = 0;
  let top1 = 0;
  let llr = 0;
  for (const r of rows) {
    kl += r.kl;
    klMax = Math.max(klMax, r.kl);
    top1 += r.top1 ? 1 : 0;
    llr += r.logpCompressed - r.logpFull;
  }
  const n = rows.length;
  return { rows: n, kl: kl / n, klMax, top1: top1 / n, llr: llr / n };
}

export interface FreeRunningMetrics {
  /** Share of positions where both greedy runs produced the same token. */
  readonly agreement: number;
  /** Tokens from the start on which the runs agree. */
  readonly commonPrefix: number;
}

/** Compares a free-running continuation with the reference one, position by position. */
export function freeRunningAgreement(reference: readonly number[], run: readonly number[]): FreeRunningMetrics {
  if (reference.length !== run.length) throw new RangeError(`runs differ in length: ${reference.length} vs ${run.length}`);
  if (reference.length === 0) throw new RangeError("nothing to compare");
  let same = 0;
  let prefix = -1;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] === run[i]) same++;
    else if (prefix < 0) prefix = i;
  }
  return { agreement: same / reference.length, commonPrefix: prefix < 0 ? reference.length : prefix };
}
