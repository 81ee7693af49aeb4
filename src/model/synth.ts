/**
 * Seeded random-weight Llama models at named shapes, for speed and memory work where the weight
 * values do not matter (issue: benchmarks). The vocabulary is synthetic but well-formed:
 * <unk>, <s>, </s>, the 256 byte pieces, then "▁t<i>" pieces.
 */
import { mulberry32 } from "../random.ts";
import { validateConfig } from "./config.ts";
import { TokenType, type LayerWeights, type LlamaConfig, type LlamaModel, type Vocab } from "./types.ts";

/** The hyperparameters a synthetic model is named by; the rest follow (headDim = dim / nHeads). */
export type SynthShape = Pick<LlamaConfig, "dim" | "hiddenDim" | "nLayers" | "nHeads" | "nKvHeads" | "vocabSize" | "contextLength">;

export const SYNTH_SHAPES = {
  /** stories260K's shape. */
  "260K": { dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, contextLength: 512 },
  /** llama2.c's stories15M shape. */
  "15M": { dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKvHeads: 6, vocabSize: 32000, contextLength: 256 },
  /** llama2.c's stories110M shape. */
  "110M": { dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12, nKvHeads: 12, vocabSize: 32000, contextLength: 1024 },
  /** A small GQA model with a long context, for decode time vs. context length. */
  long: { dim: 256, hiddenDim: 768, nLayers: 4, nHeads: 8, nKvHeads: 2, vocabSize: 4096, contextLength: 8192 },
  /** A tiny shape for CI smoke runs. */
  tiny: { dim: 32, hiddenDim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 300, contextLength: 128 },
} as const satisfies Record<string, SynthShape>;
export type SynthShapeName = keyof typeof SYNTH_SHAPES;

export function synthConfig(shape: SynthShape, path = "<synthetic>"): LlamaConfig {
  return validateConfig(
    {
      ...shape,
      trainedContextLength: shape.contextLength,
      headDim: shape.dim / shape.nHeads,
      ropeTheta: 10000,
      normEps: Math.fround(1e-5),
    },
    path,
  );
}

export function synthVocab(size: number): Vocab {
  if (size < 259) throw new RangeError(`a synthetic vocab needs at least 259 pieces (3 control + 256 bytes), got ${size}`);
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, "0");
  const pieces = ["<unk>", "<s>", "</s>", ...Array.from({ length: 256 }, (_, b) => `<0x${hex(b)}>`)];
  for (let i = pieces.length; i < size; i++) pieces.push(`▁t${i}`);
  const types = Int32Array.from(pieces, (_, i) =>
    i === 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : i < 259 ? TokenType.BYTE : TokenType.NORMAL,
  );
  return { pieces, scores: Float32Array.from(pieces, (_, i) => (i < 259 ? 0 : -i)), types, bosId: 1, eosId: 2, unkId: 0, addBos: true };
}

/** Random weights: uniform in ±1/sqrt(fan-in) for matrices, 1 for norms; tied classifier. */
export function synthModel(shape: SynthShape, seed = 1): LlamaModel {
  const c = synthConfig(shape);
  const random = mulberry32(seed);
  const matrix = (rows: number, cols: number) => {
    const a = new Float32Array(rows * cols);
    const scale = 1 / Math.sqrt(cols);
    for (let i = 0; i < a.length; i++) a[i] = (2 * random() - 1) * scale;
    return a;
  };
  const ones = () => new Float32Array(c.dim).fill(1);
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const layers: LayerWeights[] = Array.from({ length: c.nLayers }, () => ({
    attnNorm: ones(),
    wq: matrix(qDim, c.dim),
    wk: matrix(kvDim, c.dim),
    wv: matrix(kvDim, c.dim),
    wo: matrix(c.dim, qDim),
    ffnNorm: ones(),
    w1: matrix(c.hiddenDim, c.dim),
    w2: matrix(c.dim, c.hiddenDim),
    w3: matrix(c.hiddenDim, c.dim),
  }));
  const tokenEmbedding = matrix(c.vocabSize, c.dim);
  return {
    config: c,
    weights: { tokenEmbedding, layers, outputNorm: ones(), output: tokenEmbedding },
    vocab: synthVocab(c.vocabSize),
    source: { path: "<synthetic>", format: "gguf" },
  };
}
