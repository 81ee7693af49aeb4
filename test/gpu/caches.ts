/** KV caches for the protocol tests: one that records every call, one that evicts as it goes. */
import type { KvCache, KvLayout, KvView } from "../../src/interfaces.ts";

export type CacheCall =
  | { readonly kind: "register"; readonly position: number; readonly token: number }
  | {
      readonly kind: "append";
      readonly layer: number;
      readonly kvHead: number;
      readonly position: number;
      readonly key: Float32Array;
      readonly value: Float32Array;
    }
  | { readonly kind: "view"; readonly layer: number; readonly kvHead: number; readonly positions: Int32Array }
  | { readonly kind: "after"; readonly layer: number; readonly kvHead: number; readonly position: number; readonly probs: Float32Array[] };

/** Passes every call to `inner` and keeps a copy of it. */
export class RecordingCache implements KvCache {
  readonly calls: CacheCall[] = [];
  readonly layout: KvLayout;
  private readonly inner: KvCache;

  constructor(inner: KvCache) {
    this.inner = inner;
    this.layout = inner.layout;
  }

  registerToken(position: number, token: number): void {
    this.calls.push({ kind: "register", position, token });
    this.inner.registerToken(position, token);
  }

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.calls.push({ kind: "append", layer, kvHead, position, key: key.slice(), value: value.slice() });
    this.inner.append(layer, kvHead, position, key, value);
  }

  view(layer: number, kvHead: number): KvView {
    const v = this.inner.view(layer, kvHead);
    this.calls.push({ kind: "view", layer, kvHead, positions: Int32Array.from(v.positions) });
    return v;
  }

  afterAttention(layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void {
    this.calls.push({ kind: "after", layer, kvHead, position, probs: probs.map((p) => p.slice()) });
    this.inner.afterAttention(layer, kvHead, position, probs);
  }

  /** The calls that touch store (layer, kvHead), in order. */
  store(layer: number, kvHead: number): CacheCall[] {
    return this.calls.filter((c) => c.kind !== "register" && c.layer === layer && c.kvHead === kvHead);
  }
}

/**
 * Keeps position 0 and the last `window` positions of each store, evicting right after each
 * attention (where spec §12.7 puts eviction). A stand-in for a compressing cache: during a
 * prefill, row i must see exactly what this cache kept after row i-1, plus itself.
 */
export class WindowCache implements KvCache {
  readonly layout: KvLayout;
  private readonly window: number;
  private readonly stores: { positions: number[]; keys: number[][]; values: number[][] }[];

  constructor(layout: KvLayout, window: number) {
    this.layout = layout;
    this.window = window;
    this.stores = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => ({ positions: [], keys: [], values: [] }));
  }

  registerToken(): void {}

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    const s = this.stores[layer * this.layout.nKvHeads + kvHead]!;
    s.positions.push(position);
    s.keys.push(Array.from(key));
    s.values.push(Array.from(value));
  }

  view(layer: number, kvHead: number): KvView {
    const s = this.stores[layer * this.layout.nKvHeads + kvHead]!;
    return {
      length: s.positions.length,
      positions: Int32Array.from(s.positions),
      keys: Float32Array.from(s.keys.flat()),
      values: Float32Array.from(s.values.flat()),
    };
  }

  afterAttention(layer: number, kvHead: number, _position: number, probs: readonly Float32Array[]): void {
    const s = this.stores[layer * this.layout.nKvHeads + kvHead]!;
    if (probs.some((p) => p.length !== s.positions.length)) throw new Error("probs do not match the view");
    const keep = s.positions.map((p, i) => p === 0 || i >= s.positions.length - this.window);
    s.positions = s.positions.filter((_, i) => keep[i]);
    s.keys = s.keys.filter((_, i) => keep[i]);
    s.values = s.values.filter((_, i) => keep[i]);
  }
}

/**
 * A full cache that stores keys and values halved: it keeps every position but does not give back
 * what it was given (as a quantizing cache would not). Halving is exact and smooth, so float32
 * differences between backends are not amplified the way rounding to a grid would amplify them.
 */
export class ScalingCache implements KvCache {
  readonly layout: KvLayout;
  private readonly inner: KvCache;

  constructor(inner: KvCache) {
    this.inner = inner;
    this.layout = inner.layout;
  }

  registerToken(position: number, token: number): void {
    this.inner.registerToken(position, token);
  }

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.inner.append(
      layer,
      kvHead,
      position,
      key.map((x) => x / 2),
      value.map((x) => x / 2),
    );
  }

  view(layer: number, kvHead: number): KvView {
    return this.inner.view(layer, kvHead);
  }

  afterAttention(layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void {
    this.inner.afterAttention(layer, kvHead, position, probs);
  }
}
