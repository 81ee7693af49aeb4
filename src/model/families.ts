/**
 * GGUF files shaped like the models people download (`fastgen synth --like F`): the shapes,
 * architecture keys and tensor names of llama.cpp's converter for each family, random weights,
 * and the per-tensor types of llama.cpp's quantizer mixes (Q4_K_M, ...), so that every reader and
 * kernel here — and llama.cpp itself — can be exercised on them without downloads.
 *
 * Weights: Gaussian, std 1/sqrt(fan-in) for the layer matrices (activations stay near unit scale),
 * and an embedding (tied classifier) with std LOGIT_STD/sqrt(dim), so a next-token distribution
 * has logits of std ≈ LOGIT_STD: peaked, like a trained model's, not uniform.
 */
import { BLOCK_LAYOUT, type TensorType, TENSOR_TYPE_NAMES } from "../../reference/quants.ts";
import { mulberry32 } from "../random.ts";
import { FILE_TYPE, type GgufMetadataEntry, type GgufTensorSpec, writeGguf } from "./gguf-writer.ts";
import { FAMILY_TOKENIZERS, familyVocab } from "./family-vocab.ts";
import type { Vocab } from "./types.ts";

export interface FamilyShape {
  readonly architecture: "llama" | "qwen2" | "qwen3";
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly ropeTheta: number;
  readonly normEps: number;
  /** Whether the classifier is the token embedding (no `output.weight`). */
  readonly tied: boolean;
  /** Llama 3.1+ RoPE frequency factors (`rope_freqs.weight`): factor, low/high frequency factors, original context. */
  readonly llama3Rope?: { readonly factor: number; readonly low: number; readonly high: number; readonly original: number };
  /** The kind of vocabulary, special pieces and chat template (src/model/family-vocab.ts). */
  readonly tokenizer: keyof typeof FAMILY_TOKENIZERS;
}

/** The published configurations (each model's config.json on the Hugging Face hub). */
export const FAMILIES = {
  "smollm2-135m": {
    architecture: "llama",
    dim: 576,
    hiddenDim: 1536,
    nLayers: 30,
    nHeads: 9,
    nKvHeads: 3,
    headDim: 64,
    vocabSize: 49152,
    contextLength: 8192,
    ropeTheta: 100000,
    normEps: 1e-5,
    tied: true,
    tokenizer: "smollm2",
  },
  "llama-3.2-1b": {
    architecture: "llama",
    dim: 2048,
    hiddenDim: 8192,
    nLayers: 16,
    nHeads: 32,
    nKvHeads: 8,
    headDim: 64,
    vocabSize: 128256,
    contextLength: 131072,
    ropeTheta: 500000,
    normEps: 1e-5,
    tied: true,
    llama3Rope: { factor: 32, low: 1, high: 4, original: 8192 },
    tokenizer: "llama3",
  },
  "qwen2.5-0.5b": {
    architecture: "qwen2",
    dim: 896,
    hiddenDim: 4864,
    nLayers: 24,
    nHeads: 14,
    nKvHeads: 2,
    headDim: 64,
    vocabSize: 151936,
    contextLength: 32768,
    ropeTheta: 1000000,
    normEps: 1e-6,
    tied: true,
    tokenizer: "qwen",
  },
  "qwen3-0.6b": {
    architecture: "qwen3",
    dim: 1024,
    hiddenDim: 3072,
    nLayers: 28,
    nHeads: 16,
    nKvHeads: 8,
    headDim: 128,
    vocabSize: 151936,
    contextLength: 40960,
    ropeTheta: 1000000,
    normEps: 1e-6,
    tied: true,
    tokenizer: "qwen",
  },
  "tinyllama-1.1b": {
    architecture: "llama",
    dim: 2048,
    hiddenDim: 5632,
    nLayers: 22,
    nHeads: 32,
    nKvHeads: 4,
    headDim: 64,
    vocabSize: 32000,
    contextLength: 2048,
    ropeTheta: 10000,
    normEps: 1e-5,
    tied: false,
    tokenizer: "tinyllama",
  },
} as const satisfies Record<string, FamilyShape>;
export type FamilyName = keyof typeof FAMILIES;
export const FAMILY_NAMES = Object.keys(FAMILIES) as FamilyName[];

/** llama.cpp's mixes by file-type name; a plain tensor type name means every matrix of that type. */
export const MIXES = ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M"] as const;
export type MixName = (typeof MIXES)[number];
export const SYNTH_TYPES: readonly string[] = [...TENSOR_TYPE_NAMES, ...MIXES];

const LOGIT_STD = 4;

/** The matrices of a layer, by GGUF name suffix. */
type MatrixRole = "attn_q" | "attn_k" | "attn_v" | "attn_output" | "ffn_gate" | "ffn_up" | "ffn_down";

/**
 * The type llama.cpp's quantizer (llama-quant.cpp `llama_tensor_get_type`) gives a matrix under a
 * mix — its main rules: the classifier (or the tied embedding) in Q6_K; attn_v and ffn_down with
 * more bits in the first and last eighth of the layers and every third between (`use_more_bits`);
 * the mix's own bumps for Q3_K_*; then, for a row length that is not a multiple of 256, the
 * fallbacks Q2_K/Q3_K → IQ4_NL, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0. Plain types: Q6_K for the
 * classifier of the quantized legacy types (Q4_0 … Q5_1), every other matrix the type itself.
 */
export function tensorTypeFor(mix: string, role: MatrixRole | "output", layer: number, nLayers: number, cols: number): TensorType {
  const moreBits = layer < nLayers / 8 || layer >= (7 * nLayers) / 8 || (layer - Math.floor(nLayers / 8)) % 3 === 2;
  let t: TensorType;
  if ((TENSOR_TYPE_NAMES as readonly string[]).includes(mix)) {
    t = mix as TensorType;
    if (role === "output" && ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K"].includes(mix)) t = "Q6_K";
  } else if (role === "output") {
    t = "Q6_K";
  } else {
    const base = (mix.slice(0, 4) === "Q2_K" ? "Q2_K" : `${mix.slice(0, 2)}_K`) as TensorType;
    t = base;
    const v = role === "attn_v";
    const down = role === "ffn_down";
    switch (mix as MixName) {
      case "Q2_K":
        if (v || down) t = "Q3_K";
        break;
      case "Q3_K_M":
        if (v) t = layer < 2 ? "Q5_K" : "Q4_K";
        else if (down) t = layer < nLayers / 16 ? "Q5_K" : moreBits ? "Q4_K" : "Q3_K";
        else if (role === "attn_output") t = "Q4_K";
        break;
      case "Q3_K_L":
        if (v || down || role === "attn_output") t = "Q5_K";
        break;
      case "Q4_K_S":
        if (v && layer < 4) t = "Q5_K";
        else if (down && layer < nLayers / 8) t = "Q5_K";
        break;
      case "Q4_K_M":
      case "Q5_K_M":
        if ((v || down) && moreBits) t = "Q6_K";
        break;
      default:
        break;
    }
  }
  if (cols % 256 !== 0) {
    const fallback: Partial<Record<TensorType, TensorType>> = { Q2_K: "IQ4_NL", Q3_K: "IQ4_NL", Q4_K: "Q5_0", Q5_K: "Q5_1", Q6_K: "Q8_0" };
    t = fallback[t] ?? t;
  }
  if (cols % BLOCK_LAYOUT[t].elements !== 0) t = "F16";
  return t;
}

export interface SynthLikeOptions {
  readonly layers?: number;
  /** A smaller vocabulary than the family's (tests: the embedding dominates a 2-layer file). */
  readonly vocabSize?: number;
  /** A tensor type or a mix name (MIXES). */
  readonly type: string;
  readonly seed: number;
  /** The vocabulary to embed (default: a synthetic one of the family's kind, src/model/family-vocab.ts). */
  readonly vocab?: Vocab;
  /**
   * Dim 64, 4 heads of 16 over 2 KV heads, FFN 128 instead of the family's widths: for tests of
   * what does not depend on the weights (the tokenizer of a 152K-piece vocabulary, read by
   * llama.cpp), where the family's embedding would be hundreds of MiB.
   */
  readonly narrow?: boolean;
}

/** Llama 3.1's RoPE frequency factors (the converter's `generate_extra_tensors` for rope_freqs). */
export function llama3RopeFactors(headDim: number, theta: number, r: NonNullable<FamilyShape["llama3Rope"]>): Float32Array {
  const lowWavelen = r.original / r.low;
  const highWavelen = r.original / r.high;
  return Float32Array.from({ length: headDim / 2 }, (_, j) => {
    const freq = 1 / theta ** ((2 * j) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) return 1;
    if (wavelen > lowWavelen) return r.factor;
    const smooth = (r.original / wavelen - r.low) / (r.high - r.low);
    return 1 / ((1 - smooth) / r.factor + smooth);
  });
}

/** A GGUF file of the family's shape (see the file comment), written in memory. */
export function synthLike(family: FamilyName, options: SynthLikeOptions): Uint8Array {
  const base: FamilyShape = FAMILIES[family];
  const narrow = options.narrow ? { dim: 64, hiddenDim: 128, nHeads: 4, nKvHeads: 2, headDim: 16 } : {};
  const vocabSize = options.vocabSize ?? options.vocab?.pieces.length ?? base.vocabSize;
  const shape = { ...base, ...narrow, nLayers: options.layers ?? base.nLayers, vocabSize };
  if (!SYNTH_TYPES.includes(options.type)) throw new RangeError(`unknown type ${options.type} (known: ${SYNTH_TYPES.join(", ")})`);
  const random = mulberry32(options.seed);
  const gaussian = (n: number, std: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - random()));
      const t = 2 * Math.PI * random();
      a[i] = r * Math.cos(t) * std;
      if (i + 1 < n) a[i + 1] = r * Math.sin(t) * std;
    }
    return a;
  };
  const arch = shape.architecture;
  const qDim = shape.nHeads * shape.headDim;
  const kvDim = shape.nKvHeads * shape.headDim;
  const L = shape.nLayers;
  const tensors: GgufTensorSpec[] = [];
  const matrix = (name: string, role: MatrixRole | "output", layer: number, cols: number, rows: number, std: number) =>
    tensors.push({ name, dims: [cols, rows], type: tensorTypeFor(options.type, role, layer, L, cols), data: gaussian(rows * cols, std) });
  const vector = (name: string, n: number, data?: Float32Array) =>
    tensors.push({ name, dims: [n], type: "F32", data: data ?? Float32Array.from({ length: n }, () => 1 + 0.1 * (random() - 0.5)) });

  const embedStd = LOGIT_STD / Math.sqrt(shape.dim);
  matrix("token_embd.weight", shape.tied ? "output" : "attn_q", 0, shape.dim, shape.vocabSize, embedStd);
  vector("output_norm.weight", shape.dim);
  if (!shape.tied) matrix("output.weight", "output", 0, shape.dim, shape.vocabSize, embedStd);
  if (shape.llama3Rope) vector("rope_freqs.weight", shape.headDim / 2, llama3RopeFactors(shape.headDim, shape.ropeTheta, shape.llama3Rope));
  for (let l = 0; l < L; l++) {
    const p = `blk.${l}.`;
    vector(`${p}attn_norm.weight`, shape.dim);
    matrix(`${p}attn_q.weight`, "attn_q", l, shape.dim, qDim, 1 / Math.sqrt(shape.dim));
    matrix(`${p}attn_k.weight`, "attn_k", l, shape.dim, kvDim, 1 / Math.sqrt(shape.dim));
    matrix(`${p}attn_v.weight`, "attn_v", l, shape.dim, kvDim, 1 / Math.sqrt(shape.dim));
    if (arch === "qwen2") {
      vector(`${p}attn_q.bias`, qDim, gaussian(qDim, 0.1));
      vector(`${p}attn_k.bias`, kvDim, gaussian(kvDim, 0.1));
      vector(`${p}attn_v.bias`, kvDim, gaussian(kvDim, 0.1));
    }
    if (arch === "qwen3") {
      vector(`${p}attn_q_norm.weight`, shape.headDim);
      vector(`${p}attn_k_norm.weight`, shape.headDim);
    }
    matrix(`${p}attn_output.weight`, "attn_output", l, qDim, shape.dim, 1 / Math.sqrt(qDim));
    vector(`${p}ffn_norm.weight`, shape.dim);
    matrix(`${p}ffn_gate.weight`, "ffn_gate", l, shape.dim, shape.hiddenDim, 1 / Math.sqrt(shape.dim));
    matrix(`${p}ffn_up.weight`, "ffn_up", l, shape.dim, shape.hiddenDim, 1 / Math.sqrt(shape.dim));
    matrix(`${p}ffn_down.weight`, "ffn_down", l, shape.hiddenDim, shape.dim, 1 / Math.sqrt(shape.hiddenDim));
  }
  return writeGguf({ metadata: familyMetadata(family, shape, options), tensors });
}

function familyMetadata(family: FamilyName, s: FamilyShape, options: SynthLikeOptions): GgufMetadataEntry[] {
  const a = s.architecture;
  const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: "uint32", value });
  const f32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: "float32", value });
  const mixFileType: Record<string, number> = {
    Q2_K: 10,
    Q3_K_S: 11,
    Q3_K_M: 12,
    Q3_K_L: 13,
    Q4_K_S: 14,
    Q4_K_M: 15,
    Q5_K_S: 16,
    Q5_K_M: 17,
  };
  const fileType = mixFileType[options.type] ?? FILE_TYPE[options.type as TensorType];
  const v = options.vocab ?? familyVocab(FAMILY_TOKENIZERS[s.tokenizer], s.vocabSize);
  if (v.pieces.length !== s.vocabSize) throw new RangeError(`the vocabulary has ${v.pieces.length} pieces, the shape ${s.vocabSize}`);
  const entries: GgufMetadataEntry[] = [
    { key: "general.architecture", type: "string", value: a },
    { key: "general.name", type: "string", value: `synthetic ${family} (random weights, fastgen synth --like)` },
    u32("general.file_type", fileType),
    u32("general.quantization_version", 2),
    u32(`${a}.block_count`, s.nLayers),
    u32(`${a}.context_length`, s.contextLength),
    u32(`${a}.embedding_length`, s.dim),
    u32(`${a}.feed_forward_length`, s.hiddenDim),
    u32(`${a}.attention.head_count`, s.nHeads),
    u32(`${a}.attention.head_count_kv`, s.nKvHeads),
    f32(`${a}.rope.freq_base`, s.ropeTheta),
    f32(`${a}.attention.layer_norm_rms_epsilon`, s.normEps),
    u32(`${a}.vocab_size`, s.vocabSize),
    u32(`${a}.rope.dimension_count`, s.headDim),
  ];
  if (s.headDim * s.nHeads !== s.dim || a === "qwen3") {
    entries.push(u32(`${a}.attention.key_length`, s.headDim), u32(`${a}.attention.value_length`, s.headDim));
  }
  entries.push(
    { key: "tokenizer.ggml.model", type: "string", value: v.model === "bpe" ? "gpt2" : "llama" },
    ...(v.pre ? [{ key: "tokenizer.ggml.pre", type: "string", value: v.pre } as const] : []),
    { key: "tokenizer.ggml.tokens", type: "array", itemType: "string", items: v.pieces },
    { key: "tokenizer.ggml.scores", type: "array", itemType: "float32", items: v.scores },
    { key: "tokenizer.ggml.token_type", type: "array", itemType: "int32", items: v.types },
    ...(v.merges ? [{ key: "tokenizer.ggml.merges", type: "array", itemType: "string", items: v.merges } as const] : []),
    u32("tokenizer.ggml.bos_token_id", v.bosId),
    u32("tokenizer.ggml.eos_token_id", v.eosId),
    ...(v.unkId >= 0 ? [u32("tokenizer.ggml.unknown_token_id", v.unkId)] : []),
    { key: "tokenizer.ggml.add_bos_token", type: "bool", value: v.addBos },
    ...(v.addEos ? [{ key: "tokenizer.ggml.add_eos_token", type: "bool", value: true } as const] : []),
    ...(v.chatTemplate ? [{ key: "tokenizer.chat_template", type: "string", value: v.chatTemplate } as const] : []),
  );
  return entries;
}
