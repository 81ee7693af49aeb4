/**
 * Recording and replaying what a backend does on a KV cache. Before compression every policy's
 * cache keeps everything, so the prefill is the same for all (spec §12.11, §12.12): it is run once,
 * recorded, and replayed into each policy's fresh cache — the cache then holds exactly the state a
 * real prefill would leave. The same trick forks a teacher-forced run into a free-running one.
 */
import type { KvCache, KvLayout, KvView } from "../interfaces.ts";

/** The calls one token made: its key and value per (layer, KV head) and the attention it reported. */
export interface TokenTrace {
  readonly position: number;
  readonly token: number;
  /** `[(layer · nKvHeads + g) · headDim + d]` */
  readonly keys: Float32Array;
  readonly values: Float32Array;
  /** `probs[layer · nKvHeads + g][i]`: weights of the group's i-th query head over the view as read. */
  readonly probs: Float32Array[][];
}

/** Sees each attention a backend reports, with the positions it attended (the view as read). */
export type AttentionObserver = (
  layer: number,
  kvHead: number,
  position: number,
  attended: Int32Array | Uint16Array,
  probs: readonly Float32Array[],
) => void;

/**
 * A KvCache that forwards every call to `inner` and records them (while `recording`), filed by
 * position: a backend may interleave the calls of different stores (the gpu path's batched
 * prefill does, src/kv/cache.ts), only each store's own calls come in position order.
 */
export class TracingCache implements KvCache {
  readonly layout: KvLayout;
  readonly steps: TokenTrace[] = [];
  recording: boolean;
  private readonly byPosition = new Map<number, TokenTrace>();
  private readonly inner: KvCache;
  private readonly observe: AttentionObserver | undefined;

  constructor(inner: KvCache, options: { recording: boolean; observe?: AttentionObserver }) {
    this.inner = inner;
    this.layout = inner.layout;
    this.recording = options.recording;
    this.observe = options.observe;
  }

  registerToken(position: number, token: number): void {
    this.inner.registerToken(position, token);
    if (!this.recording) return;
    const { nLayers, nKvHeads, headDim } = this.layout;
    const size = nLayers * nKvHeads * headDim;
    const step = {
      position,
      token,
      keys: new Float32Array(size),
      values: new Float32Array(size),
      probs: Array.from({ length: nLayers * nKvHeads }, () => []),
    };
    this.steps.push(step);
    this.byPosition.set(position, step);
  }

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.inner.append(layer, kvHead, position, key, value);
    const step = this.stepAt(position);
    if (!step) return;
    const { nKvHeads, headDim } = this.layout;
    const at = (layer * nKvHeads + kvHead) * headDim;
    step.keys.set(key.subarray(0, headDim), at);
    step.values.set(value.subarray(0, headDim), at);
  }

  view(layer: number, kvHead: number): KvView {
    return this.inner.view(layer, kvHead);
  }

  afterAttention(layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void {
    this.observe?.(layer, kvHead, position, this.inner.view(layer, kvHead).positions, probs);
    const step = this.stepAt(position);
    // Copies: a backend may reuse its buffers.
    if (step) step.probs[layer * this.layout.nKvHeads + kvHead] = probs.map((p) => p.slice());
    this.inner.afterAttention(layer, kvHead, position, probs);
  }

  private stepAt(position: number): TokenTrace | undefined {
    return this.recording ? this.byPosition.get(position) : undefined;
  }
}

/** Re-issues recorded calls in the order a backend makes them: per token, per layer, appends then attention. */
export function replayTrace(steps: readonly TokenTrace[], cache: KvCache): void {
  const { nLayers, nKvHeads, headDim } = cache.layout;
  for (const step of steps) {
    cache.registerToken(step.position, step.token);
    for (let l = 0; l < nLayers; l++) {
      for (let g = 0; g < nKvHeads; g++) {
        const at = (l * nKvHeads + g) * headDim;
        cache.append(l, g, step.position, step.keys.subarray(at, at + headDim), step.values.subarray(at, at + headDim));
      }
      for (let g = 0; g < nKvHeads; g++) cache.afterAttention(l, g, step.position, step.probs[l * nKvHeads + g]!);
    }
  }
}
