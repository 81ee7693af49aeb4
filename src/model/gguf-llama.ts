/** Turns a parsed GGUF file into a {@link LlamaModel}: hyperparameters from metadata, tensors checked against them. */
import { ModelFileError, quoted } from "../errors.ts";
import { validateConfig } from "./config.ts";
import { type GgufFile, type GgufValue, readTensor } from "./gguf.ts";
import { knownTrainedContext } from "./known-models.ts";
import { rawEncodings } from "./raw-weights.ts";
import { TokenType, type LayerWeights, type LlamaConfig, type LlamaModel, type Vocab } from "./types.ts";

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

function tensor(file: GgufFile, name: string, shape: readonly number[]): Float32Array {
  const info = file.tensors.get(name);
  if (!info) throw new ModelFileError(file.path, `missing tensor ${quoted(name)}`);
  const dims = [...info.dims];
  while (dims.length > shape.length && dims[dims.length - 1] === 1) dims.pop();
  if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
    throw new ModelFileError(
      file.path,
      `tensor ${quoted(name)} has shape [${info.dims.join(", ")}], metadata implies [${shape.join(", ")}]`,
    );
  }
  return readTensor(file, info);
}

export function configFromGguf(file: GgufFile): LlamaConfig {
  const arch = file.metadata.get("general.architecture");
  if (arch !== "llama") {
    throw new ModelFileError(file.path, `architecture ${quoted(String(arch))} is not supported (only "llama")`);
  }
  const embd = file.tensors.get("token_embd.weight");
  if (!embd) throw new ModelFileError(file.path, `missing tensor "token_embd.weight"`);
  const dim = num(file, "llama.embedding_length");
  const nHeads = num(file, "llama.attention.head_count");
  if (!file.metadata.has("llama.attention.key_length") && dim > 0 && nHeads > 0 && dim % nHeads !== 0) {
    throw new ModelFileError(
      file.path,
      `invalid model hyperparameters (embedding_length ${dim} is not a multiple of head_count ${nHeads})`,
    );
  }
  const tokens = file.metadata.get("tokenizer.ggml.tokens");
  const vocabSize = num(file, "llama.vocab_size", Array.isArray(tokens) ? tokens.length : (embd.dims[1] ?? 0));
  const contextLength = num(file, "llama.context_length");
  const raw = {
    dim,
    hiddenDim: num(file, "llama.feed_forward_length"),
    nLayers: num(file, "llama.block_count"),
    nHeads,
    nKvHeads: num(file, "llama.attention.head_count_kv", nHeads),
    vocabSize,
    contextLength,
    headDim: num(file, "llama.attention.key_length", nHeads > 0 ? dim / nHeads : 0),
    ropeTheta: num(file, "llama.rope.freq_base", 10000),
    normEps: num(file, "llama.attention.layer_norm_rms_epsilon", Math.fround(1e-5)),
  };
  const rotated = file.metadata.get("llama.rope.dimension_count");
  if (typeof rotated === "number" && rotated !== raw.headDim) {
    throw new ModelFileError(file.path, `partial RoPE (rope.dimension_count ${rotated} < head size ${raw.headDim}) is not supported`);
  }
  return validateConfig({ ...raw, trainedContextLength: knownTrainedContext(raw) ?? contextLength }, file.path);
}

export function vocabFromGguf(file: GgufFile): Vocab | undefined {
  const pieces = file.metadata.get("tokenizer.ggml.tokens");
  if (pieces === undefined) return undefined;
  const model = file.metadata.get("tokenizer.ggml.model");
  if (model !== "llama") {
    throw new ModelFileError(file.path, `tokenizer model ${quoted(String(model))} is not supported (only the SentencePiece-style "llama")`);
  }
  if (!Array.isArray(pieces) || pieces.some((p) => typeof p !== "string")) {
    throw new ModelFileError(file.path, `tokenizer.ggml.tokens must be an array of strings`);
  }
  const n = pieces.length;
  const rawScores = file.metadata.get("tokenizer.ggml.scores");
  const rawTypes = file.metadata.get("tokenizer.ggml.token_type");
  if (rawScores !== undefined && !(rawScores instanceof Float32Array && rawScores.length === n)) {
    throw new ModelFileError(file.path, `tokenizer.ggml.scores must be ${n} float32 values`);
  }
  if (rawTypes !== undefined && !(rawTypes instanceof Int32Array && rawTypes.length === n)) {
    throw new ModelFileError(file.path, `tokenizer.ggml.token_type must be ${n} int32 values`);
  }
  const id = (key: string, fallback: number) => {
    const v = num(file, key, fallback);
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new ModelFileError(file.path, `${key} = ${v} is not a token id (vocab has ${n})`);
    return v;
  };
  const addBos = file.metadata.get("tokenizer.ggml.add_bos_token");
  return {
    pieces: pieces as string[],
    scores: rawScores ?? new Float32Array(n),
    types: rawTypes ?? new Int32Array(n).fill(TokenType.NORMAL),
    bosId: id("tokenizer.ggml.bos_token_id", 1),
    eosId: id("tokenizer.ggml.eos_token_id", 2),
    unkId: id("tokenizer.ggml.unknown_token_id", 0),
    addBos: typeof addBos === "boolean" ? addBos : true,
  };
}

export function llamaFromGguf(file: GgufFile): LlamaModel {
  const c = configFromGguf(file);
  const vocab = vocabFromGguf(file);
  if (vocab && vocab.pieces.length !== c.vocabSize) {
    throw new ModelFileError(file.path, `tokenizer has ${vocab.pieces.length} tokens but the model's vocab size is ${c.vocabSize}`);
  }
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `blk.${l}.`;
    layers.push({
      attnNorm: tensor(file, `${p}attn_norm.weight`, [c.dim]),
      wq: tensor(file, `${p}attn_q.weight`, [c.dim, qDim]),
      wk: tensor(file, `${p}attn_k.weight`, [c.dim, kvDim]),
      wv: tensor(file, `${p}attn_v.weight`, [c.dim, kvDim]),
      wo: tensor(file, `${p}attn_output.weight`, [qDim, c.dim]),
      ffnNorm: tensor(file, `${p}ffn_norm.weight`, [c.dim]),
      w1: tensor(file, `${p}ffn_gate.weight`, [c.dim, c.hiddenDim]),
      w2: tensor(file, `${p}ffn_down.weight`, [c.hiddenDim, c.dim]),
      w3: tensor(file, `${p}ffn_up.weight`, [c.dim, c.hiddenDim]),
    });
  }
  const tokenEmbedding = tensor(file, "token_embd.weight", [c.dim, c.vocabSize]);
  const output = file.tensors.has("output.weight") ? tensor(file, "output.weight", [c.dim, c.vocabSize]) : tokenEmbedding;
  const weights = { tokenEmbedding, layers, outputNorm: tensor(file, "output_norm.weight", [c.dim]), output };
  return {
    config: c,
    weights,
    ...(vocab ? { vocab } : {}),
    source: { path: file.path, format: "gguf" },
    raw: rawEncodings(file, weights),
  };
}
