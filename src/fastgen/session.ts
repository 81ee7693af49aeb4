/**
 * One compressed run: the cache, the profile taken after prefill (FastGen) or the baseline's
 * uniform policy, and the compression figures of spec §8 / §12.13.
 */
import type { KvLayout, KvStorage } from "../interfaces.ts";
import type { KvByteParts } from "../kv/head-store.ts";
import { AdaptiveKvCache, type CacheFootprint } from "./adaptive-cache.ts";
import { budgetedPolicies } from "./budget/component.ts";
import { BUDGET_SINKS, type BudgetReport, profileBudget } from "./budget/profile.ts";
import { candidateByName } from "./candidates.ts";
import { isLiterature, LITERATURE } from "./methods/index.ts";
import { policySizes } from "./policy.ts";
import { BASELINE_POLICIES, type CompressionSettings, profiles } from "./settings.ts";
import { type ProfileReport, profileHeads } from "./profiler.ts";
import type { TokenClasses } from "./token-classes.ts";

export interface CompressionSummary {
  readonly afterPrefill: number;
  readonly final: number;
  /** Mean over decode steps; equals afterPrefill when there was none (spec §12.13). */
  readonly mean: number;
  readonly decodeSteps: number;
}

export interface KvBytesReport {
  /** What a full float32 K/V cache holds at the final length. */
  readonly full: number;
  /** What the compressed cache's buffers hold (keys, values, positions, scores). */
  readonly compressed: number;
  /** `compressed` by what it holds: kept keys and values, spare room, positions, scores (spec §13.3). */
  readonly parts: KvByteParts;
}

export class CompressionSession {
  readonly cache: AdaptiveKvCache;
  private profileReport: ProfileReport | undefined;
  private budgetReport: BudgetReport | undefined;
  private prefillFootprint: CacheFootprint | undefined;
  private stepCompressionSum = 0;
  private steps = 0;
  readonly settings: CompressionSettings;

  /** `storage`: where the cache's buffers live (default plain JS arrays; a backend's `kvStorage`). */
  constructor(layout: KvLayout, classes: TokenClasses, settings: CompressionSettings, storage?: KvStorage) {
    this.settings = settings;
    // The cache gets the token classes and the ratios; which policy each head runs comes at compress().
    const sizes = { rLocal: settings.rLocal, rFrequent: settings.rFrequent, sinks: settings.sinks, compression: settings.compression };
    // FastGen and budgeted read every prompt row; a literature method the last few it names, or none.
    const rows = isLiterature(settings.policy) ? LITERATURE[settings.policy].observedRows(settings.observe) : 0;
    const record = profiles(settings.policy) || rows > 0;
    const recordLast = isLiterature(settings.policy) ? { recordLastRows: rows } : {};
    this.cache = new AdaptiveKvCache(layout, { classes, sizes, recordPromptAttention: record, ...recordLast }, storage);
  }

  /** The profile FastGen took (undefined for baselines or before prefill ended). */
  get profile(): ProfileReport | undefined {
    return this.profileReport;
  }

  /** The budgeted profile (undefined for other methods or before prefill ended). */
  get budget(): BudgetReport | undefined {
    return this.budgetReport;
  }

  /** Ends prefill: profile the heads (FastGen, budgeted) and compress (spec §4, §5). */
  finishPrefill(): void {
    const { layout } = this.cache;
    const s = this.settings;
    if (s.policy === "fastgen") {
      const report = profileHeads(this.cache.promptAttention(), layout, this.cache, s);
      this.profileReport = report;
      this.cache.compress(report.layers.map((heads) => heads.map((h) => candidateByName(h.policy))));
    } else if (s.policy === "budgeted") {
      // Ranked by the scores the cache holds, so the cut at row n−1 is exactly the profiled set.
      const report = profileBudget(
        this.cache.promptAttention(),
        layout,
        this.cache,
        { ...s, sinks: BUDGET_SINKS },
        (l, g) => this.cache.store(l, g).scores,
      );
      this.budgetReport = report;
      this.cache.compress(budgetedPolicies(report, BUDGET_SINKS));
    } else if (isLiterature(s.policy)) {
      const method = LITERATURE[s.policy];
      const n = this.cache.length;
      this.cache.compress(
        method.policies({
          layout,
          n,
          compression: s.compression,
          sizes: policySizes({ ...s }, n, n),
          attention: method.observedRows(s.observe) > 0 ? this.cache.promptAttention() : null,
          observe: s.observe,
        }),
      );
    } else {
      const policy = BASELINE_POLICIES[s.policy];
      this.cache.compress(Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nKvHeads }, () => policy)));
    }
    this.prefillFootprint = this.cache.footprint();
  }

  /** Records the figures after a decode step's eviction. */
  recordStep(): void {
    this.stepCompressionSum += this.cache.compression();
    this.steps++;
  }

  summary(): CompressionSummary {
    if (!this.prefillFootprint) throw new Error("prefill has not finished");
    const final = this.cache.compression();
    const afterPrefill = this.prefillFootprint.compression;
    return { afterPrefill, final, mean: this.steps > 0 ? this.stepCompressionSum / this.steps : afterPrefill, decodeSteps: this.steps };
  }

  kvBytes(): KvBytesReport {
    const f = this.cache.footprint();
    return { full: f.fullBytes, compressed: f.heldBytes, parts: f.parts };
  }

  /** Policy name of every (layer, KV head). */
  policyTable(): string[][] {
    const { nLayers, nKvHeads } = this.cache.layout;
    return Array.from({ length: nLayers }, (_, l) => Array.from({ length: nKvHeads }, (_, g) => this.cache.policyOf(l, g)?.name ?? "full"));
  }
}
