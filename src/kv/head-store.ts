/**
 * The store of one (layer, KV head): kept keys, values, positions and cumulative scores in
 * compact typed arrays. Evicted entries are compacted away and the buffers shrink with what is
 * kept, so the bytes held really follow the kept count (spec §8).
 *
 * Keys, values and positions come from a {@link KvStorage} (plain JS arrays by default, or a
 * backend's own memory, where its attention kernel reads them in place); a resize allocates the
 * new buffers there and frees the old ones. Scores are the cache's own bookkeeping: always JS.
 */
import { jsKvStorage, type KvStorage, type KvView } from "../interfaces.ts";

export class HeadStore implements KvView {
  length = 0;
  positions: Int32Array;
  keys: Float32Array;
  values: Float32Array;
  /** Cumulative attention per entry, float64 (spec §12.3). */
  scores: Float64Array;
  private readonly headDim: number;
  private readonly storage: KvStorage;

  constructor(headDim: number, capacity = 16, storage: KvStorage = jsKvStorage) {
    this.headDim = headDim;
    this.storage = storage;
    this.positions = storage.allocInt32(capacity);
    this.keys = storage.allocFloat32(capacity * headDim);
    this.values = storage.allocFloat32(capacity * headDim);
    this.scores = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.positions.length;
  }

  /** Bytes held by this store's buffers. */
  get bytes(): number {
    return this.positions.byteLength + this.keys.byteLength + this.values.byteLength + this.scores.byteLength;
  }

  push(position: number, key: Float32Array, value: Float32Array): void {
    // Grow by 1/8 (at least 16 entries): geometric, so appends stay amortised O(1), with little slack.
    if (this.length === this.capacity) this.resize(this.capacity + Math.max(16, this.capacity >> 3));
    const d = this.headDim;
    this.positions[this.length] = position;
    this.keys.set(key.subarray(0, d), this.length * d);
    this.values.set(value.subarray(0, d), this.length * d);
    this.scores[this.length] = 0;
    this.length++;
  }

  /** Adds `weights[e]` to each entry's score. */
  addScores(weights: Float32Array): void {
    for (let e = 0; e < this.length; e++) this.scores[e] = this.scores[e]! + weights[e]!;
  }

  /** Keeps the entries with `keep[e] = 1`, in order; the others are gone. */
  compact(keep: Uint8Array, shrink: "exact" | "lazy"): void {
    const d = this.headDim;
    let w = 0;
    for (let e = 0; e < this.length; e++) {
      if (!keep[e]) continue;
      if (w !== e) {
        this.positions[w] = this.positions[e]!;
        this.scores[w] = this.scores[e]!;
        this.keys.copyWithin(w * d, e * d, (e + 1) * d);
        this.values.copyWithin(w * d, e * d, (e + 1) * d);
      }
      w++;
    }
    this.length = w;
    // Release memory: exactly after prefill; during decode once the slack passes 1/4 of what is kept.
    if (shrink === "exact" ? this.capacity > w : this.capacity > w + Math.max(16, w >> 2)) this.resize(shrink === "exact" ? w : w + 8);
  }

  private resize(capacity: number): void {
    const d = this.headDim;
    const n = this.length;
    const positions = this.storage.allocInt32(capacity);
    positions.set(this.positions.subarray(0, n));
    const keys = this.storage.allocFloat32(capacity * d);
    keys.set(this.keys.subarray(0, n * d));
    const values = this.storage.allocFloat32(capacity * d);
    values.set(this.values.subarray(0, n * d));
    const scores = new Float64Array(capacity);
    scores.set(this.scores.subarray(0, n));
    this.storage.free(this.positions);
    this.storage.free(this.keys);
    this.storage.free(this.values);
    this.positions = positions;
    this.keys = keys;
    this.values = values;
    this.scores = scores;
  }

  /** Gives the buffers back to the storage (the store is empty and unusable after). */
  release(): void {
    this.storage.free(this.positions);
    this.storage.free(this.keys);
    this.storage.free(this.values);
    this.positions = new Int32Array(0);
    this.keys = new Float32Array(0);
    this.values = new Float32Array(0);
    this.scores = new Float64Array(0);
    this.length = 0;
  }

  view(): KvView {
    const n = this.length;
    const d = this.headDim;
    return { length: n, positions: this.positions.subarray(0, n), keys: this.keys.subarray(0, n * d), values: this.values.subarray(0, n * d) };
  }
}
