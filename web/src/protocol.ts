/** Messages between the page (main.ts) and the model's Web Worker (worker.ts). */
import type { BackendName, CacheFootprint, CandidateName, DecodeStep, MethodName } from "fastgen-ts";

export type ModelSource =
  | { readonly kind: "builtin"; readonly file: string; readonly tokenizer?: string }
  | { readonly kind: "bytes"; readonly name: string; readonly bytes: Uint8Array; readonly tokenizer?: Uint8Array; readonly tokenizerName?: string };

export interface GenerateRequest {
  readonly prompt: string;
  readonly policy: MethodName;
  readonly threshold: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly maxTokens: number;
}

export type ToWorker =
  | { readonly type: "open"; readonly id: number; readonly source: ModelSource; readonly backend: BackendName }
  | { readonly type: "profile"; readonly id: number; readonly prompt: string; readonly threshold: number }
  | ({ readonly type: "generate"; readonly id: number } & GenerateRequest)
  | { readonly type: "stop" };

/** A token as the page shows it. */
export interface TokenInfo {
  readonly id: number;
  readonly position: number;
  /** The vocabulary piece (▁ for a leading space). */
  readonly piece: string;
  /** The text it adds to the story ("" while a UTF-8 character is incomplete). */
  readonly text: string;
  readonly special: boolean;
  readonly punct: boolean;
}

export interface ModelInfo {
  readonly name: string;
  readonly format: string;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly dim: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly parameters: number;
}

export interface HeadProfileView {
  readonly layer: number;
  readonly kvHead: number;
  readonly policy: CandidateName;
  readonly recovery: Record<CandidateName, number>;
  readonly queryHeads: readonly { readonly head: number; readonly recovery: Record<CandidateName, number> }[];
}

export interface ProfileView {
  readonly prompt: string;
  readonly threshold: number;
  readonly n: number;
  readonly window: number;
  readonly frequentK: number;
  readonly candidates: readonly CandidateName[];
  /** `layers[l][g]`, as `fastgen profile --json` lists them. */
  readonly layers: readonly (readonly HeadProfileView[])[];
  readonly ms: number;
}

export type FromWorker =
  | { readonly type: "opened"; readonly id: number; readonly backend: string; readonly model: ModelInfo; readonly ms: number; readonly methods: readonly MethodName[] }
  | { readonly type: "profiled"; readonly id: number; readonly profile: ProfileView; readonly promptTokens: readonly TokenInfo[] }
  | { readonly type: "started"; readonly id: number; readonly promptTokens: readonly TokenInfo[]; readonly maxPositions: number }
  | { readonly type: "token"; readonly id: number; readonly token: TokenInfo }
  | { readonly type: "step"; readonly id: number; readonly step: DecodeStep }
  | {
      readonly type: "done";
      readonly id: number;
      readonly stopped: boolean;
      /** The whole text as the CLI's `generate --json` prints it: decode(prompt tokens + generated tokens). */
      readonly text: string;
      readonly tokens: readonly number[];
      readonly promptTokens: readonly number[];
      readonly seconds: number;
      readonly tokensPerSecond: number;
      readonly footprint: CacheFootprint | undefined;
      readonly compression: { readonly afterPrefill: number; readonly final: number; readonly mean: number } | undefined;
      readonly kvBytes: { readonly full: number; readonly compressed: number } | undefined;
      readonly policies: readonly (readonly string[])[] | undefined;
    }
  | { readonly type: "error"; readonly id: number; readonly message: string };
