/**
 * The store of one (layer, KV head): kept keys, values, positions and cumulative scores in
 * compact typed arrays. Evicted entries are compacted away and the buffers shrink with what is
 * kept, so the bytes held really follow the kept count (spec §8).
 *
 * Keys, values and positions come from a {@link KvStorage} (plain JS arrays by default, or a
 * backend's own memory, where its attention kernel reads them in place); a resize allocates the new
 * buffers there and frees the old ones. Positions are 16-bit (a Uint16Array over an int32 buffer of
 * half the length) while every position fits (< 65536), then 32-bit. Scores are the cache's own
 * bookkeeping, always JS, and kept only while a policy reads them (`dropScores`). Spare room is
 * bounded by a share of the capacity alone, max(1 entry, capacity / 64), so a store's bytes stay
 * within 1.6% of its entries' at every length (spec §13.3); only a prompt filling a store
 * (`doubling`) may leave more, until `compress` cuts it to size.
 */
import { jsKvStorage, type KvStorage, type KvView } from "../interfaces.ts";

/** Spare room as a share of the capacity: 1/64 (`n >> SPARE_SHIFT`), and at least one entry. */
const SPARE_SHIFT = 6;
/** A new store's capacity. */
const INITIAL_ENTRIES = 4;
/** The spare entries a store of `n` entries may hold: max(1, n / 64). */
const spareRoom = (n: number): number => Math.max(1, n >> SPARE_SHIFT);
const U16_LIMIT = 65536;

/** What a store's bytes hold (spec §13.3). */
export interface KvByteParts {
  /** Keys and values of the kept entries, float32. */
  readonly keysValues: number;
  /** Keys and values room not in use (capacity − length entries). */
  readonly spare: number;
  /** Position buffer (16- or 32-bit, spare room included). */
  readonly positions: number;
  /** Cumulative scores, float64 (spare room included); 0 once dropped. */
  readonly scores: number;
}

export class HeadStore implements KvView {
  length = 0;
  positions: Uint16Array | Int32Array;
  keys: Float32Array;
  values: Float32Array;
  /** Cumulative attention per entry, float64 (spec §12.3); empty once dropped. */
  scores: Float64Array;
  private readonly headDim: number;
  private readonly storage: KvStorage;
  private tracksScores = true;
  /**
   * Grow by doubling instead of by 1/64: for a store filling with a prompt that is cut to size
   * right after (AdaptiveKvCache before `compress`), so a prompt of n entries costs O(log n)
   * reallocations. The bounded spare room holds once it is off again.
   */
  doubling = false;
  /** The storage buffer under `positions` (the same array once positions are 32-bit). */
  private positionBuffer: Int32Array;

  constructor(headDim: number, capacity = INITIAL_ENTRIES, storage: KvStorage = jsKvStorage, scores = true) {
    this.headDim = headDim;
    this.storage = storage;
    this.tracksScores = scores;
    this.positionBuffer = storage.allocInt32((capacity + 1) >> 1);
    this.positions = u16Over(this.positionBuffer, capacity);
    this.keys = storage.allocFloat32(capacity * headDim);
    this.values = storage.allocFloat32(capacity * headDim);
    this.scores = new Float64Array(scores ? capacity : 0);
  }

  /** Whether cumulative scores are kept (a policy that ranks by them, or prefill). */
  get hasScores(): boolean {
    return this.tracksScores;
  }

  /** Stops keeping scores and frees them: for a head whose policy never reads them. */
  dropScores(): void {
    this.tracksScores = false;
    this.scores = new Float64Array(0);
  }

  get capacity(): number {
    return this.keys.length / this.headDim;
  }

  /** Bytes held by this store's buffers. */
  get bytes(): number {
    return this.positionBuffer.byteLength + this.keys.byteLength + this.values.byteLength + this.scores.byteLength;
  }

  /** {@link bytes} by what they hold; the four parts add up to it. */
  get byteParts(): KvByteParts {
    const entry = 2 * this.headDim * 4;
    return {
      keysValues: this.length * entry,
      spare: (this.capacity - this.length) * entry,
      positions: this.positionBuffer.byteLength,
      scores: this.scores.byteLength,
    };
  }

  push(position: number, key: Float32Array, value: Float32Array): void {
    if (position >= U16_LIMIT && this.positions instanceof Uint16Array) this.widenPositions();
    // Grow by 1/64 (at least one entry): geometric, so appends stay amortised O(1), and the spare
    // room just after growing, step − 1, stays under spareRoom(capacity).
    if (this.length === this.capacity)
      this.resize(this.capacity + (this.doubling ? Math.max(INITIAL_ENTRIES, this.capacity) : spareRoom(this.capacity)));
    const d = this.headDim;
    this.positions[this.length] = position;
    // A key of exactly headDim (the usual case) is copied without making a view of it first.
    this.keys.set(key.length === d ? key : key.subarray(0, d), this.length * d);
    this.values.set(value.length === d ? value : value.subarray(0, d), this.length * d);
    if (this.tracksScores) this.scores[this.length] = 0;
    this.length++;
  }

  /** Room for `entries` more appends at once, exactly (KvCache.reserve): one resize instead of one per append. */
  reserve(entries: number): void {
    if (this.length + entries > this.capacity) this.resize(this.length + entries);
  }

  /** Adds `weights[e]` to each entry's score (nothing once scores are dropped). */
  addScores(weights: Float32Array): void {
    if (!this.tracksScores) return;
    for (let e = 0; e < this.length; e++) this.scores[e] = this.scores[e]! + weights[e]!;
  }

  /**
   * Adds each query head's `weights[e]` to each entry's score, in the order given (spec §12.6):
   * the same sums as one addScores per head ((s + w0) + w1) + …, up to four heads in one pass
   * over the scores (2.7× faster for 4 heads over 2,300 entries; groups of 7 or 8 take two passes).
   */
  addScoresOf(weights: readonly Float32Array[]): void {
    if (!this.tracksScores) return;
    const s = this.scores;
    const n = this.length;
    for (let h = 0; h < weights.length; h += 4) {
      const left = weights.length - h;
      if (left >= 4) {
        const a = weights[h]!,
          b = weights[h + 1]!,
          c = weights[h + 2]!,
          d = weights[h + 3]!;
        for (let e = 0; e < n; e++) s[e] = s[e]! + a[e]! + b[e]! + c[e]! + d[e]!;
      } else if (left === 3) {
        const a = weights[h]!,
          b = weights[h + 1]!,
          c = weights[h + 2]!;
        for (let e = 0; e < n; e++) s[e] = s[e]! + a[e]! + b[e]! + c[e]!;
      } else if (left === 2) {
        const a = weights[h]!,
          b = weights[h + 1]!;
        for (let e = 0; e < n; e++) s[e] = s[e]! + a[e]! + b[e]!;
      } else this.addScores(weights[h]!);
    }
  }

  /** Positions past 16 bits: move them to 32-bit storage. */
  private widenPositions(): void {
    const wide = this.storage.allocInt32(this.capacity);
    wide.set(this.positions.subarray(0, this.length));
    this.storage.free(this.positionBuffer);
    this.positionBuffer = wide;
    this.positions = wide;
  }

  /** Keeps the entries with `keep[e] = 1`, in order; the others are gone. */
  compact(keep: Uint8Array, shrink: "exact" | "lazy"): void {
    const d = this.headDim;
    const n = this.length;
    // The kept prefix stays where it is; after it, each run of kept entries moves down in one copy
    // (a decode step usually evicts one or two entries from the middle of a long store).
    let e = 0;
    while (e < n && keep[e]) e++;
    let w = e;
    while (e < n) {
      while (e < n && !keep[e]) e++;
      const from = e;
      while (e < n && keep[e]) e++;
      if (e === from) break;
      this.positions.copyWithin(w, from, e);
      if (this.tracksScores) this.scores.copyWithin(w, from, e);
      this.keys.copyWithin(w * d, from * d, e * d);
      this.values.copyWithin(w * d, from * d, e * d);
      w += e - from;
    }
    this.length = w;
    // Release memory: exactly after prefill; during decode once the spare room passes spareRoom(w),
    // leaving half of it so that the next append does not grow the store again at once.
    if (shrink === "exact" ? this.capacity > w : this.capacity > w + spareRoom(w))
      this.resize(shrink === "exact" ? w : w + (spareRoom(w) >> 1));
  }

  private resize(capacity: number): void {
    const d = this.headDim;
    const n = this.length;
    const narrow = this.positions instanceof Uint16Array;
    const positionBuffer = this.storage.allocInt32(narrow ? (capacity + 1) >> 1 : capacity);
    const positions = narrow ? u16Over(positionBuffer, capacity) : positionBuffer;
    positions.set(this.positions.subarray(0, n));
    const keys = this.storage.allocFloat32(capacity * d);
    keys.set(this.keys.subarray(0, n * d));
    const values = this.storage.allocFloat32(capacity * d);
    values.set(this.values.subarray(0, n * d));
    const scores = new Float64Array(this.tracksScores ? capacity : 0);
    if (this.tracksScores) scores.set(this.scores.subarray(0, n));
    this.storage.free(this.positionBuffer);
    this.storage.free(this.keys);
    this.storage.free(this.values);
    this.positionBuffer = positionBuffer;
    this.positions = positions;
    this.keys = keys;
    this.values = values;
    this.scores = scores;
  }

  /** Gives the buffers back to the storage (the store is empty and unusable after). */
  release(): void {
    this.storage.free(this.positionBuffer);
    this.storage.free(this.keys);
    this.storage.free(this.values);
    this.positionBuffer = new Int32Array(0);
    this.positions = new Uint16Array(0);
    this.keys = new Float32Array(0);
    this.values = new Float32Array(0);
    this.scores = new Float64Array(0);
    this.length = 0;
  }

  view(): KvView {
    const n = this.length;
    const d = this.headDim;
    return {
      length: n,
      positions: this.positions.subarray(0, n),
      keys: this.keys.subarray(0, n * d),
      values: this.values.subarray(0, n * d),
    };
  }
}

/** `length` 16-bit positions over an int32 storage buffer of at least half that length. */
function u16Over(buffer: Int32Array, length: number): Uint16Array {
  return new Uint16Array(buffer.buffer, buffer.byteOffset, length);
}
