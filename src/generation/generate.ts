/** The generation loop: prefill the prompt, then decode one token at a time through a KV cache. */
import type { Backend } from "../interfaces.ts";
import type { KvCache } from "../interfaces.ts";
import { Sampler, type SamplingOptions } from "./sampler.ts";

export interface GenerateOptions {
  /** New tokens to produce at most. */
  maxTokens: number;
  sampling: SamplingOptions;
  /** Token ids that end generation (not emitted); default: none. */
  stopTokens?: readonly number[];
  /** Called after prefill, before the first decode step (FastGen profiles and compresses here). */
  afterPrefill?: () => void;
  /** Called after each decode step (each token fed after the prompt). */
  afterStep?: () => void;
}

export interface GeneratedToken {
  readonly token: number;
  /** Position the token will occupy when fed back. */
  readonly position: number;
}

/**
 * Yields generated tokens one by one. The prompt's last row of logits picks the first token;
 * each generated token is then fed back (the sampled token at position p is run through the
 * model to produce the logits of position p+1).
 */
export function* generateTokens(backend: Backend, cache: KvCache, promptTokens: readonly number[], options: GenerateOptions): Generator<GeneratedToken> {
  if (promptTokens.length === 0) throw new RangeError("the prompt must hold at least one token (normally BOS)");
  const sampler = new Sampler(options.sampling);
  const stop = new Set(options.stopTokens ?? []);
  const rows = backend.prefill(promptTokens, 0, cache);
  options.afterPrefill?.();
  let logits = rows[rows.length - 1]!;
  let position = promptTokens.length;
  for (let i = 0; i < options.maxTokens; i++) {
    const token = sampler.next(logits);
    if (stop.has(token)) return;
    yield { token, position };
    if (i + 1 === options.maxTokens) return;
    logits = backend.forward(token, position, cache);
    options.afterStep?.();
    position++;
  }
}
