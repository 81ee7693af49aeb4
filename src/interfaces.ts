/**
 * The contracts between the layers: what every backend (reference/, kernels/) implements and
 * the KV-cache protocol it runs through. This module imports nothing of reference/ or kernels/
 * and nothing of the cache or policy code; they all import it.
 *
 * The KV-cache protocol: one store per (layer, KV head). The backend appends each new key/value,
 * reads the kept entries to attend over them, then reports the attention it computed; the cache
 * may then evict (spec §6, §12.7). A backend never needs to know which policy the cache follows.
 *
 * Contract a backend may rely on (the gpu path's batched prefill does):
 * - the (layer, KV head) stores are independent: `afterAttention` changes only its own store,
 *   so calls may interleave across stores differently from token-by-token order, as long as each
 *   store sees its own calls in position order;
 * - a view returns exactly the key/value vectors that were appended for its positions.
 */
import type { LlamaConfig } from "./model/types.ts";
export interface KvLayout {
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
}

/** The entries a (layer, KV head) store holds right now, in increasing position order (spec §7). */
export interface KvView {
  readonly length: number;
  /** `[length]` absolute positions (16-bit while they fit, src/kv/head-store.ts). */
  readonly positions: Int32Array | Uint16Array;
  /** `[length][headDim]` keys, RoPE already applied. */
  readonly keys: Float32Array;
  /** `[length][headDim]` values. */
  readonly values: Float32Array;
}

export interface KvCache {
  readonly layout: KvLayout;
  /**
   * Tells the cache which token sits at `position` (token classes belong to positions, spec §12.8). Called before that
   * token's layers run.
   */
  registerToken(position: number, token: number): void;
  /** Appends the key and value of the token at `position` (length headDim each; copied). */
  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void;
  /** The entries to attend over; valid until the next call that changes this store. */
  view(layer: number, kvHead: number): KvView;
  /**
   * After the attention of the token at `position` in `layer`: `probs[i]` holds the softmax weights
   * of query head `kvHead * groupSize + i` over the entries of `view(layer, kvHead)` as they were read.
   * This is where a compressing cache updates its scores and evicts.
   */
  afterAttention(layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void;
  /**
   * Optional: the next `entries` appends to every store are coming now (a prompt chunk), so a
   * store may grow once to hold them instead of once per append. The room is what those appends
   * fill: no spare is left by it.
   */
  reserve?(entries: number): void;
}

export function groupSize(layout: KvLayout): number {
  return layout.nHeads / layout.nKvHeads;
}

/** Query head `h` reads KV head `floor(h / groupSize)` (spec §2). */
export function kvHeadOf(layout: KvLayout, queryHead: number): number {
  return Math.floor(queryHead / groupSize(layout));
}

/**
 * Where a KV cache's per-head buffers live (keys, values, positions). By default plain JS typed
 * arrays ({@link jsKvStorage}); a backend whose kernels read memory of their own (the wasm backend)
 * offers one that allocates there, so attention reads each head's kept entries where they lie,
 * with no copy per step. The cache code still owns the buffers' contents (appends, eviction).
 */
export interface KvStorage {
  /** A float32 buffer of `length` elements (contents unspecified), valid until {@link free}. */
  allocFloat32(length: number): Float32Array;
  /** An int32 buffer of `length` elements (contents unspecified), valid until {@link free}. */
  allocInt32(length: number): Int32Array;
  /** Gives back a buffer from this storage; its space may be reused, so it must not be used after. */
  free(buffer: Float32Array | Int32Array): void;
}

/** Plain JS typed arrays, freed by the garbage collector. */
export const jsKvStorage: KvStorage = {
  allocFloat32: (length) => new Float32Array(length),
  allocInt32: (length) => new Int32Array(length),
  free: () => {},
};

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
  /**
   * Storage for KV caches this backend runs fastest with (the wasm backend: its own memory).
   * Optional: callers fall back to {@link jsKvStorage}, and every backend works with any cache.
   */
  readonly kvStorage?: KvStorage;
}

export function kvLayoutOf(config: LlamaConfig): KvLayout {
  return { nLayers: config.nLayers, nHeads: config.nHeads, nKvHeads: config.nKvHeads, headDim: config.headDim };
}

/**
 * The checks every backend makes before it runs `tokens` at positions `start..` (the same for the
 * reference and the kernels, so a bad call fails the same way on each): token ids inside the
 * vocabulary, a non-negative whole start, and a cache laid out for this model.
 */
export function checkRunArguments(config: LlamaConfig, tokens: readonly number[], start: number, cache: KvCache): void {
  for (const token of tokens) {
    if (!Number.isInteger(token) || token < 0 || token >= config.vocabSize) {
      throw new RangeError(`token id ${token} is outside the vocabulary (0..${config.vocabSize - 1})`);
    }
  }
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`start position ${start} is not a non-negative integer`);
  const l = cache.layout;
  if (l.nLayers !== config.nLayers || l.nHeads !== config.nHeads || l.nKvHeads !== config.nKvHeads || l.headDim !== config.headDim) {
    throw new RangeError("the KV cache layout does not match the model");
  }
}

/** A positive whole number of prompt rows per chunk, or a RangeError naming the setting. */
export function checkChunkRows(rows: number): number {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`maxChunkRows must be a positive integer, got ${rows}`);
  return rows;
}

/**
 * Runs a prompt in consecutive chunks of at most `rows` tokens (the batched backends' prefill):
 * `run(chunk, chunkStart, isLast)` for each, in order; returns what each run returned.
 */
export function inChunks<T>(
  tokens: readonly number[],
  start: number,
  rows: number,
  run: (chunk: readonly number[], chunkStart: number, isLast: boolean) => T,
): T[] {
  const out: T[] = [];
  for (let at = 0; at < tokens.length; at += rows) out.push(run(tokens.slice(at, at + rows), start + at, at + rows >= tokens.length));
  return out;
}
