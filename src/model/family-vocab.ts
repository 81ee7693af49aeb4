/**
 * Synthetic vocabularies of each family's kind (`synth --like` without `--tokenizer-json`):
 * byte-level BPE with the family's pre-tokenizer, special pieces and chat template for SmolLM2,
 * Llama 3 and Qwen; SentencePiece for TinyLlama. The pieces are made, not learned: the base
 * characters (BPE: the 256 byte characters; SentencePiece: `<unk>`, `<s>`, `</s>`, the 256
 * `<0xNN>` bytes and printable ASCII with `▁` for space), a few whitespace runs, then every piece
 * so far extended by one lowercase letter, breadth first (`Ġt`, `Ġth`, `Ġthe`, ...), each with the
 * merge that makes it (SentencePiece: a score that falls with each one), until the vocabulary is
 * full. Real vocabularies come from `--tokenizer-json` (src/model/hf-tokenizer.ts).
 *
 * The chat templates are short Jinja templates written here in each family's turn format
 * (ChatML for SmolLM2 and Qwen, header blocks for Llama 3, Zephyr's for TinyLlama).
 */
import { BYTE_TO_CHAR } from "./byte-level.ts";
import { TokenType, type Vocab } from "./types.ts";

export interface FamilyTokenizer {
  readonly kind: "bpe" | "spm";
  /** llama.cpp's pre-tokenizer name (BPE). */
  readonly pre?: string;
  /** Control pieces, in id order; `at` says whether they open the vocabulary or close it. */
  readonly specials?: readonly string[];
  readonly at?: "start" | "end";
  /** User-defined pieces after the specials (always split out of text, like Qwen3's `<think>`). */
  readonly userDefined?: readonly string[];
  readonly bos?: string;
  readonly eos?: string;
  readonly addBos?: boolean;
  readonly chatTemplate: string;
}

const CHATML =
  "{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";
const LLAMA3 =
  "{{- bos_token }}{%- for m in messages %}" +
  "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + (m['content'] | trim) + '<|eot_id|>' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";
const ZEPHYR =
  "{%- for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|assistant|>\\n' }}{%- endif %}";

export const FAMILY_TOKENIZERS = {
  smollm2: {
    kind: "bpe",
    pre: "smollm",
    specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>", "<filename>"],
    at: "start",
    bos: "<|im_start|>",
    eos: "<|im_end|>",
    addBos: false,
    chatTemplate: CHATML,
  },
  llama3: {
    kind: "bpe",
    pre: "llama-bpe",
    specials: ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>"],
    at: "end",
    bos: "<|begin_of_text|>",
    eos: "<|eot_id|>",
    addBos: true,
    chatTemplate: LLAMA3,
  },
  qwen: {
    kind: "bpe",
    pre: "qwen2",
    specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    at: "end",
    userDefined: ["<think>", "</think>"],
    bos: "<|endoftext|>",
    eos: "<|im_end|>",
    addBos: false,
    chatTemplate: CHATML,
  },
  tinyllama: { kind: "spm", chatTemplate: ZEPHYR },
} as const satisfies Record<string, FamilyTokenizer>;

/** A vocabulary of `size` pieces of the given kind (see the file comment). */
const LETTERS = Array.from("etaoinshrdlucmfwypvbgkqjxz");

/** `base` followed by `n` merged pieces (see the file comment), with the merges as "left right". */
function grow(base: readonly string[], space: string, newline: string, n: number): { pieces: string[]; merges: string[] } {
  const pieces = [...base];
  const merges: string[] = [];
  const have = new Set(pieces);
  const add = (left: string, right: string) => {
    if (merges.length >= n || have.has(left + right)) return;
    merges.push(`${left} ${right}`);
    pieces.push(left + right);
    have.add(left + right);
  };
  add(space, space);
  add(space + space, space + space);
  add(newline, newline);
  let frontier = [space, ...LETTERS];
  while (merges.length < n && frontier.length > 0) {
    const next: string[] = [];
    for (const piece of frontier) {
      for (const letter of LETTERS) {
        add(piece, letter);
        next.push(piece + letter);
      }
      if (merges.length >= n) break;
    }
    frontier = next;
  }
  return { pieces, merges };
}

function spmVocab(size: number, chatTemplate: string): Vocab {
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, "0");
  const controls = ["<unk>", "<s>", "</s>"];
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${hex(b)}>`);
  const chars = Array.from({ length: 95 }, (_, i) => (i === 0 ? "▁" : String.fromCharCode(32 + i)));
  const base = [...controls, ...bytes, ...chars];
  if (size < base.length) throw new RangeError(`a synthetic SentencePiece vocabulary needs at least ${base.length} pieces, got ${size}`);
  const { pieces } = grow(base, "▁", "\n", size - base.length);
  const types = Int32Array.from(pieces, (_, i) =>
    i === 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : i < 259 ? TokenType.BYTE : TokenType.NORMAL,
  );
  // Scores fall with each piece, so the earlier merges win (SentencePiece BPE's order).
  const scores = Float32Array.from(pieces, (_, i) => (i < 259 ? 0 : -(i - 259)));
  return { pieces, scores, types, bosId: 1, eosId: 2, unkId: 0, addBos: true, chatTemplate };
}

/** A vocabulary of `size` pieces of the given kind (see the file comment). */
export function familyVocab(t: FamilyTokenizer, size: number): Vocab {
  if (t.kind === "spm") return spmVocab(size, t.chatTemplate);
  const specials = [...(t.specials ?? []), ...(t.userDefined ?? [])];
  const nMade = size - 256 - specials.length;
  if (nMade < 0) throw new RangeError(`a synthetic ${t.pre} vocabulary needs at least ${256 + specials.length} pieces, got ${size}`);
  const { pieces: made, merges } = grow(BYTE_TO_CHAR, BYTE_TO_CHAR[0x20]!, BYTE_TO_CHAR[0x0a]!, nMade);
  const pieces = t.at === "start" ? [...specials, ...made] : [...made, ...specials];
  const first = t.at === "start" ? 0 : made.length;
  const types = Int32Array.from(pieces, (_, i) => {
    const s = i - first;
    if (s < 0 || s >= specials.length) return TokenType.NORMAL;
    return s < (t.specials?.length ?? 0) ? TokenType.CONTROL : TokenType.USER_DEFINED;
  });
  const id = (p: string | undefined) => (p === undefined ? 0 : pieces.indexOf(p));
  return {
    model: "bpe",
    pre: t.pre!,
    pieces,
    merges,
    scores: new Float32Array(pieces.length),
    types,
    bosId: id(t.bos),
    eosId: id(t.eos),
    unkId: -1,
    addBos: t.addBos ?? false,
    chatTemplate: t.chatTemplate,
  };
}
