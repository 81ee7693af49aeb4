/**
 * The in-memory model every loader produces and every backend runs.
 * Matrices are row-major `[out][in]` float32 (llama2.c's layout, and GGUF's with ne0 = in).
 * A GGUF model also keeps every matrix in the file's own encoding (`LlamaModel.packed`); its
 * float32 matrices are then dequantized on first read only (reference/quants.ts), so a backend
 * that multiplies the packed blocks (wasm) never holds a float32 copy of the weights.
 */
import type { TensorType } from "../../reference/quants.ts";
export type { TensorType };

/**
 * How RoPE pairs a head's dimensions: `adjacent` rotates (x[2i], x[2i+1]) (llama2.c, llama.cpp's
 * "normal" RoPE, used for `llama`), `neox` rotates (x[i], x[i + headDim/2]) (llama.cpp's NEOX,
 * used for `qwen2` and `qwen3`).
 */
export type RopeStyle = "adjacent" | "neox";

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
  /** Default `adjacent`. */
  readonly ropeStyle?: RopeStyle;
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
  /** Qwen2: biases added to q, k and v after their projections, `[nHeads·headDim]`, `[kvDim]`, `[kvDim]`. */
  readonly bq?: Float32Array;
  readonly bk?: Float32Array;
  readonly bv?: Float32Array;
  /** Qwen3: RMSNorm weights applied to each query and key head before RoPE, `[headDim]`. */
  readonly qNorm?: Float32Array;
  readonly kNorm?: Float32Array;
}

export interface LlamaWeights {
  /** `[vocabSize][dim]` */
  readonly tokenEmbedding: Float32Array;
  readonly layers: readonly LayerWeights[];
  /** Final RMSNorm weight, `[dim]`. */
  readonly outputNorm: Float32Array;
  /** Classifier `[vocabSize][dim]`; the same array as `tokenEmbedding` when tied. */
  readonly output: Float32Array;
  /** Llama 3.1+: RoPE frequency divisors, one per rotated pair, `[headDim/2]` (GGUF `rope_freqs.weight`). */
  readonly ropeFreqs?: Float32Array;
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

/**
 * A vocabulary: SentencePiece-style (`spm`, pieces use `▁` for a space, as in GGUF) or GPT-2
 * byte-level BPE (`bpe`: pieces in GPT-2's byte-to-character alphabet, ranked merges, a
 * pre-tokenizer named by `pre`).
 */
export interface Vocab {
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly types: Int32Array;
  readonly bosId: number;
  readonly eosId: number;
  /** -1 when the vocabulary has none (byte-level BPE needs none). */
  readonly unkId: number;
  /** Whether encoding adds BOS by default. */
  readonly addBos: boolean;
  /** Default `spm`. */
  readonly model?: "spm" | "bpe";
  /** BPE: merges "left right", best first (GGUF `tokenizer.ggml.merges`). */
  readonly merges?: readonly string[];
  /** BPE: the pre-tokenizer (GGUF `tokenizer.ggml.pre`: llama-bpe, smollm, qwen2, default, ...). */
  readonly pre?: string;
  /** Whether encoding appends EOS by default. */
  readonly addEos?: boolean;
  /** Tokens that end generation besides EOS: end of turn (`<|eot_id|>`, `<|im_end|>`, ...). */
  readonly stopIds?: readonly number[];
  /** The file's Jinja chat template (GGUF `tokenizer.chat_template`). */
  readonly chatTemplate?: string;
}

export type ModelFormat = "gguf" | "llama2c" | "llama2c-q80";

/** A weight matrix in the file's own encoding: `rows` × `cols`, row-major, each row a whole number of blocks. */
export interface PackedMatrix {
  readonly type: TensorType;
  readonly rows: number;
  readonly cols: number;
  /** The file's bytes (a view, not a copy). */
  readonly bytes: Uint8Array;
}

/** The matrices of {@link LayerWeights} in the file's encoding. */
export type PackedLayer = { readonly [K in "wq" | "wk" | "wv" | "wo" | "w1" | "w2" | "w3"]: PackedMatrix };

export interface PackedWeights {
  readonly tokenEmbedding: PackedMatrix;
  /** The same object as `tokenEmbedding` when the classifier is tied. */
  readonly output: PackedMatrix;
  readonly layers: readonly PackedLayer[];
}

export interface LlamaModel {
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  /** Absent for a llama2.c checkpoint loaded without its tokenizer file. */
  readonly vocab?: Vocab;
  readonly source: { readonly path: string; readonly format: ModelFormat };
  /**
   * Every matrix in the file's own encoding (GGUF only). Backends that run on the packed blocks
   * (wasm) read these and never `weights`' matrices, which are then never dequantized.
   */
  readonly packed?: PackedWeights;
  /**
   * What a product with packed weights does to its input first. `float` (default): nothing, the
   * float32 product over the dequantized weights. `ggml`: round it as llama.cpp's CPU backend does
   * for the weight type (8-bit blocks for quantized weights, half or bfloat16 for F16/BF16;
   * reference/activations.ts), on every backend, so the logits are llama.cpp's (docs/models.md).
   * Files without packed weights (llama2.c) compute the same either way.
   */
  readonly activations?: "float" | "ggml";
}
