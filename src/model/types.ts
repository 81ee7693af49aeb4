/**
 * The in-memory model every loader produces and every backend runs.
 * Matrices are row-major `[out][in]` float32 (llama2.c's layout, and GGUF's with ne0 = in).
 */

export interface LlamaConfig {
  /** Residual stream width. */
  readonly dim: number;
  /** SwiGLU hidden width. */
  readonly hiddenDim: number;
  readonly nLayers: number;
  /** Query heads. */
  readonly nHeads: number;
  /** Key/value heads (grouped-query attention: nHeads is a multiple of nKvHeads). */
  readonly nKvHeads: number;
  readonly vocabSize: number;
  /** Context length the file declares. */
  readonly contextLength: number;
  /** Context length the model was really trained with, where known (stories260K: 512). */
  readonly trainedContextLength: number;
  readonly headDim: number;
  readonly ropeTheta: number;
  readonly normEps: number;
}

export interface LayerWeights {
  /** RMSNorm weight before attention, `[dim]`. */
  readonly attnNorm: Float32Array;
  /** `[nHeads*headDim][dim]` */
  readonly wq: Float32Array;
  /** `[nKvHeads*headDim][dim]` */
  readonly wk: Float32Array;
  /** `[nKvHeads*headDim][dim]` */
  readonly wv: Float32Array;
  /** `[dim][nHeads*headDim]` */
  readonly wo: Float32Array;
  /** RMSNorm weight before the FFN, `[dim]`. */
  readonly ffnNorm: Float32Array;
  /** Gate projection, `[hiddenDim][dim]`. */
  readonly w1: Float32Array;
  /** Down projection, `[dim][hiddenDim]`. */
  readonly w2: Float32Array;
  /** Up projection, `[hiddenDim][dim]`. */
  readonly w3: Float32Array;
}

export interface LlamaWeights {
  /** `[vocabSize][dim]` */
  readonly tokenEmbedding: Float32Array;
  readonly layers: readonly LayerWeights[];
  /** Final RMSNorm weight, `[dim]`. */
  readonly outputNorm: Float32Array;
  /** Classifier `[vocabSize][dim]`; the same array as `tokenEmbedding` when tied. */
  readonly output: Float32Array;
}

/** GGUF token types (llama.cpp `llama_token_type`). */
export const TokenType = {
  UNDEFINED: 0,
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type TokenTypeId = (typeof TokenType)[keyof typeof TokenType];

/** A SentencePiece-style vocabulary; pieces use `▁` for a space, as in GGUF. */
export interface Vocab {
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly types: Int32Array;
  readonly bosId: number;
  readonly eosId: number;
  readonly unkId: number;
  /** Whether encoding adds BOS by default. */
  readonly addBos: boolean;
}

/** `llama2c-q80`: llama2.c's int8 "ak42" checkpoint (src/model/llama2c-q80.ts). */
export type ModelFormat = "gguf" | "llama2c" | "llama2c-q80";

/** A weight matrix as the file encodes it, where that is not float32 (see src/model/raw-weights.ts). */
export interface RawTensor {
  /** ggml type: F16, or Q8_0 (blocks of an f16 scale and 32 int8, row-major, rows a whole number of blocks). */
  readonly type: "F16" | "Q8_0";
  readonly bytes: Uint8Array;
}

export interface LlamaModel {
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  /** Absent for a llama2.c checkpoint loaded without its tokenizer file. */
  readonly vocab?: Vocab;
  readonly source: { readonly path: string; readonly format: ModelFormat };
  /**
   * The file's F16/Q8_0 bytes of matrices in `weights`, keyed by the dequantized array (GGUF only).
   * Backends that run on the file's type (wasm) use them; the others read `weights`.
   */
  readonly raw?: ReadonlyMap<Float32Array, RawTensor>;
}
