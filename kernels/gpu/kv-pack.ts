/**
 * The cache's views of one layer, copied into the padded layout the attention kernels read:
 * `[nKvHeads][cap][headDim]` keys and values, `cap` a power-of-two bucket of the longest view
 * (buckets.ts), plus the real length of every view. Each (layer, KV head) keeps its own length:
 * a compressing cache holds a different number of entries per head.
 */
import type { KvLayout, KvView } from "../../src/interfaces.ts";
import { bucket } from "./buckets.ts";

export interface PackedKv {
  readonly cap: number;
  /** `[nKvHeads][cap][headDim]`, zero past each view's length. */
  readonly keys: Float32Array;
  readonly values: Float32Array;
  /** Entries of KV head g's view. */
  readonly kvLen: readonly number[];
  /** The view length each query head attends over (its KV head's), as the kernels take it. */
  readonly headLen: Float32Array;
}

/** Smallest padded capacity: below this, a bucket per length would only multiply compiles. */
export const MIN_CAPACITY = 16;

export class KvPacker {
  private readonly buffers = new Map<number, { keys: Float32Array; values: Float32Array }>();
  private readonly layout: KvLayout;
  private readonly groupSize: number;

  constructor(layout: KvLayout) {
    this.layout = layout;
    this.groupSize = layout.nHeads / layout.nKvHeads;
  }

  /** `views[g]` is the view of KV head g. The returned arrays are reused by the next call with the same cap. */
  pack(views: readonly KvView[]): PackedKv {
    const { nKvHeads, nHeads, headDim } = this.layout;
    if (views.length !== nKvHeads) throw new RangeError(`expected ${nKvHeads} KV views, got ${views.length}`);
    const kvLen = views.map((v) => v.length);
    const cap = bucket(Math.max(...kvLen), MIN_CAPACITY);
    let buf = this.buffers.get(cap);
    if (buf === undefined) {
      buf = { keys: new Float32Array(nKvHeads * cap * headDim), values: new Float32Array(nKvHeads * cap * headDim) };
      this.buffers.set(cap, buf);
    }
    views.forEach((v, g) => {
      const at = g * cap * headDim;
      const used = v.length * headDim;
      buf.keys.set(v.keys.subarray(0, used), at);
      buf.values.set(v.values.subarray(0, used), at);
      buf.keys.fill(0, at + used, at + cap * headDim);
      buf.values.fill(0, at + used, at + cap * headDim);
    });
    const headLen = new Float32Array(nHeads);
    for (let h = 0; h < nHeads; h++) headLen[h] = kvLen[Math.floor(h / this.groupSize)]!;
    return { cap, keys: buf.keys, values: buf.values, kvLen, headLen };
  }
}
