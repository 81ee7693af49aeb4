import type { KvCache, KvLayout, KvView } from "./cache.ts";

/** One growable (layer, KV head) store: keeps everything, doubling its buffers as it grows. */
class GrowingStore implements KvView {
  length = 0;
  positions: Int32Array;
  keys: Float32Array;
  values: Float32Array;
  private readonly headDim: number;

  constructor(headDim: number, capacity = 16) {
    this.headDim = headDim;
    this.positions = new Int32Array(capacity);
    this.keys = new Float32Array(capacity * headDim);
    this.values = new Float32Array(capacity * headDim);
  }

  push(position: number, key: Float32Array, value: Float32Array): void {
    if (this.length === this.positions.length) {
      const cap = this.positions.length * 2;
      const grow = <T extends Int32Array | Float32Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      this.positions = grow(this.positions, cap);
      this.keys = grow(this.keys, cap * this.headDim);
      this.values = grow(this.values, cap * this.headDim);
    }
    this.positions[this.length] = position;
    this.keys.set(key.subarray(0, this.headDim), this.length * this.headDim);
    this.values.set(value.subarray(0, this.headDim), this.length * this.headDim);
    this.length++;
  }

  view(): KvView {
    const n = this.length;
    return { length: n, positions: this.positions.subarray(0, n), keys: this.keys.subarray(0, n * this.headDim), values: this.values.subarray(0, n * this.headDim) };
  }
}

/** The plain full KV cache: keeps every position, never evicts. The textbook baseline. */
export class FullKvCache implements KvCache {
  private readonly stores: GrowingStore[];
  readonly layout: KvLayout;

  constructor(layout: KvLayout) {
    this.layout = layout;
    this.stores = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => new GrowingStore(layout.headDim));
  }

  registerToken(): void {}

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.stores[layer * this.layout.nKvHeads + kvHead]!.push(position, key, value);
  }

  view(layer: number, kvHead: number): KvView {
    return this.stores[layer * this.layout.nKvHeads + kvHead]!.view();
  }

  afterAttention(): void {}
}
