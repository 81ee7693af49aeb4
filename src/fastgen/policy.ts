/**
 * The one interface every cache policy implements (in the spirit of NVIDIA kvpress's presses).
 * A policy is a union of components; each component names the key positions a head keeps,
 * once for profiling (spec §4, per prompt row) and once for the live cache (spec §5, §6).
 */

/** The sizes every component reads (spec §3): computed only by {@link policySizes}. */
export interface PolicySizes {
  /** Local window `w = floorMin1(rLocal · n)`, fixed after prefill. */
  readonly window: number;
  /** Heavy hitters `k = floorMin1(rFrequent · L)`; L is the prompt length when profiling, the current length when decoding. */
  readonly frequentK: number;
  /** Attention sinks kept by `streaming` (absolute positions 0..sinks-1). */
  readonly sinks: number;
  /** Entries a fixed-size method keeps, `b = roundMin1((1 − C) · n)`, fixed after prefill (spec §14.1). */
  readonly budget: number;
  /** The share `(1 − C)` of the current length, `roundMin1((1 − C) · L)` (K-norm while decoding, spec §14.6). */
  readonly share: number;
}

/** What a component looks at to decide which cached entries it keeps right now. */
export interface KeepContext {
  /** Cached positions of this (layer, KV head), increasing. */
  readonly positions: Int32Array | Uint16Array;
  /** Cumulative attention score of each cached entry (spec §12.6); empty for a policy that does not read them. */
  readonly scores: Float64Array;
  /** Number of cached entries (positions/scores may be longer). */
  readonly length: number;
  /** Position of the newest token, `p = L - 1`. */
  readonly current: number;
  readonly sizes: PolicySizes;
  isSpecial(position: number): boolean;
  isPunct(position: number): boolean;
  /** `[length][headDim]` cached keys, RoPE applied (K-norm ranks by their norms). */
  readonly keys: Float32Array;
  readonly headDim: number;
  /**
   * The weights each query head of the group gave the cached entries in the attention just
   * computed (TOVA ranks by them): the step's at a decode step, the last prompt row's when the
   * prompt is cut. Undefined where the cache did not keep them.
   */
  readonly attention?: readonly Float32Array[] | undefined;
}

/** What a component keeps of prompt row `i` during profiling: a fixed set of columns plus a band `i-w < j ≤ i`. */
export interface RowRule {
  /** `columns[j] = 1` where column j is kept for every row i ≥ j; null for none. */
  readonly columns: Uint8Array | null;
  /** Band width (0 for none, Infinity for everything). */
  readonly window: number;
}

/** What a component looks at during profiling (spec §4). */
export interface ProfileContext {
  /** Prompt length n. */
  readonly n: number;
  /** Column sums of the attention, summed over the KV head's query heads (spec §12.1). */
  readonly columnScores: Float64Array;
  readonly sizes: PolicySizes;
  isSpecial(position: number): boolean;
  isPunct(position: number): boolean;
}

export interface PolicyComponent {
  /** Short name as in spec §3: special, punct, local, frequent, full (sinks for streaming). */
  readonly name: string;
  /** True for `full`: the policy never evicts. */
  readonly keepsAll?: boolean;
  /** True when `keep` ranks by cumulative scores (the store keeps them only then). */
  readonly readsScores?: boolean;
  /** True when the component cuts the prompt only and keeps every entry appended after (SnapKV's kin, spec §14.2). */
  readonly prefillOnly?: boolean;
  /** Sets `keep[e] = 1` for each cached entry `e` this component keeps. */
  keep(ctx: KeepContext, keep: Uint8Array): void;
  /** The set this component keeps of each prompt row, for recovery (spec §4); FastGen's candidates' components only. */
  rowRule?(ctx: ProfileContext): RowRule;
}

/** The policy of one KV head: a union of components (spec §3), or `full`. */
export interface KvHeadPolicy {
  /** Components joined with "+", e.g. "special+punct+frequent" (spec §3 names). */
  readonly name: string;
  readonly components: readonly PolicyComponent[];
  /** True when nothing is ever evicted. */
  readonly keepsAll: boolean;
  /** True when a component ranks by cumulative scores. */
  readonly readsScores: boolean;
  /** True when every component cuts the prompt only: decoding evicts nothing. */
  readonly prefillOnly: boolean;
}

export function unionPolicy(components: readonly PolicyComponent[]): KvHeadPolicy {
  return {
    name: components.map((c) => c.name).join("+"),
    components,
    keepsAll: components.some((c) => c.keepsAll === true),
    readsScores: components.some((c) => c.readsScores === true),
    prefillOnly: components.length > 0 && components.every((c) => c.prefillOnly === true),
  };
}

/**
 * Marks the entries a policy keeps: the union of its components' sets (spec §12.5). `into`: a
 * buffer to reuse (at least `ctx.length` long; cleared here), else a new one.
 */
export function keptEntries(policy: KvHeadPolicy, ctx: KeepContext, into?: Uint8Array): Uint8Array {
  const keep = into ?? new Uint8Array(ctx.length);
  if (into) keep.fill(0, 0, ctx.length);
  for (const c of policy.components) c.keep(ctx, keep);
  return keep;
}

/** The union of the components' row rules. */
export function unionRowRule(policy: KvHeadPolicy, ctx: ProfileContext): RowRule {
  let columns: Uint8Array | null = null;
  let window = 0;
  for (const c of policy.components) {
    if (!c.rowRule) throw new Error(`${c.name} has no profiling rule: it is not a FastGen candidate's component`);
    const rule = c.rowRule(ctx);
    window = Math.max(window, rule.window);
    if (rule.columns) {
      columns ??= new Uint8Array(ctx.n);
      for (let j = 0; j < ctx.n; j++) columns[j] = columns[j]! | rule.columns[j]!;
    }
  }
  return { columns, window };
}

/** The ratios a user sets, from which {@link policySizes} derives the sizes. */
export interface PolicySizeSettings {
  readonly rLocal: number;
  readonly rFrequent: number;
  /** StreamingLLM's sinks (spec §9); 0 where no policy keeps sinks. */
  readonly sinks: number;
  /** Share C of the entries the literature's methods prune (spec §14.1); absent: 0. */
  readonly compression?: number;
}

/**
 * The one place window and heavy-hitter sizes are computed (spec §3, §12.4): the window
 * `w = floorMin1(rLocal · n)` from the prompt length n (fixed after prefill), the heavy hitters
 * `k = floorMin1(rFrequent · L)` from the current length L (L = n while profiling); and the
 * literature's budgets from the compression C (spec §14.1).
 */
export function policySizes(settings: PolicySizeSettings, promptLength: number, currentLength: number): PolicySizes {
  const kept = 1 - (settings.compression ?? 0);
  return {
    window: floorMin1(settings.rLocal, promptLength),
    frequentK: floorMin1(settings.rFrequent, currentLength),
    sinks: settings.sinks,
    budget: roundMin1(kept, promptLength),
    share: roundMin1(kept, currentLength),
  };
}

/** `max(1, round(r · x))` in double arithmetic, halves up (spec §14.1). */
export function roundMin1(r: number, x: number): number {
  return Math.max(1, Math.floor(r * x + 0.5));
}

/** `floorMin1(r · x)` in double arithmetic (spec §12.4). */
export function floorMin1(r: number, x: number): number {
  return Math.max(1, Math.floor(r * x));
}
