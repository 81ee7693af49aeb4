/**
 * The library's high-level API: open a model once (open.ts under Node, browser.ts in a browser),
 * then profile prompts and generate through FastGen or a baseline. Everything here is built from the lower-level pieces
 * exported by index.ts.
 *
 * @example
 * ```ts
 * const fg = await openFastGen();                       // stories260K from the search path
 * const report = fg.profile("Tom said, \"Look!\"");      // policy per (layer, KV head)
 * for await (const t of fg.generate("Once upon a time", { policy: "fastgen", maxTokens: 20 })) {
 *   process.stdout.write(t.text);
 * }
 * ```
 */
import type { Backend, KvCache } from "../interfaces.ts";
import { type CompressionSettings, compressionSettingsSchema, type PolicyName } from "../fastgen/settings.ts";
import type { BudgetReport } from "../fastgen/budget/profile.ts";
import type { ProfileReport } from "../fastgen/profiler.ts";
import { compressPrompt, decodeCompressed } from "../fastgen/pipeline.ts";
import type { CompressionSummary, KvBytesReport } from "../fastgen/session.ts";
import type { CacheFootprint } from "../fastgen/adaptive-cache.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import { type SamplingOptions, samplingSchema } from "../generation/sampler.ts";
import { InputError } from "../errors.ts";
import type { LlamaModel } from "../model/types.ts";
import { type ChatMessage, encodeChat } from "../tokenizer/chat.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";

/** FastGen settings a caller may set; the rest take the spec's defaults. */
/** A prompt as text (encoded with the model's tokenizer, BOS as the file says) or as token ids (a chat's, say: {@link encodeChat}). */
export type Prompt = string | readonly number[];

export type CompressionOptions = Partial<Omit<CompressionSettings, "policy">> & { readonly policy?: PolicyName };

export interface GenerateOptions extends CompressionOptions, Partial<SamplingOptions> {
  /** New tokens at most (default 256). */
  readonly maxTokens?: number;
  /** Stop at EOS, BOS or an end-of-turn piece (default true). */
  readonly stopAtEos?: boolean;
  /**
   * Watches the cache at work: called once per token fed back through the model (every generated
   * token but the last), with that token's attention in every (layer, KV head) and what the policy
   * kept. Called from `generate` itself, before the next piece is yielded. Costs a copy of every
   * head's attention per step; leave it unset when only the text is wanted.
   */
  readonly onStep?: (step: DecodeStep) => void;
}

/** One (layer, KV head) during a decode step: where the token looked and what the cache kept. */
export interface HeadStep {
  readonly layer: number;
  readonly kvHead: number;
  /** Positions the token attended over: the entries held before this step, plus its own. Increasing. */
  readonly positions: Int32Array;
  /** One row per query head of the group (`kvHead · groupSize + i`): softmax weights over `positions`. */
  readonly probs: readonly Float32Array[];
  /** Positions still held after this step's eviction (a subset of `positions`). */
  readonly kept: Int32Array;
}

/** What {@link GenerateOptions.onStep} sees for one token fed back through the model. */
export interface DecodeStep {
  /** The token fed back and the position it took. */
  readonly token: number;
  readonly position: number;
  /** `heads[layer · nKvHeads + kvHead]`. */
  readonly heads: readonly HeadStep[];
  /** The whole cache after this step's eviction: kept entries, compression, bytes (full vs held). */
  readonly footprint: CacheFootprint;
}

/** One generated token, with the text it adds (UTF-8 split across tokens is held back). */
export interface GeneratedPiece {
  readonly token: number;
  readonly position: number;
  readonly text: string;
}

/** What a finished generation leaves behind: compression figures and KV bytes (spec §8). */
export interface GenerationStats {
  readonly compression: CompressionSummary;
  readonly kvBytes: KvBytesReport;
  /** Policy name per (layer, KV head). */
  readonly policies: string[][];
  /** FastGen's profile (undefined for baselines). */
  readonly profile: ProfileReport | undefined;
  /** The budgeted profile: each KV head's budget (undefined for other methods). */
  readonly budget: BudgetReport | undefined;
}

export class FastGen {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly backend: Backend;
  readonly classes: TokenClasses;
  private lastStats: GenerationStats | undefined;

  constructor(model: LlamaModel, tokenizer: Tokenizer, backend: Backend, classes: TokenClasses) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.classes = classes;
  }

  /** Settings with the spec's defaults filled in and every value checked. */
  settings(options: CompressionOptions = {}): CompressionSettings {
    const { policy, ...rest } = options;
    const parsed = compressionSettingsSchema.safeParse({ ...rest, policy: policy ?? "fastgen" });
    if (!parsed.success) throw new InputError(parsed.error.issues.map((i) => i.message).join("; "));
    return parsed.data;
  }

  /** A prompt's tokens: a string is encoded with the model's tokenizer, ids are checked against the vocabulary. */
  private tokensOf(prompt: Prompt): number[] {
    if (typeof prompt === "string") return this.tokenizer.promptTokens(prompt);
    if (prompt.length === 0) throw new InputError("the prompt has no tokens (give at least one, normally BOS)");
    const n = this.tokenizer.vocabSize;
    const bad = prompt.find((t) => !Number.isInteger(t) || t < 0 || t >= n);
    if (bad !== undefined) throw new InputError(`prompt token ${bad} is outside the vocabulary (0..${n - 1})`);
    return [...prompt];
  }

  /** FastGen's profile of a prompt (spec §4): the chosen policy and every candidate's recovery per KV head. */
  profile(prompt: Prompt, options: Omit<CompressionOptions, "policy"> = {}): ProfileReport {
    return compressPrompt(this.backend, this.classes, this.settings({ ...options, policy: "fastgen" }), this.tokensOf(prompt)).profile!;
  }

  /** The budgeted profile of a prompt (docs/algorithm.md §10): each KV head's budget, window and recovery. */
  budgetProfile(prompt: Prompt, options: Omit<CompressionOptions, "policy"> = {}): BudgetReport {
    return compressPrompt(this.backend, this.classes, this.settings({ ...options, policy: "budgeted" }), this.tokensOf(prompt)).session
      .budget!;
  }

  /** Generates a continuation, yielding each token as it is produced. {@link stats} then describes the run. */
  generate(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<GeneratedPiece> {
    return this.continueTokens(this.tokensOf(prompt), options);
  }

  /**
   * The assistant's reply to `messages`, through the model file's chat template (src/tokenizer/chat.ts),
   * yielding each token as it is produced; generation stops at the end-of-turn piece.
   */
  chat(messages: readonly ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<GeneratedPiece> {
    return this.continueTokens(encodeChat(this.tokenizer, messages), options);
  }

  private async *continueTokens(promptTokens: number[], options: GenerateOptions): AsyncGenerator<GeneratedPiece> {
    const { maxTokens = 256, stopAtEos = true, temperature, topP, seed, onStep, ...compression } = options;
    const parsed = samplingSchema.safeParse({ temperature, topP, seed });
    if (!parsed.success) throw new InputError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
    const settings = this.settings({ ...compression, policy: compression.policy ?? "full" });
    const stream = this.tokenizer.stream();
    promptTokens.forEach((t) => stream.push(t));
    this.lastStats = undefined;
    const compressed = compressPrompt(this.backend, this.classes, settings, promptTokens);
    const { session } = compressed;
    const watcher = onStep ? new StepWatcher(session.cache, this.backend.config.nHeads / this.backend.config.nKvHeads) : undefined;
    const steps = decodeCompressed(
      this.backend,
      compressed,
      { maxTokens, sampling: parsed.data, stopTokens: stopAtEos ? this.tokenizer.stopTokens : [] },
      watcher?.cache,
    );
    for (const step of steps) {
      // The previous token's step finished while this one was picked.
      watcher?.flush(onStep!);
      yield { ...step, text: stream.push(step.token) };
      // Let other async work run between tokens.
      await Promise.resolve();
    }
    watcher?.flush(onStep!);
    this.lastStats = {
      compression: session.summary(),
      kvBytes: session.kvBytes(),
      policies: session.policyTable(),
      profile: session.profile,
      budget: session.budget,
    };
  }

  /** Figures of the last finished {@link generate}. */
  get stats(): GenerationStats | undefined {
    return this.lastStats;
  }

  /** Releases the backend (gpu.js kernels and textures). */
  dispose(): void {
    this.backend.dispose();
  }
}

/**
 * Wraps the session's cache so that each decode step's attention can be watched: every call goes
 * to the real cache (a Proxy, so whatever else the backend looks up on it is the cache's own);
 * `afterAttention` also copies the positions attended, the weights and what was kept.
 */
class StepWatcher {
  readonly cache: KvCache;
  private heads: HeadStep[] = [];
  private token = -1;
  private position = -1;
  private readonly target: KvCache & { footprint(): CacheFootprint };

  constructor(target: KvCache & { footprint(): CacheFootprint }, groupSize: number) {
    this.target = target;
    const { nLayers, nKvHeads } = target.layout;
    const bound = new Map<PropertyKey, unknown>();
    const afterAttention = (layer: number, kvHead: number, position: number, probs: readonly Float32Array[]): void => {
      const positions = Int32Array.from(target.view(layer, kvHead).positions);
      target.afterAttention(layer, kvHead, position, probs);
      const kept = Int32Array.from(target.view(layer, kvHead).positions);
      this.heads[layer * nKvHeads + kvHead] = {
        layer,
        kvHead,
        positions,
        probs: probs.slice(0, groupSize).map((p) => p.slice(0, positions.length)),
        kept,
      };
    };
    const registerToken = (position: number, token: number): void => {
      target.registerToken(position, token);
      this.position = position;
      this.token = token;
      this.heads = new Array<HeadStep>(nLayers * nKvHeads);
    };
    this.cache = new Proxy(target, {
      get(t, key) {
        if (key === "afterAttention") return afterAttention;
        if (key === "registerToken") return registerToken;
        const value: unknown = Reflect.get(t, key, t);
        if (typeof value !== "function") return value;
        let fn = bound.get(key);
        if (fn === undefined) {
          fn = (value as (...a: unknown[]) => unknown).bind(t);
          bound.set(key, fn);
        }
        return fn;
      },
    });
  }

  /** Hands a finished step to `onStep` (once). */
  flush(onStep: (step: DecodeStep) => void): void {
    if (this.position < 0) return;
    const step: DecodeStep = { token: this.token, position: this.position, heads: this.heads, footprint: this.target.footprint() };
    this.position = -1;
    onStep(step);
  }
}
