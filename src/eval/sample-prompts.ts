/**
 * Model-sampled prompts: from BOS, seeded temperature sampling with the full cache, to chosen
 * lengths. BOS and EOS are never sampled (a prompt is one story, not the end of one). Prompt i
 * uses seed + i, so any prompt can be regenerated alone.
 */
import { kvLayoutOf, type Backend } from "../interfaces.ts";
import { checkFiniteLogits, Sampler } from "../generation/sampler.ts";
import { FullKvCache } from "../kv/full-cache.ts";

export interface SampleOptions {
  readonly count: number;
  /** Token counts (BOS included), used in turn. */
  readonly lengths: readonly number[];
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
}

/** `onToken` is called after every forward pass (for progress on long runs). */
export function samplePromptTokens(
  backend: Backend,
  ids: { readonly bos: number; readonly eos: number },
  o: SampleOptions,
  onToken?: () => void,
): number[][] {
  if (o.lengths.length === 0) throw new RangeError("need at least one length");
  return Array.from({ length: o.count }, (_, i) => {
    const length = o.lengths[i % o.lengths.length]!;
    const sampler = new Sampler({ temperature: o.temperature, topP: o.topP, seed: (o.seed + i) >>> 0 });
    const cache = new FullKvCache(kvLayoutOf(backend.config));
    const tokens = [ids.bos];
    let logits = backend.forward(ids.bos, 0, cache);
    onToken?.();
    while (tokens.length < length) {
      // Checked before masking: the mask's -Infinity is ours, a non-finite logit of the model is an error.
      checkFiniteLogits(logits, `at position ${tokens.length - 1}`);
      const masked = Float32Array.from(logits);
      masked[ids.bos] = -Infinity;
      masked[ids.eos] = -Infinity;
      const t = sampler.next(masked);
      tokens.push(t);
      if (tokens.length < length) {
        logits = backend.forward(t, tokens.length - 1, cache);
        onToken?.();
      }
    }
    return tokens;
  });
}
