/**
 * What every entry of the package exports alike (index.ts for Node, Deno and Bun; browser.ts for
 * pages and workers): everything but the ways of opening a model, which differ (a path, or bytes).
 * @module
 */

// High-level API.
export { FastGen } from "./fastgen.ts";
export type { Prompt } from "./fastgen.ts";
export type { CompressionOptions, DecodeStep, GeneratedPiece, GenerateOptions, GenerationStats, HeadStep } from "./fastgen.ts";

// Models and tokenizer.
export { loadModelFromBytes } from "../model/from-bytes.ts";
export { parseGguf, readTensor } from "../model/gguf.ts";
export { llamaToGguf, writeGguf } from "../model/gguf-writer.ts";
export { SYNTH_SHAPES, synthModel } from "../model/synth.ts";
export { FAMILIES, FAMILY_NAMES, SYNTH_TYPES, synthLike } from "../model/families.ts";
export type { FamilyName, SynthLikeOptions } from "../model/families.ts";
export { weightCount } from "../model/config.ts";
export { dequantize, TENSOR_TYPE_NAMES } from "../../reference/quants.ts";
export type { TensorType } from "../../reference/quants.ts";
export type { LlamaConfig, LlamaModel, LlamaWeights, PackedMatrix, PackedWeights, Vocab } from "../model/types.ts";
export { TextStream, Tokenizer } from "../tokenizer/tokenizer.ts";
export type { EncodeOptions } from "../tokenizer/tokenizer.ts";
export { encodeChat, renderChat } from "../tokenizer/chat.ts";
export type { ChatMessage } from "../tokenizer/chat.ts";
export { vocabFromTokenizerJson } from "../model/hf-tokenizer.ts";
export { InputError, ModelFileError } from "../errors.ts";

// Backends and caches.
export type { Backend, KvCache, KvLayout, KvView } from "../interfaces.ts";
export { kvLayoutOf } from "../interfaces.ts";
export { BACKEND_NAMES, createBackend, GPU_MODES } from "../create-backend.ts";
export type { BackendName, GpuMode } from "../create-backend.ts";
export { FullKvCache } from "../kv/full-cache.ts";
export { AdaptiveKvCache } from "../fastgen/adaptive-cache.ts";
export type { AdaptiveCacheOptions, CacheFootprint } from "../fastgen/adaptive-cache.ts";

// FastGen: token classes, policies, profiler, sessions.
export { computeTokenClasses, isPunctuationPiece } from "../fastgen/token-classes.ts";
export type { TokenClasses, TokenClassOptions } from "../fastgen/token-classes.ts";
export { floorMin1, keptEntries, policySizes, unionPolicy } from "../fastgen/policy.ts";
export { budgeted, budgetedPolicies, type HeadBudget } from "../fastgen/budget/component.ts";
export type { GqaReduction, TokenClassLookup } from "../fastgen/prompt-attention.ts";
export type {
  KeepContext,
  KvHeadPolicy,
  PolicyComponent,
  PolicySizeSettings,
  PolicySizes,
  ProfileContext,
  RowRule,
} from "../fastgen/policy.ts";
export * as components from "../fastgen/components/index.ts";
export { CANDIDATE_LABELS, CANDIDATE_NAMES, CANDIDATES } from "../fastgen/candidates.ts";
export type { CandidateName } from "../fastgen/candidates.ts";
export { policyCounts, profileHeads } from "../fastgen/profiler.ts";
export type { KvHeadProfile, ProfileReport, ProfileSettings, RecoveryReport } from "../fastgen/profiler.ts";
export { promptAttentionFromMatrices, promptAttentionFromRows } from "../fastgen/prompt-attention.ts";
export type { PromptAttention } from "../fastgen/prompt-attention.ts";
export { BASELINE_POLICIES, compressionSettingsSchema, POLICY_NAMES } from "../fastgen/settings.ts";
export type { CompressionSettings, PolicyName } from "../fastgen/settings.ts";
export { CompressionSession } from "../fastgen/session.ts";
export type { KvByteParts } from "../kv/head-store.ts";
export type { CompressionSummary, KvBytesReport } from "../fastgen/session.ts";

// Generation.
export { decodeTokens, generateTokens } from "../generation/generate.ts";
export type { DecodeOptions, GeneratedToken } from "../generation/generate.ts";
export { compressPrompt, decodeCompressed, generateCompressed, teacherForce } from "../fastgen/pipeline.ts";
export type { CompressedGeneration, CompressedPrompt } from "../fastgen/pipeline.ts";
export { argmax, Sampler, softmaxF64 } from "../generation/sampler.ts";
export { mulberry32 } from "../random.ts";
export type { SamplingOptions } from "../generation/sampler.ts";
