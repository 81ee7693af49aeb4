/** Messages between the page (main.ts) and the model's Web Worker (worker.ts). */
import type { BackendName, CacheFootprint, CandidateName, DecodeStep, PolicyName } from "fastgen-ts";

export type ModelSource =
  | { readonly kind: "builtin"; readonly file: string; readonly tokenizer?: string }
  | {
      readonly kind: "bytes";
      readonly name: string;
      readonly bytes: Uint8Array;
      readonly tokenizer?: Uint8Array;
      readonly tokenizerName?: string;
    };

export interface GenerateRequest {
  readonly prompt: string;
  readonly policy: PolicyName;
  readonly threshold: number;
  /** C of budgeted and the literature's methods (spec §14.1). */
  readonly compression: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly maxTokens: number;
  /** Report every decode step's attention (the page's views); off only for speed comparisons (`?watch=0`). */
  readonly watch: boolean;
  /** Send the prompt as a user message through the file's chat template (models that carry one). */
  readonly chat: boolean;
}

export type ToWorker =
  | { readonly type: "open"; readonly id: number; readonly source: ModelSource; readonly backend: BackendName }
  | { readonly type: "profile"; readonly id: number; readonly prompt: string; readonly threshold: number; readonly chat: boolean }
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
  /** Whether the file carries a chat template (GGUF `tokenizer.chat_template`). */
  readonly chatTemplate: boolean;
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
  | {
      readonly type: "opened";
      readonly id: number;
      readonly backend: string;
      readonly model: ModelInfo;
      readonly ms: number;
      readonly methods: readonly PolicyName[];
    }
  | { readonly type: "profiled"; readonly id: number; readonly profile: ProfileView; readonly promptTokens: readonly TokenInfo[] }
  | { readonly type: "started"; readonly id: number; readonly promptTokens: readonly TokenInfo[]; readonly maxPositions: number }
  | { readonly type: "token"; readonly id: number; readonly token: TokenInfo }
  | { readonly type: "step"; readonly id: number; readonly step: PackedStep }
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

/**
 * A {@link DecodeStep} in three transferable arrays (one structured-clone object per array would
 * cost more than a small model's decode step): per head `meta` holds layer, KV head, the number of
 * attended positions and of kept ones; `ints` the attended then the kept positions, head after head;
 * `probs` each query head's row over the attended positions, head after head.
 */
export interface PackedStep {
  readonly token: number;
  readonly position: number;
  readonly footprint: DecodeStep["footprint"];
  readonly group: number;
  readonly meta: Int32Array;
  readonly ints: Int32Array;
  readonly probs: Float32Array;
}

export function packStep(step: DecodeStep): { packed: PackedStep; transfer: ArrayBuffer[] } {
  const heads = step.heads;
  const group = heads[0]?.probs.length ?? 0;
  let nInts = 0;
  let nProbs = 0;
  for (const h of heads) {
    nInts += h.positions.length + h.kept.length;
    nProbs += group * h.positions.length;
  }
  const meta = new Int32Array(4 * heads.length);
  const ints = new Int32Array(nInts);
  const probs = new Float32Array(nProbs);
  let i = 0;
  let f = 0;
  heads.forEach((h, k) => {
    meta.set([h.layer, h.kvHead, h.positions.length, h.kept.length], 4 * k);
    ints.set(h.positions, i);
    i += h.positions.length;
    ints.set(h.kept, i);
    i += h.kept.length;
    for (const row of h.probs) {
      probs.set(row, f);
      f += row.length;
    }
  });
  const packed = { token: step.token, position: step.position, footprint: step.footprint, group, meta, ints, probs };
  return { packed, transfer: [meta.buffer, ints.buffer, probs.buffer] };
}

export function unpackStep(p: PackedStep): DecodeStep {
  const heads = [];
  let i = 0;
  let f = 0;
  for (let k = 0; k < p.meta.length / 4; k++) {
    const [layer, kvHead, nPos, nKept] = [p.meta[4 * k]!, p.meta[4 * k + 1]!, p.meta[4 * k + 2]!, p.meta[4 * k + 3]!];
    const positions = p.ints.subarray(i, i + nPos);
    i += nPos;
    const kept = p.ints.subarray(i, i + nKept);
    i += nKept;
    const probs = [];
    for (let r = 0; r < p.group; r++) {
      probs.push(p.probs.subarray(f, f + nPos));
      f += nPos;
    }
    heads.push({ layer, kvHead, positions, probs, kept });
  }
  return { token: p.token, position: p.position, footprint: p.footprint, heads };
}
