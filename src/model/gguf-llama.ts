/**
 * Turns a parsed GGUF file into a {@link LlamaModel}: hyperparameters from metadata, tensors checked
 * against them. Architectures as llama.cpp reads them (llama-arch.cpp, llama-model.cpp):
 * - `llama` (Llama 2/3.x, SmolLM2, TinyLlama): RoPE on adjacent pairs, optional Llama 3.1+
 *   frequency factors (`rope_freqs.weight`), tied classifier when `output.weight` is absent;
 * - `qwen2`: NEOX RoPE and biases on the Q/K/V projections;
 * - `qwen3`: NEOX RoPE and an RMSNorm on every query and key head (`attn_q_norm`, `attn_k_norm`).
 * Matrices stay in the file's encoding (`packed`); `weights` dequantizes each on first read.
 */
import { dequantize } from "../../reference/quants.ts";
import { ModelFileError, quoted } from "../errors.ts";
import { validateConfig } from "./config.ts";
import { type GgufFile, type GgufTensorInfo, type GgufValue, packedTensor, readTensor, tensorBytes } from "./gguf.ts";
import { knownTrainedContext } from "./known-models.ts";
import { ggufVocab } from "./gguf-vocab.ts";
import type { LayerWeights, LlamaConfig, LlamaModel, LlamaWeights, PackedLayer, PackedMatrix, RopeStyle } from "./types.ts";

/** The architectures read here, and how each differs from plain Llama. */
export const ARCHITECTURES = {
  llama: { ropeStyle: "adjacent", qkvBias: false, qkNorm: false },
  qwen2: { ropeStyle: "neox", qkvBias: true, qkNorm: false },
  qwen3: { ropeStyle: "neox", qkvBias: false, qkNorm: true },
} as const satisfies Record<string, { ropeStyle: RopeStyle; qkvBias: boolean; qkNorm: boolean }>;
export type Architecture = keyof typeof ARCHITECTURES;

export function architectureOf(file: GgufFile): Architecture {
  const arch = file.metadata.get("general.architecture");
  if (typeof arch !== "string" || !(arch in ARCHITECTURES)) {
    throw new ModelFileError(
      file.path,
      `architecture ${quoted(String(arch))} is not supported (supported: ${Object.keys(ARCHITECTURES).join(", ")})`,
    );
  }
  return arch as Architecture;
}

function num(file: GgufFile, key: string, fallback?: number): number {
  const v = file.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ModelFileError(file.path, `missing metadata ${quoted(key)}`);
  }
  if (typeof v !== "number") throw new ModelFileError(file.path, `metadata ${quoted(key)} should be a number, got ${describe(v)}`);
  return v;
}

function describe(v: GgufValue): string {
  if (typeof v === "string") return `the string ${quoted(v, 40)}`;
  if (typeof v === "boolean") return `the bool ${v}`;
  if (typeof v === "number") return `the number ${v}`;
  return `an array of ${v.length}`;
}

/** The info of tensor `name`, checked to have `shape` (ggml order: the input dimension first). */
function info(file: GgufFile, name: string, shape: readonly number[]): GgufTensorInfo {
  const t = file.tensors.get(name);
  if (!t) throw new ModelFileError(file.path, `missing tensor ${quoted(name)}`);
  const dims = [...t.dims];
  while (dims.length > shape.length && dims[dims.length - 1] === 1) dims.pop();
  if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
    throw new ModelFileError(file.path, `tensor ${quoted(name)} has shape [${t.dims.join(", ")}], metadata implies [${shape.join(", ")}]`);
  }
  return t;
}

/** A vector (norm weight, bias, frequency factors) as float32. */
function vector(file: GgufFile, name: string, length: number): Float32Array {
  return readTensor(file, info(file, name, [length]));
}

/**
 * A `[rows][cols]` matrix in the file's encoding, its bytes checked now (type, size, finite
 * scales). From memory they are a view; from a file on disk they are read again at each use
 * (`bytes` is a getter), so a backend that copies them (wasm) holds them once, not twice.
 */
function matrix(file: GgufFile, name: string, cols: number, rows: number): PackedMatrix {
  const t = info(file, name, [cols, rows]);
  const { type, bytes } = packedTensor(file, t);
  if (file.source.resident) return { type, rows, cols, bytes };
  return {
    type,
    rows,
    cols,
    get bytes() {
      return tensorBytes(file, t);
    },
  };
}

export function configFromGguf(file: GgufFile): LlamaConfig {
  const arch = architectureOf(file);
  const key = (k: string) => `${arch}.${k}`;
  const embd = file.tensors.get("token_embd.weight");
  if (!embd) throw new ModelFileError(file.path, `missing tensor "token_embd.weight"`);
  const dim = num(file, key("embedding_length"));
  const nHeads = num(file, key("attention.head_count"));
  if (!file.metadata.has(key("attention.key_length")) && dim > 0 && nHeads > 0 && dim % nHeads !== 0) {
    throw new ModelFileError(
      file.path,
      `invalid model hyperparameters (embedding_length ${dim} is not a multiple of head_count ${nHeads})`,
    );
  }
  const tokens = file.metadata.get("tokenizer.ggml.tokens");
  const vocabSize = num(file, key("vocab_size"), Array.isArray(tokens) ? tokens.length : (embd.dims[1] ?? 0));
  const contextLength = num(file, key("context_length"));
  const headDim = num(file, key("attention.key_length"), nHeads > 0 ? dim / nHeads : 0);
  const valueDim = num(file, key("attention.value_length"), headDim);
  if (valueDim !== headDim) {
    throw new ModelFileError(file.path, `value heads of ${valueDim} dimensions differ from key heads of ${headDim}, not supported`);
  }
  const raw = {
    dim,
    hiddenDim: num(file, key("feed_forward_length")),
    nLayers: num(file, key("block_count")),
    nHeads,
    nKvHeads: num(file, key("attention.head_count_kv"), nHeads),
    vocabSize,
    contextLength,
    headDim,
    ropeTheta: num(file, key("rope.freq_base"), 10000),
    normEps: num(file, key("attention.layer_norm_rms_epsilon"), Math.fround(1e-5)),
    // Only NEOX is stated: a config without ropeStyle is adjacent (llama2.c's and GGUF llama's).
    ...(ARCHITECTURES[arch].ropeStyle === "neox" ? { ropeStyle: "neox" as const } : {}),
  };
  const rotated = file.metadata.get(key("rope.dimension_count"));
  if (typeof rotated === "number" && rotated !== raw.headDim) {
    throw new ModelFileError(file.path, `partial RoPE (rope.dimension_count ${rotated} < head size ${raw.headDim}) is not supported`);
  }
  const scaling = file.metadata.get(key("rope.scaling.type"));
  const factor = file.metadata.get(key("rope.scaling.factor"));
  if (scaling !== undefined && scaling !== "none" && !(typeof factor === "number" && factor === 1)) {
    throw new ModelFileError(file.path, `RoPE scaling ${quoted(String(scaling))} is not supported (files with rope_freqs.weight are)`);
  }
  return validateConfig({ ...raw, trainedContextLength: knownTrainedContext(raw) ?? contextLength }, file.path, false);
}

/**
 * Defines `keys` of `target` as float32 matrices dequantized from `packed` on first read (then
 * kept): the reference and gpu.js backends read them; the wasm backend reads `packed` only.
 */
function lazyMatrices<K extends string>(
  target: object,
  packed: Readonly<Record<K, PackedMatrix>>,
  cache: Map<PackedMatrix, Float32Array>,
): void {
  for (const k of Object.keys(packed) as K[]) {
    const m = packed[k];
    Object.defineProperty(target, k, {
      enumerable: true,
      configurable: true,
      get: () => {
        let a = cache.get(m);
        if (!a) {
          a = dequantize(m.type, m.bytes, m.rows * m.cols);
          cache.set(m, a); // a tied classifier gets the embedding's array
        }
        // From now on a plain property (test/model/families.test.ts checks the wasm backend never gets here).
        Object.defineProperty(target, k, { value: a, enumerable: true, configurable: false, writable: false });
        return a;
      },
    });
  }
}

export function llamaFromGguf(file: GgufFile): LlamaModel {
  const c = configFromGguf(file);
  const arch = ARCHITECTURES[architectureOf(file)];
  const vocab = ggufVocab(file);
  if (vocab && vocab.pieces.length !== c.vocabSize) {
    throw new ModelFileError(file.path, `tokenizer has ${vocab.pieces.length} tokens but the model's vocab size is ${c.vocabSize}`);
  }
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const cache = new Map<PackedMatrix, Float32Array>();
  const packedLayers: PackedLayer[] = [];
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `blk.${l}.`;
    const packed: PackedLayer = {
      wq: matrix(file, `${p}attn_q.weight`, c.dim, qDim),
      wk: matrix(file, `${p}attn_k.weight`, c.dim, kvDim),
      wv: matrix(file, `${p}attn_v.weight`, c.dim, kvDim),
      wo: matrix(file, `${p}attn_output.weight`, qDim, c.dim),
      w1: matrix(file, `${p}ffn_gate.weight`, c.dim, c.hiddenDim),
      w2: matrix(file, `${p}ffn_down.weight`, c.hiddenDim, c.dim),
      w3: matrix(file, `${p}ffn_up.weight`, c.dim, c.hiddenDim),
    };
    const layer = {
      attnNorm: vector(file, `${p}attn_norm.weight`, c.dim),
      ffnNorm: vector(file, `${p}ffn_norm.weight`, c.dim),
      ...(arch.qkvBias
        ? {
            bq: vector(file, `${p}attn_q.bias`, qDim),
            bk: vector(file, `${p}attn_k.bias`, kvDim),
            bv: vector(file, `${p}attn_v.bias`, kvDim),
          }
        : {}),
      ...(arch.qkNorm
        ? { qNorm: vector(file, `${p}attn_q_norm.weight`, c.headDim), kNorm: vector(file, `${p}attn_k_norm.weight`, c.headDim) }
        : {}),
    };
    lazyMatrices(layer, packed, cache);
    packedLayers.push(packed);
    layers.push(layer as LayerWeights);
  }
  const tokenEmbedding = matrix(file, "token_embd.weight", c.dim, c.vocabSize);
  const output = file.tensors.has("output.weight") ? matrix(file, "output.weight", c.dim, c.vocabSize) : tokenEmbedding;
  const ropeFreqs = file.tensors.has("rope_freqs.weight") ? vector(file, "rope_freqs.weight", c.headDim / 2) : undefined;
  if (ropeFreqs?.some((x) => !(x > 0)))
    throw new ModelFileError(file.path, `tensor "rope_freqs.weight" holds a factor that is not positive`);
  const weights = { outputNorm: vector(file, "output_norm.weight", c.dim), layers, ...(ropeFreqs ? { ropeFreqs } : {}) };
  lazyMatrices(weights, { tokenEmbedding, output }, cache);
  return {
    config: c,
    weights: weights as unknown as LlamaWeights,
    ...(vocab ? { vocab } : {}),
    source: { path: file.path, format: "gguf" },
    packed: { tokenEmbedding, output, layers: packedLayers },
  };
}
