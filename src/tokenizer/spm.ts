/**
 * SentencePiece-style BPE (Llama 2, TinyLlama, llama2.c): spaces become `▁`, one piece per
 * character (`<0xNN>` bytes where a character has no piece), then the adjacent pair whose merged
 * piece has the highest score is merged (leftmost on ties) until no pair merges — llama2.c's
 * `encode` and llama.cpp's `llm_tokenizer_spm`.
 */
import type { Vocab } from "../model/types.ts";

export const SPACE = "▁";

export class SpmEncoder {
  private readonly vocab: Vocab;
  private readonly ids: ReadonlyMap<string, number>;
  /** Id of `<0xNN>` for each byte, or -1 where the vocab lacks it. */
  private readonly byteIds: Int32Array;
  private readonly utf8 = new TextEncoder();

  constructor(vocab: Vocab, ids: ReadonlyMap<string, number>, byteIds: Int32Array) {
    this.vocab = vocab;
    this.ids = ids;
    this.byteIds = byteIds;
  }

  /** The tokens of a text fragment; `prefix` adds SentencePiece's dummy leading space. */
  encode(text: string, prefix: boolean, out: number[]): void {
    if (text.length === 0) return;
    const normalized = (prefix ? SPACE : "") + text.replaceAll(" ", SPACE);
    const symbols = this.merge(Array.from(normalized));
    for (const symbol of symbols) {
      const id = this.ids.get(symbol);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // Byte fallback: one <0xNN> piece per UTF-8 byte, <unk> where even that is missing.
      for (const b of this.utf8.encode(symbol)) {
        const bid = this.byteIds[b]!;
        out.push(bid >= 0 ? bid : this.vocab.unkId);
      }
    }
  }

  /**
   * Greedy BPE over characters: merge the adjacent pair whose concatenation is the best-scoring
   * piece (leftmost on ties) until none is a piece. Symbols are text, not ids, as in llama.cpp: two
   * characters that have no piece of their own still merge into a piece that holds both.
   * The merged id of every adjacent pair is kept in `pairs` and only the two pairs around a merge
   * are looked up again, so each pass is a scan of numbers rather than of concatenated strings: a
   * prompt of many kilobytes encodes in milliseconds instead of seconds.
   */
  private merge(symbols: string[]): string[] {
    const pairId = (a: string, b: string) => this.ids.get(a + b) ?? -1;
    // pairs[i]: id of symbols[i] + symbols[i + 1], or -1.
    const pairs: number[] = [];
    for (let i = 0; i + 1 < symbols.length; i++) pairs.push(pairId(symbols[i]!, symbols[i + 1]!));
    const scores = this.vocab.scores;
    for (;;) {
      let bestScore = -Infinity;
      let bestAt = -1;
      for (let i = 0; i < pairs.length; i++) {
        const merged = pairs[i]!;
        if (merged >= 0 && scores[merged]! > bestScore) {
          bestScore = scores[merged]!;
          bestAt = i;
        }
      }
      if (bestAt < 0) return symbols;
      symbols.splice(bestAt, 2, symbols[bestAt]! + symbols[bestAt + 1]!);
      pairs.splice(bestAt, 1);
      if (bestAt > 0) pairs[bestAt - 1] = pairId(symbols[bestAt - 1]!, symbols[bestAt]!);
      if (bestAt < pairs.length) pairs[bestAt] = pairId(symbols[bestAt]!, symbols[bestAt + 1]!);
    }
  }
}
