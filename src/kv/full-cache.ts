import type { KvCache, KvLayout, KvStorage, KvView } from "../interfaces.ts";
import { HeadStore } from "./head-store.ts";

/** The plain full KV cache: keeps every position, never evicts. The textbook baseline. */
export class FullKvCache implements KvCache {
  private readonly stores: HeadStore[];
  readonly layout: KvLayout;

  /** `storage`: where the stores' buffers live (default plain JS arrays; see Backend.kvStorage). */
  constructor(layout: KvLayout, storage?: KvStorage) {
    this.layout = layout;
    this.stores = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => new HeadStore(layout.headDim, undefined, storage, false));
  }

  /** Gives every store's buffers back to its storage (needed for a backend's memory; no-op for JS arrays). */
  release(): void {
    for (const s of this.stores) s.release();
  }

  registerToken(): void {}

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.stores[layer * this.layout.nKvHeads + kvHead]!.push(position, key, value);
  }

  view(layer: number, kvHead: number): KvView {
    return this.stores[layer * this.layout.nKvHeads + kvHead]!.view();
  }

  afterAttention(): void {}

  reserve(entries: number): void {
    for (const s of this.stores) s.reserve(entries);
  }
}
