/**
 * A GGUF file's tokenizer metadata as a {@link Vocab}: `tokenizer.ggml.model` `llama`
 * (SentencePiece: pieces with scores) or `gpt2` (byte-level BPE: pieces and ranked merges, the
 * pre-tokenizer in `tokenizer.ggml.pre`). Special ids, add_bos/add_eos and the chat template as
 * llama.cpp reads them (llama-vocab.cpp).
 */
import { ModelFileError, quoted } from "../errors.ts";
import type { GgufFile } from "./gguf.ts";
import { TokenType, type Vocab } from "./types.ts";

/** Pre-tokenizers the BPE tokenizer implements (src/tokenizer/pretokenize.ts). */
export const BPE_PRE_TOKENIZERS = [
  "default",
  "gpt-2",
  "llama-bpe",
  "llama3",
  "llama-v3",
  "smollm",
  "starcoder",
  "qwen2",
  "deepseek-r1-qwen",
] as const;

/** Pre-tokenizers whose vocabularies add BOS unless the file says otherwise (llama.cpp's LLAMA3 pre type). */
const BOS_BY_DEFAULT = ["llama-bpe", "llama3", "llama-v3"];

/**
 * Pieces that end generation in llama.cpp whatever the file's types say (its end-of-generation
 * guesses by name, llama-vocab.cpp, for the families read here), and fill-in-the-middle pieces it
 * treats as control tokens, the pad/repository/file-separator ones also ending generation. Each
 * becomes a control piece: written in a prompt, it stays text unless special tokens are parsed.
 */
const END_OF_GENERATION = [
  "<|eot_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "</s>",
  "<|eom_id|>",
  "<EOT>",
  "<|end_of_text|>",
  "<eos>",
];
const FIM_STOPS = ["<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<fim_pad>", "<reponame>", "<fim-pad>", "<fim-repo>"];
const FIM_OTHERS = [
  "<|fim_prefix|>",
  "<|fim_suffix|>",
  "<|fim_middle|>",
  "<fim_prefix>",
  "<fim_suffix>",
  "<fim_middle>",
  "<fim-prefix>",
  "<fim-suffix>",
  "<fim-middle>",
];
const CONTROL_BY_NAME = new Set([...END_OF_GENERATION, ...FIM_STOPS, ...FIM_OTHERS]);
const STOP_BY_NAME = new Set([...END_OF_GENERATION, ...FIM_STOPS]);

export function ggufVocab(file: GgufFile): Vocab | undefined {
  const pieces = file.metadata.get("tokenizer.ggml.tokens");
  if (pieces === undefined) return undefined;
  const model = file.metadata.get("tokenizer.ggml.model");
  if (model !== "llama" && model !== "gpt2") {
    throw new ModelFileError(
      file.path,
      `tokenizer model ${quoted(String(model))} is not supported (only "llama", SentencePiece, and "gpt2", byte-level BPE)`,
    );
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
    const v = file.metadata.get(key) ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < -1 || v >= n || (v === -1 && fallback !== -1)) {
      throw new ModelFileError(file.path, `${key} = ${String(v)} is not a token id (vocab has ${n})`);
    }
    return v;
  };
  const flag = (key: string, fallback: boolean) => {
    const v = file.metadata.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") throw new ModelFileError(file.path, `metadata ${quoted(key)} should be a bool`);
    return v;
  };
  const template = file.metadata.get("tokenizer.chat_template");
  if (template !== undefined && typeof template !== "string")
    throw new ModelFileError(file.path, `tokenizer.chat_template must be a string`);
  const types = rawTypes ? Int32Array.from(rawTypes) : new Int32Array(n).fill(TokenType.NORMAL);
  (pieces as string[]).forEach((p, i) => {
    if (CONTROL_BY_NAME.has(p)) types[i] = TokenType.CONTROL;
  });
  const common = {
    pieces: pieces as string[],
    scores: rawScores ?? new Float32Array(n),
    types,
    ...(template !== undefined ? { chatTemplate: template } : {}),
  };
  if (model === "llama") {
    const eosId = id("tokenizer.ggml.eos_token_id", 2);
    return {
      ...common,
      bosId: id("tokenizer.ggml.bos_token_id", 1),
      eosId,
      unkId: id("tokenizer.ggml.unknown_token_id", 0),
      addBos: flag("tokenizer.ggml.add_bos_token", true),
      ...optionalStops(file, pieces as string[], eosId),
    };
  }
  const merges = file.metadata.get("tokenizer.ggml.merges");
  if (!Array.isArray(merges) || merges.some((m) => typeof m !== "string" || m.split(" ").length !== 2)) {
    throw new ModelFileError(file.path, `a gpt2 tokenizer needs tokenizer.ggml.merges, an array of "left right" strings`);
  }
  const pre = file.metadata.get("tokenizer.ggml.pre") ?? "default";
  if (typeof pre !== "string" || !(BPE_PRE_TOKENIZERS as readonly string[]).includes(pre)) {
    throw new ModelFileError(
      file.path,
      `pre-tokenizer ${quoted(String(pre))} is not supported (supported: ${BPE_PRE_TOKENIZERS.join(", ")})`,
    );
  }
  // llama.cpp's defaults for BPE vocabularies: BOS/EOS 11 (GPT-2's <|endoftext|> is 50256, but
  // every family read here states its ids); BOS added only for the Llama 3 pre-tokenizers unless
  // the file says otherwise.
  const eosId = id("tokenizer.ggml.eos_token_id", 11);
  return {
    ...common,
    model: "bpe",
    merges: merges as string[],
    pre,
    bosId: id("tokenizer.ggml.bos_token_id", 11),
    eosId,
    unkId: id("tokenizer.ggml.unknown_token_id", -1),
    addBos: flag("tokenizer.ggml.add_bos_token", BOS_BY_DEFAULT.includes(pre)),
    addEos: flag("tokenizer.ggml.add_eos_token", false),
    stopIds: stopIds(pieces as string[], eosId, file),
  };
}

/** add_eos and the stop ids, stated only where they differ from the defaults (no EOS added, EOS alone stops). */
function optionalStops(file: GgufFile, pieces: readonly string[], eosId: number): Pick<Vocab, "addEos" | "stopIds"> {
  const stops = stopIds(pieces, eosId, file);
  return {
    ...(file.metadata.get("tokenizer.ggml.add_eos_token") === true ? { addEos: true } : {}),
    ...(stops.length > 1 ? { stopIds: stops } : {}),
  };
}

/** EOS, the file's end-of-turn id, and the pieces llama.cpp ends generation at by name. */
function stopIds(pieces: readonly string[], eosId: number, file: GgufFile): number[] {
  const ids = new Set([eosId]);
  const eot = file.metadata.get("tokenizer.ggml.eot_token_id");
  if (typeof eot === "number" && Number.isInteger(eot) && eot >= 0 && eot < pieces.length) ids.add(eot);
  pieces.forEach((p, i) => {
    if (STOP_BY_NAME.has(p)) ids.add(i);
  });
  return [...ids];
}
