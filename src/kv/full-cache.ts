import type { KvCache, KvLayout, KvView } from "../interfaces.ts";
import { HeadStore } from "./head-store.ts";

/** The plain full KV cache: keeps every position, never evicts. The textbook baseline. */
export class FullKvCache implements KvCache {
  private readonly stores: HeadStore[];
  readonly layout: KvLayout;

  constructor(layout: KvLayout) {
    this.layout = layout;
    this.stores = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => new HeadStore(layout.headDim));
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
