/** The generation loop: prefill the prompt, then decode one token at a time through a KV cache. */
import type { Backend, KvCache } from "../interfaces.ts";
import { Sampler, type SamplingOptions } from "./sampler.ts";

export interface DecodeOptions {
  /** New tokens to produce at most. */
  maxTokens: number;
  sampling: SamplingOptions;
  /** Token ids that end generation (not emitted); default: none. */
  stopTokens?: readonly number[];
}

export interface GeneratedToken {
  readonly token: number;
  /** Position the token will occupy when fed back. */
  readonly position: number;
}

/**
 * Yields generated tokens one by one, starting from `logits` (the prompt's last row), which picks
 * the first token; each token is then fed back at `position`, `position + 1`, … to produce the
 * logits of the next. The last token is not fed back. `afterStep` runs after each feed (a
 * compressing cache records its figures there).
 */
export function* decodeTokens(
  backend: Backend,
  cache: KvCache,
  logits: Float32Array,
  position: number,
  options: DecodeOptions,
  afterStep?: () => void,
): Generator<GeneratedToken> {
  const sampler = new Sampler(options.sampling);
  const stop = new Set(options.stopTokens ?? []);
  for (let i = 0; i < options.maxTokens; i++) {
    const token = sampler.next(logits);
    if (stop.has(token)) return;
    yield { token, position };
    if (i + 1 === options.maxTokens) return;
    logits = backend.forward(token, position, cache);
    afterStep?.();
    position++;
  }
}

/** Prefill + {@link decodeTokens} through a plain cache (no compression step in between). */
export function* generateTokens(
  backend: Backend,
  cache: KvCache,
  promptTokens: readonly number[],
  options: DecodeOptions,
): Generator<GeneratedToken> {
  if (promptTokens.length === 0) throw new RangeError("the prompt must hold at least one token (normally BOS)");
  const rows = backend.prefill(promptTokens, 0, cache);
  yield* decodeTokens(backend, cache, rows[rows.length - 1]!, promptTokens.length, options);
}
