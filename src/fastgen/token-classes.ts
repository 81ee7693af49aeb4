/**
 * Which vocabulary entries are "special" and which are "punctuation" (spec §2, §12.9, §12.10).
 * Computed once per tokenizer; users can add special ids/strings or replace the punctuation set.
 */
import { InputError } from "../errors.ts";
import { byteLevelDecode } from "../model/byte-level.ts";
import { TokenType, type Vocab } from "../model/types.ts";

export interface TokenClasses {
  /** `special[id]` is 1 for special tokens. */
  readonly special: Uint8Array;
  /** `punct[id]` is 1 for punctuation tokens. */
  readonly punct: Uint8Array;
}

export interface TokenClassOptions {
  /** Extra special tokens, by id or by piece string. */
  extraSpecial?: readonly (number | string)[];
  /** Replaces the computed punctuation set, by id or by piece string. */
  punctuation?: readonly (number | string)[];
}

const PUNCT_CHAR = /^\p{P}$/u;
const utf8 = new TextDecoder("utf-8");
const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;

/**
 * Spec §12.10: remove every `▁`; the rest must be non-empty, not all whitespace, and every
 * non-whitespace character must be Unicode punctuation (P*). Byte pieces never count.
 */
export function isPunctuationPiece(piece: string, byteLevel = false): boolean {
  if (BYTE_PIECE.test(piece)) return false;
  // Byte-level BPE: the piece's text (spec §12.10, last paragraph).
  const rest = byteLevel ? utf8.decode(byteLevelDecode(piece)) : piece.replaceAll("▁", "");
  if (rest.trim().length === 0) return false;
  for (const ch of rest) {
    if (/\s/u.test(ch)) continue;
    if (!PUNCT_CHAR.test(ch)) return false;
  }
  return true;
}

function resolveIds(vocab: Vocab, items: readonly (number | string)[], what: string): number[] {
  return items.map((item) => {
    if (typeof item === "number") {
      if (!Number.isInteger(item) || item < 0 || item >= vocab.pieces.length) {
        throw new InputError(`${what}: token id ${item} is outside the vocabulary (0..${vocab.pieces.length - 1})`);
      }
      return item;
    }
    const id = vocab.pieces.indexOf(item);
    if (id < 0) throw new InputError(`${what}: "${item}" is not a piece of the vocabulary`);
    return id;
  });
}

export function computeTokenClasses(vocab: Vocab, options: TokenClassOptions = {}): TokenClasses {
  const n = vocab.pieces.length;
  const special = new Uint8Array(n);
  const punct = new Uint8Array(n);
  for (let id = 0; id < n; id++) {
    // Spec §12.9: CONTROL only (<unk> is not special).
    if (vocab.types[id] === TokenType.CONTROL) special[id] = 1;
    const byteLevel = vocab.model === "bpe" && vocab.types[id] === TokenType.NORMAL;
    if (isPunctuationPiece(vocab.pieces[id]!, byteLevel)) punct[id] = 1;
  }
  for (const id of resolveIds(vocab, options.extraSpecial ?? [], "extra special token")) special[id] = 1;
  if (options.punctuation) {
    punct.fill(0);
    for (const id of resolveIds(vocab, options.punctuation, "punctuation token")) punct[id] = 1;
  }
  return { special, punct };
}

/** Ids of a class, for display and tests. */
export function idsOf(mask: Uint8Array): number[] {
  const out: number[] = [];
  mask.forEach((v, i) => v && out.push(i));
  return out;
}
