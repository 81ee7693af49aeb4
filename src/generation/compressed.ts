/** Generation and teacher forcing through a compressing cache (FastGen or a baseline). */
import { type Backend, kvLayoutOf } from "../interfaces.ts";
import type { CompressionSettings } from "../fastgen/methods.ts";
import { CompressionSession } from "../fastgen/session.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import { generateTokens, type GenerateOptions, type GeneratedToken } from "./generate.ts";

export interface CompressedGeneration {
  readonly tokens: number[];
  readonly session: CompressionSession;
}

/** Greedy or sampled generation; `onToken` sees each token as it is produced. */
export function generateCompressed(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  promptTokens: readonly number[],
  options: Omit<GenerateOptions, "afterPrefill" | "afterStep">,
  onToken?: (t: GeneratedToken) => void,
): CompressedGeneration {
  const session = new CompressionSession(kvLayoutOf(backend.config), classes, settings);
  const tokens: number[] = [];
  const steps = generateTokens(backend, session.cache, promptTokens, {
    ...options,
    afterPrefill: () => session.finishPrefill(),
    afterStep: () => session.recordStep(),
  });
  for (const t of steps) {
    tokens.push(t.token);
    onToken?.(t);
  }
  return { tokens, session };
}

/**
 * Teacher forcing (spec §12.12): rows 0..N-1 come from prefill with the full cache; the cache is
 * profiled and compressed after row N-1; rows N.. come from the compressed cache. Returns one row
 * of logits per fed token.
 */
export function teacherForce(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  tokens: readonly number[],
  promptLength: number,
  onRow?: (row: number) => void,
): { rows: Float32Array[]; session: CompressionSession } {
  if (!Number.isInteger(promptLength) || promptLength < 1 || promptLength > tokens.length) {
    throw new RangeError(`prompt length must be in 1..${tokens.length}, got ${promptLength}`);
  }
  const session = new CompressionSession(kvLayoutOf(backend.config), classes, settings);
  const rows = backend.prefill(tokens.slice(0, promptLength), 0, session.cache);
  session.finishPrefill();
  for (let p = promptLength; p < tokens.length; p++) {
    rows.push(backend.forward(tokens[p]!, p, session.cache));
    session.recordStep();
    onRow?.(p);
  }
  return { rows, session };
}
