/**
 * The adaptive per-head KV cache of FastGen (spec §5, §6): during prefill it keeps everything,
 * accumulates each entry's cumulative score and (optionally) records the prompt's attention for
 * the profiler; `compress` then gives each (layer, KV head) its own policy and cuts its store;
 * every later token appends, attends, adds scores and re-applies the policy.
 * Baselines (spec §9) are the same cache with one policy for every head.
 */
import type { KvCache, KvLayout, KvStorage, KvView } from "../interfaces.ts";
import { HeadStore, type KvByteParts } from "../kv/head-store.ts";
import { type KeepContext, type KvHeadPolicy, keptEntries, type PolicySizes, type PolicySizeSettings, policySizes } from "./policy.ts";
import type { PromptAttention } from "./prompt-attention.ts";
import type { TokenClasses } from "./token-classes.ts";

export interface AdaptiveCacheOptions {
  readonly classes: TokenClasses;
  /** The ratios the policies' sizes come from (spec §3; sinks: spec §9). */
  readonly sizes: PolicySizeSettings;
  /** Keep the prompt's attention rows for the profiler. */
  readonly recordPromptAttention: boolean;
  /** With `recordPromptAttention`: keep only the last this many rows of each head (SnapKV's window, TOVA's last row). */
  readonly recordLastRows?: number;
}

/** Kept-entry counts and bytes, spec §8. */
export interface CacheFootprint {
  /** Current sequence length L. */
  readonly length: number;
  /** Σ over (layer, KV head) of kept entries. */
  readonly kept: number;
  /** `1 - kept / (nLayers · nKvHeads · L)`. */
  readonly compression: number;
  /** Bytes a full cache would hold for K and V: `nLayers · nKvHeads · L · headDim · 2 · 4`. */
  readonly fullBytes: number;
  /** Bytes the stores' buffers really hold (K, V, positions, scores). */
  readonly heldBytes: number;
  /** heldBytes by what they hold (spec §13.3). */
  readonly parts: KvByteParts;
}

export class AdaptiveKvCache implements KvCache {
  private readonly stores: HeadStore[];
  private tokens = new Int32Array(64);
  private seqLength = 0;
  private policies: (readonly KvHeadPolicy[])[] | null = null;
  /** Prompt length n, fixed by `compress` (the window's base, spec §3). */
  private promptLength = 0;
  /** `rows[layer][head][i - first]`, while recording; `first` is 0 unless only the last rows are kept. */
  private rows: Float32Array[][][] | null;
  readonly layout: KvLayout;
  private readonly options: AdaptiveCacheOptions;
  /** The marks of one eviction (reused: every decode step evicts in every KV head). */
  private keep = new Uint8Array(64);

  /** `storage`: where the stores' keys, values and positions live (default plain JS arrays; see Backend.kvStorage). */
  constructor(layout: KvLayout, options: AdaptiveCacheOptions, storage?: KvStorage) {
    this.layout = layout;
    this.options = options;
    this.stores = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => new HeadStore(layout.headDim, undefined, storage));
    // Until compress cuts every store to size, the stores may double as the prompt fills them.
    for (const s of this.stores) s.doubling = true;
    this.rows = options.recordPromptAttention
      ? Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nHeads }, () => []))
      : null;
  }

  /** Current sequence length L (positions registered so far). */
  get length(): number {
    return this.seqLength;
  }

  get compressed(): boolean {
    return this.policies !== null;
  }

  registerToken(position: number, token: number): void {
    if (position !== this.seqLength) throw new RangeError(`positions must come in order: expected ${this.seqLength}, got ${position}`);
    if (position === this.tokens.length) {
      const grown = new Int32Array(this.tokens.length * 2);
      grown.set(this.tokens);
      this.tokens = grown;
    }
    this.tokens[position] = token;
    this.seqLength = position + 1;
  }

  /** The token at a position (token classes belong to positions, spec §12.8). */
  tokenAt(position: number): number {
    return this.tokens[position]!;
  }

  isSpecial = (position: number): boolean => this.options.classes.special[this.tokens[position]!] === 1;
  isPunct = (position: number): boolean => this.options.classes.punct[this.tokens[position]!] === 1;

  append(layer: number, kvHead: number, position: number, key: Float32Array, value: Float32Array): void {
    this.store(layer, kvHead).push(position, key, value);
  }

  view(layer: number, kvHead: number): KvView {
    return this.store(layer, kvHead).view();
  }

  /** The live store (for inspection: positions, scores, capacity). */
  store(layer: number, kvHead: number): HeadStore {
    return this.stores[layer * this.layout.nKvHeads + kvHead]!;
  }

  afterAttention(layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void {
    const store = this.store(layer, kvHead);
    // Spec §6 step 3 / §12.6: every query head of the group adds its weights.
    store.addScoresOf(probs);
    if (this.rows && !this.policies) this.record(layer, kvHead, probs);
    // Spec §6 step 4 / §12.7: re-apply the policy right after this layer's attention.
    const policy = this.policies?.[layer]?.[kvHead];
    if (policy && !policy.keepsAll && !policy.prefillOnly) this.evict(store, policy, position, "lazy", probs);
  }

  private record(layer: number, kvHead: number, probs: readonly Float32Array[]): void {
    const groupSize = this.layout.nHeads / this.layout.nKvHeads;
    const last = this.options.recordLastRows ?? Infinity;
    probs.forEach((p, i) => {
      const rows = this.rows![layer]![kvHead * groupSize + i]!;
      rows.push(p.slice());
      if (rows.length > last) rows.shift();
    });
  }

  /** The prompt's attention recorded during prefill (spec §4 input). */
  promptAttention(): PromptAttention {
    const rows = this.rows;
    if (!rows) throw new Error("this cache was created without recordPromptAttention");
    // Every head holds the same rows, the last ones of the n registered so far.
    const n = this.seqLength;
    const first = n - (rows[0]?.[0]?.length ?? 0);
    const row = (l: number, h: number, i: number): Float32Array => {
      if (i < first || i >= n) throw new RangeError(`prompt row ${i} was not recorded (rows ${first}..${n - 1} were)`);
      return rows[l]![h]![i - first]!;
    };
    return { n, nLayers: this.layout.nLayers, nHeads: this.layout.nHeads, row };
  }

  /**
   * Ends prefill (spec §5): fixes the window from the prompt length, gives each (layer, KV head)
   * its policy and cuts its store to what that policy keeps at row n-1. Drops the recorded attention.
   */
  compress(policies: (readonly KvHeadPolicy[])[]): void {
    if (this.policies) throw new Error("the cache is already compressed");
    if (policies.length !== this.layout.nLayers || policies.some((l) => l.length !== this.layout.nKvHeads)) {
      throw new RangeError(`need a policy for each of ${this.layout.nLayers} layers × ${this.layout.nKvHeads} KV heads`);
    }
    const n = this.seqLength;
    this.policies = policies;
    this.promptLength = n;
    const rows = this.rows;
    this.rows = null;
    const groupSize = this.layout.nHeads / this.layout.nKvHeads;
    for (let l = 0; l < this.layout.nLayers; l++) {
      for (let g = 0; g < this.layout.nKvHeads; g++) {
        const policy = policies[l]![g]!;
        const store = this.store(l, g);
        store.doubling = false;
        // Scores were needed to profile and cut; from here only a policy that ranks by them reads them.
        if (!policy.readsScores) store.dropScores();
        if (policy.keepsAll) store.compact(new Uint8Array(store.length).fill(1), "exact");
        else {
          // The last prompt row's weights, where they were recorded (TOVA cuts the prompt by them).
          const last = rows ? rows[l]!.slice(g * groupSize, (g + 1) * groupSize).map((r) => r.at(-1)!) : undefined;
          this.evict(store, policy, n - 1, "exact", last);
        }
      }
    }
  }

  policyOf(layer: number, kvHead: number): KvHeadPolicy | undefined {
    return this.policies?.[layer]?.[kvHead];
  }

  /** Sizes in force: the window fixed at compression, k for the current length (spec §3). */
  currentSizes(): PolicySizes {
    if (!this.policies) throw new Error("the cache is not compressed yet");
    return policySizes(this.options.sizes, this.promptLength, this.seqLength);
  }

  private evict(
    store: HeadStore,
    policy: KvHeadPolicy,
    current: number,
    shrink: "exact" | "lazy",
    attention?: readonly Float32Array[],
  ): void {
    if (this.keep.length < store.length) this.keep = new Uint8Array(Math.max(store.length, 2 * this.keep.length));
    const ctx: KeepContext = {
      positions: store.positions,
      scores: store.scores,
      length: store.length,
      current,
      sizes: policySizes(this.options.sizes, this.promptLength, current + 1),
      isSpecial: this.isSpecial,
      isPunct: this.isPunct,
      keys: store.keys,
      headDim: this.layout.headDim,
      attention,
    };
    store.compact(keptEntries(policy, ctx, this.keep), shrink);
  }

  /** Gives every store's buffers back to its storage (needed for a backend's memory; no-op for JS arrays). */
  release(): void {
    for (const s of this.stores) s.release();
  }

  /** `1 - kept / (nLayers · nKvHeads · L)` alone: what every decode step records (spec §12.13), without the byte sums. */
  compression(): number {
    const L = this.seqLength;
    if (L === 0) return 0;
    let kept = 0;
    for (const s of this.stores) kept += s.length;
    return 1 - kept / (this.layout.nLayers * this.layout.nKvHeads * L);
  }

  footprint(): CacheFootprint {
    const L = this.seqLength;
    const { nLayers, nKvHeads, headDim } = this.layout;
    let kept = 0;
    const parts = { keysValues: 0, spare: 0, positions: 0, scores: 0 };
    for (const s of this.stores) {
      kept += s.length;
      const p = s.byteParts;
      parts.keysValues += p.keysValues;
      parts.spare += p.spare;
      parts.positions += p.positions;
      parts.scores += p.scores;
    }
    return {
      length: L,
      kept,
      compression: this.compression(),
      fullBytes: nLayers * nKvHeads * L * headDim * 2 * 4,
      heldBytes: parts.keysValues + parts.spare + parts.positions + parts.scores,
      parts,
    };
  }
}
