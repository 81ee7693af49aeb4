/**
 * The full-cache reference for one prompt (spec §10): greedy continuation, its logits, and a trace
 * of every step (the prefill to replay into each policy's cache; the decode steps' full attention
 * for the recovery-during-decoding metric).
 */
import { type Backend, kvLayoutOf } from "../interfaces.ts";
import { argmax, checkFiniteLogits } from "../generation/sampler.ts";
import { FullKvCache } from "../kv/full-cache.ts";
import { type ReferenceRow, referenceRow } from "./metrics.ts";
import { type TokenTrace, TracingCache } from "./trace.ts";

export interface ReferenceRun {
  readonly promptTokens: readonly number[];
  /** Greedy tokens c_0..c_N with the full cache; c_0 comes from the prompt's last row. */
  readonly continuation: readonly number[];
  /** `rows[i]`: logits at position n+i (after feeding c_i), predicting c_{i+1}; i = 0..N-1. */
  readonly rows: readonly Float32Array[];
  /** `compared[i]`: rows[i]'s log-probabilities and argmax, what every setting is compared against. */
  readonly compared: readonly ReferenceRow[];
  /** Trace of positions 0..n+N-1: `steps[p]`, probs over positions 0..p. */
  readonly steps: readonly TokenTrace[];
}

/** Runs the prompt and N forced-from-greedy tokens through a full cache: n + N forwards. */
export function runReference(backend: Backend, promptTokens: readonly number[], forcedTokens: number): ReferenceRun {
  if (promptTokens.length < 1) throw new RangeError("the prompt must hold at least one token");
  if (!Number.isInteger(forcedTokens) || forcedTokens < 1) throw new RangeError(`need at least one forced token, got ${forcedTokens}`);
  const cache = new TracingCache(new FullKvCache(kvLayoutOf(backend.config)), { recording: true });
  const prefillRows = backend.prefill(promptTokens, 0, cache);
  // The full cache's rows are what every policy is measured against: a NaN here would make every metric NaN.
  prefillRows.forEach((row, p) => checkFiniteLogits(row, `at position ${p}`));
  const continuation = [argmax(prefillRows[prefillRows.length - 1]!)];
  const rows: Float32Array[] = [];
  const n = promptTokens.length;
  for (let i = 0; i < forcedTokens; i++) {
    const row = backend.forward(continuation[i]!, n + i, cache);
    checkFiniteLogits(row, `at position ${n + i}`);
    rows.push(row);
    continuation.push(argmax(row));
  }
  // Filed by position (steps[p] is position p) whatever order the backend registered them in.
  return {
    promptTokens,
    continuation,
    rows,
    compared: rows.map(referenceRow),
    steps: [...cache.steps].sort((a, b) => a.position - b.position),
  };
}
