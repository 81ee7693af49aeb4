/**
 * SentencePiece-style BPE (Llama 2, TinyLlama, llama2.c): spaces become `▁`, one piece per
 * character (`<0xNN>` bytes where a character has no piece), then the adjacent pair whose merged
 * piece has the highest score is merged (leftmost on ties) until no pair merges — llama2.c's
 * `encode` and llama.cpp's `llm_tokenizer_spm`.
 */
import type { Vocab } from "../model/types.ts";
import { greedyMerge } from "./merge.ts";

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
   * Greedy BPE over characters (merge.ts): the adjacent pair whose concatenation is the
   * best-scoring piece merges first (leftmost on ties). Symbols are text, not ids, as in llama.cpp:
   * two characters that have no piece of their own still merge into a piece that holds both.
   */
  private merge(symbols: string[]): string[] {
    const scores = this.vocab.scores;
    return greedyMerge(symbols, (a, b) => {
      const id = this.ids.get(a + b);
      return id === undefined ? undefined : -scores[id]!;
    });
  }
}
