/**
 * FastGen's one pipeline (spec §4–§6): **profile** — prefill the prompt through a compressing cache
 * that records its attention; **compress** — pick each head's policy (FastGen) or apply the
 * baseline's, and cut the cache; **decode** — token by token, the cache re-applying its policy after
 * every step. The CLI, the library API, eval, bench and the smoke checks all go through here.
 */
import { type Backend, type KvCache, kvLayoutOf } from "../interfaces.ts";
import { decodeTokens, type DecodeOptions, type GeneratedToken } from "../generation/generate.ts";
import type { CompressionSettings } from "./settings.ts";
import type { ProfileReport } from "./profiler.ts";
import { CompressionSession } from "./session.ts";
import type { TokenClasses } from "./token-classes.ts";

/** A prompt run through the cache, profiled and compressed: ready to decode. */
export interface CompressedPrompt {
  readonly session: CompressionSession;
  readonly promptTokens: readonly number[];
  /** One row of logits per prompt token (empty when `fill` replayed a recorded prefill instead). */
  readonly rows: readonly Float32Array[];
  /** FastGen's profile (undefined for the baselines). */
  readonly profile: ProfileReport | undefined;
}

/**
 * Profile → compress. `fill` puts the prompt into the cache; by default the backend's prefill
 * (eval replays a recorded prefill instead, which leaves the cache in the same state).
 */
export function compressPrompt(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  promptTokens: readonly number[],
  fill: (cache: KvCache) => readonly Float32Array[] = (cache) => backend.prefill(promptTokens, 0, cache),
): CompressedPrompt {
  if (promptTokens.length === 0) throw new RangeError("the prompt must hold at least one token (normally BOS)");
  // The cache's buffers live where the backend reads them fastest (its own memory, for wasm).
  const session = new CompressionSession(kvLayoutOf(backend.config), classes, settings, backend.kvStorage);
  const rows = fill(session.cache);
  session.finishPrefill();
  return { session, promptTokens, rows, profile: session.profile };
}

/**
 * Decode from a compressed prompt, yielding each token; the session records compression per step.
 * `cache` is what the backend reads and writes: the session's cache, or a wrapper that passes every
 * call on to it (the API's step watcher).
 */
export function decodeCompressed(
  backend: Backend,
  prompt: CompressedPrompt,
  options: DecodeOptions,
  cache: KvCache = prompt.session.cache,
): Generator<GeneratedToken> {
  const last = prompt.rows[prompt.rows.length - 1];
  if (!last) throw new RangeError("decoding needs the prompt's last row of logits");
  return decodeTokens(backend, cache, last, prompt.promptTokens.length, options, () => prompt.session.recordStep());
}

export interface CompressedGeneration {
  readonly tokens: number[];
  readonly session: CompressionSession;
}

/** The whole pipeline at once: greedy or sampled generation; `onToken` sees each token as it is produced. */
export function generateCompressed(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  promptTokens: readonly number[],
  options: DecodeOptions,
  onToken?: (t: GeneratedToken) => void,
): CompressedGeneration {
  const prompt = compressPrompt(backend, classes, settings, promptTokens);
  const tokens: number[] = [];
  for (const t of decodeCompressed(backend, prompt, options)) {
    tokens.push(t.token);
    onToken?.(t);
  }
  return { tokens, session: prompt.session };
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
  const { session, rows } = compressPrompt(backend, classes, settings, tokens.slice(0, promptLength));
  const all = [...rows];
  for (let p = promptLength; p < tokens.length; p++) {
    all.push(backend.forward(tokens[p]!, p, session.cache));
    session.recordStep();
    onRow?.(p);
  }
  return { rows: all, session };
}
