/**
 * The backend interface that reference/ and kernels/ both implement. Everything in src/
 * (profiler, caches, generation, evaluation) runs the model only through it.
 */
import type { KvCache, KvLayout } from "./kv/cache.ts";
import type { LlamaConfig } from "./model/types.ts";

export interface Backend {
  /** What ran, e.g. "reference" or "gpu (headlessgl)". */
  readonly name: string;
  readonly config: LlamaConfig;
  /** Runs the token at `position` through every layer, reading and writing K/V through `cache`. Returns fresh logits `[vocabSize]`. */
  forward(token: number, position: number, cache: KvCache): Float32Array;
  /** Runs `tokens` at positions `start..`, returning the logits after each one. Equivalent to calling `forward` per token. */
  prefill(tokens: readonly number[], start: number, cache: KvCache): Float32Array[];
  /** Releases whatever the backend holds (GPU kernels, textures). */
  dispose(): void;
}

export function kvLayoutOf(config: LlamaConfig): KvLayout {
  return { nLayers: config.nLayers, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim };
}
