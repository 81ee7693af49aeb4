/**
 * A Hugging Face `tokenizer.json` (+ the `tokenizer_config.json` beside it) as a {@link Vocab},
 * the way llama.cpp's converter (convert_hf_to_gguf.py) writes it into a GGUF: pieces by id,
 * added tokens as control (special) or user-defined pieces, ids past the last piece padded with
 * `[PAD<i>]` unused pieces up to the model's vocabulary size, the merges, the pre-tokenizer's
 * llama.cpp name, BOS/EOS, add_bos and the chat template.
 *
 * Two kinds are read: byte-level BPE (Llama 3, Qwen2/3, SmolLM2, GPT-2) and SentencePiece-style
 * BPE with byte fallback (Llama 2, TinyLlama). The second has no scores in tokenizer.json; each
 * piece gets minus the rank of the merge that makes it, so merging by best score here is merging
 * by best rank there.
 */
import { z } from "zod";
import { ModelFileError } from "../errors.ts";
import { TokenType, type Vocab } from "./types.ts";

const addedToken = z.object({ id: z.number().int().min(0), content: z.string(), special: z.boolean() });
const tokenizerJson = z.object({
  model: z.object({
    type: z.literal("BPE", { error: "only BPE tokenizer.json models are read" }),
    vocab: z.record(z.string(), z.number().int().min(0)),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
    byte_fallback: z.boolean().nullish(),
  }),
  added_tokens: z.array(addedToken).default([]),
  pre_tokenizer: z.unknown().optional(),
  normalizer: z.unknown().optional(),
});
const tokenText = z.union([z.string(), z.object({ content: z.string() })]).nullish();
const tokenizerConfig = z.object({
  add_bos_token: z.boolean().nullish(),
  add_eos_token: z.boolean().nullish(),
  bos_token: tokenText,
  eos_token: tokenText,
  chat_template: z.union([z.string(), z.array(z.object({ name: z.string(), template: z.string() }))]).nullish(),
});

/** The Split expressions of the pre-tokenizers read here, by the name llama.cpp gives them. */
const SPLIT_PRE: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    "llama-bpe",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    "qwen2",
};

type Json = Record<string, unknown>;
const parts = (p: unknown): Json[] => {
  if (p === null || typeof p !== "object") return [];
  const o = p as Json;
  return o.type === "Sequence" && Array.isArray(o.pretokenizers) ? (o.pretokenizers as Json[]) : [o];
};

/** The llama.cpp pre-tokenizer name of a byte-level pre_tokenizer, or why it is not one. */
function preName(pre: unknown, path: string): string {
  const steps = parts(pre);
  const kinds = steps.map((s) => s.type);
  const split = steps.find((s) => s.type === "Split") as { pattern?: { Regex?: string } } | undefined;
  if (split?.pattern?.Regex !== undefined && kinds.join() === "Split,ByteLevel") {
    const name = SPLIT_PRE[split.pattern.Regex];
    if (name) return name;
  }
  const byteLevel = steps.find((s) => s.type === "ByteLevel");
  if (kinds.join() === "ByteLevel" && byteLevel?.use_regex !== false) return "gpt-2";
  if (kinds.join() === "Digits,ByteLevel" && steps[0]!.individual_digits === true && byteLevel?.use_regex !== false) return "smollm";
  throw new ModelFileError(
    path,
    `the pre-tokenizer (${JSON.stringify(pre).slice(0, 200)}) is not one fastgen-ts reads (llama-bpe, qwen2, smollm, gpt-2)`,
  );
}

/**
 * @param vocabSize the model's vocabulary (embedding rows); pieces past the tokenizer's own are
 *   `[PAD<i>]`, as llama.cpp's converter pads them.
 */
export function vocabFromTokenizerJson(json: unknown, config: unknown, path: string, vocabSize?: number): Vocab {
  const t = tokenizerJson.safeParse(json);
  if (!t.success)
    throw new ModelFileError(
      path,
      `not a tokenizer.json fastgen-ts reads: ${t.error.issues[0]?.path.join(".")}: ${t.error.issues[0]?.message}`,
    );
  const c = tokenizerConfig.safeParse(config ?? {});
  if (!c.success)
    throw new ModelFileError(path, `tokenizer_config.json: ${c.error.issues[0]?.path.join(".")}: ${c.error.issues[0]?.message}`);
  const { model, added_tokens } = t.data;
  const byteLevel = parts(t.data.pre_tokenizer).some((s) => s.type === "ByteLevel");
  if (!byteLevel && model.byte_fallback !== true) {
    throw new ModelFileError(path, "neither byte-level BPE nor SentencePiece-style BPE with byte fallback");
  }
  let n = 0;
  for (const id of Object.values(model.vocab)) n = Math.max(n, id + 1);
  for (const a of added_tokens) n = Math.max(n, a.id + 1);
  const size = vocabSize ?? n;
  if (n > size) throw new ModelFileError(path, `the tokenizer has ${n} pieces, more than the model's ${size}`);
  if (size > 1 << 20) throw new ModelFileError(path, `${size} pieces is not a plausible vocabulary`);
  const pieces: (string | undefined)[] = new Array(size).fill(undefined);
  const types = new Int32Array(size).fill(TokenType.NORMAL);
  for (const [piece, id] of Object.entries(model.vocab)) pieces[id] = piece;
  for (const a of added_tokens) {
    pieces[a.id] = a.content;
    types[a.id] = a.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  }
  for (let i = 0; i < size; i++) {
    if (pieces[i] === undefined) {
      pieces[i] = `[PAD${i}]`;
      types[i] = TokenType.UNUSED;
    }
  }
  const all = pieces as string[];
  const merges = model.merges.map((m) => (typeof m === "string" ? m : `${m[0]} ${m[1]}`));
  if (merges.some((m) => m.split(" ").length !== 2)) throw new ModelFileError(path, `a merge is not two pieces`);
  const idOf = new Map(all.map((p, i) => [p, i]));
  const special = (v: z.infer<typeof tokenText>) => {
    const text = typeof v === "string" ? v : v?.content;
    return text === undefined ? undefined : idOf.get(text);
  };
  const cfg = c.data;
  const template =
    typeof cfg.chat_template === "string" ? cfg.chat_template : cfg.chat_template?.find((x) => x.name === "default")?.template;
  const eosId = special(cfg.eos_token) ?? idOf.get("<|endoftext|>") ?? idOf.get("</s>");
  if (eosId === undefined) throw new ModelFileError(path, "no EOS token (eos_token in tokenizer_config.json)");
  const common = { pieces: all, types, eosId, ...(template ? { chatTemplate: template } : {}) };
  if (!byteLevel) {
    // SentencePiece style: <0xNN> are byte pieces, <unk>/<s>/</s> controls; scores from merge ranks.
    const scores = new Float32Array(size);
    const made = new Map<string, number>();
    merges.forEach((m, rank) => {
      const joined = m.replace(" ", "");
      if (!made.has(joined)) made.set(joined, rank);
    });
    all.forEach((p, i) => {
      if (/^<0x[0-9A-F]{2}>$/.test(p)) types[i] = TokenType.BYTE;
      scores[i] = types[i] === TokenType.NORMAL ? -(made.get(p) ?? 0) : 0;
    });
    const unk = idOf.get("<unk>");
    if (unk !== undefined) types[unk] = TokenType.UNKNOWN;
    return {
      ...common,
      scores,
      bosId: special(cfg.bos_token) ?? 1,
      unkId: unk ?? -1,
      addBos: cfg.add_bos_token ?? true,
      addEos: cfg.add_eos_token ?? false,
    };
  }
  const pre = preName(t.data.pre_tokenizer, path);
  return {
    ...common,
    model: "bpe",
    merges,
    pre,
    scores: new Float32Array(size),
    bosId: special(cfg.bos_token) ?? idOf.get("<|endoftext|>") ?? eosId,
    unkId: -1,
    addBos: cfg.add_bos_token ?? pre === "llama-bpe",
    addEos: cfg.add_eos_token ?? false,
  };
}
