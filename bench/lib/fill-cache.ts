/**
 * Builds a compressed cache at context length L without running L prefill steps: random keys
 * and values, random attention weights for the scores, then the policy's compression. Decode
 * steps after it are real forward passes. (A reference prefill of 8192 tokens would take minutes.)
 */
import { kvLayoutOf } from "../../src/interfaces.ts";
import type { KvHeadPolicy } from "../../src/fastgen/policy.ts";
import { mulberry32 } from "../../src/random.ts";
import { AdaptiveKvCache } from "../../src/fastgen/adaptive-cache.ts";
import type { LlamaModel } from "../../src/model/types.ts";

export function filledCache(
  model: LlamaModel,
  length: number,
  policy: KvHeadPolicy,
  ratios: { rLocal: number; rFrequent: number },
  seed = 1,
): AdaptiveKvCache {
  const layout = kvLayoutOf(model.config);
  const V = model.config.vocabSize;
  const classes = { special: new Uint8Array(V), punct: new Uint8Array(V) };
  classes.special[1] = 1;
  const cache = new AdaptiveKvCache(layout, { classes, sizes: { ...ratios, sinks: 4 }, recordPromptAttention: false });
  const random = mulberry32(seed);
  const key = new Float32Array(layout.headDim);
  const value = new Float32Array(layout.headDim);
  const groupSize = layout.nHeads / layout.nKvHeads;
  for (let p = 0; p < length; p++) {
    cache.registerToken(p, p === 0 ? 1 : 3 + (p % (V - 3)));
    for (let l = 0; l < layout.nLayers; l++) {
      for (let g = 0; g < layout.nKvHeads; g++) {
        for (let i = 0; i < layout.headDim; i++) {
          key[i] = random() - 0.5;
          value[i] = random() - 0.5;
        }
        cache.append(l, g, p, key, value);
        // Only the newest entry's weight matters for the scores' ranking here; a full row would be O(L²).
        const probs = Array.from({ length: groupSize }, () => {
          const row = new Float32Array(p + 1);
          row[p] = random();
          return row;
        });
        cache.afterAttention(l, g, p, probs);
      }
    }
  }
  cache.compress(Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nKvHeads }, () => policy)));
  return cache;
}
