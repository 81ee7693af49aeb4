/**
 * Pre-tokenizers of byte-level BPE vocabularies: the text is cut into words by a sequence of
 * regular expressions before BPE runs inside each word (GGUF `tokenizer.ggml.pre` names the
 * sequence). Each expression splits every piece so far into its matches and the text between
 * them, both kept, in order — llama.cpp's `unicode_regex_split` and Hugging Face's `Split`
 * pre-tokenizer with `Isolated` behaviour.
 *
 * The expressions are the ones in the models' `tokenizer.json` files, with two rewrites so that
 * JavaScript's engine reads them as llama.cpp does: `(?i:'s|...)` becomes explicit `'[sS]|...`
 * (as llama.cpp writes it), and `\s` is Unicode's White_Space set (`\p{White_Space}`, llama.cpp's
 * whitespace table; JavaScript's own `\s` adds U+FEFF and drops U+0085).
 */

const S = String.raw`\p{White_Space}`;
const NOT_S = String.raw`\P{White_Space}`;
const CONTRACTIONS_CI = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

/** GPT-2: contractions, letters, numbers, other symbols (each with an optional leading space), whitespace. */
const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^${S}\p{L}\p{N}]+|${S}+(?!${NOT_S})|${S}+`;

/** Llama 3 (tiktoken cl100k-like): one leading non-letter joins a word, numbers in groups of up to 3, newlines apart. */
const llama3Like = (digits: string) =>
  String.raw`${CONTRACTIONS_CI}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}${digits}| ?[^${S}\p{L}\p{N}]+[\r\n]*|${S}*[\r\n]+|${S}+(?!${NOT_S})|${S}+`;

export interface PreTokenizer {
  /** Applied in order; each splits every piece so far. */
  readonly expressions: readonly RegExp[];
  /**
   * A word that is itself a vocabulary piece becomes that token without merging (Hugging Face's
   * `ignore_merges`, set by Llama 3's tokenizer.json; llama.cpp sets it for the llama-bpe family).
   */
  readonly ignoreMerges: boolean;
}

const re = (source: string) => new RegExp(source, "gu");
const LLAMA3: PreTokenizer = { expressions: [re(llama3Like("{1,3}"))], ignoreMerges: true };
const QWEN2: PreTokenizer = { expressions: [re(llama3Like(""))], ignoreMerges: false };
/** SmolLM2 (and StarCoder): every digit alone, then GPT-2's expression. */
const SMOLLM: PreTokenizer = { expressions: [re(String.raw`\p{N}`), re(GPT2)], ignoreMerges: false };
const GPT2_PRE: PreTokenizer = { expressions: [re(GPT2)], ignoreMerges: false };
/** llama.cpp's fallback for `default` (and files without `tokenizer.ggml.pre`). */
const DEFAULT: PreTokenizer = {
  expressions: [re(String.raw`[\p{P}\$\+<=>\^~\|]+`), re(GPT2), re(String.raw`\p{N}+`), re("[0-9][0-9][0-9]")],
  ignoreMerges: false,
};

/** By `tokenizer.ggml.pre` name (the names llama.cpp gives these families). */
export const PRE_TOKENIZERS: Readonly<Record<string, PreTokenizer>> = {
  default: DEFAULT,
  "gpt-2": GPT2_PRE,
  "llama-bpe": LLAMA3,
  llama3: LLAMA3,
  "llama-v3": LLAMA3,
  smollm: SMOLLM,
  starcoder: SMOLLM,
  qwen2: QWEN2,
  "deepseek-r1-qwen": QWEN2,
};

/** The words of a text, in order; their concatenation is the text. */
export function pretokenize(text: string, pre: PreTokenizer): string[] {
  let pieces = [text];
  for (const expression of pre.expressions) {
    const next: string[] = [];
    for (const piece of pieces) {
      let at = 0;
      for (const m of piece.matchAll(expression)) {
        if (m[0].length === 0) continue;
        if (m.index > at) next.push(piece.slice(at, m.index));
        next.push(m[0]);
        at = m.index + m[0].length;
      }
      if (at < piece.length) next.push(piece.slice(at));
    }
    pieces = next;
  }
  return pieces;
}
