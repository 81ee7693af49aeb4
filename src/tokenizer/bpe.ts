/**
 * Byte-level BPE (GPT-2, Llama 3, SmolLM2, Qwen): the pre-tokenizer cuts the text into words
 * (pretokenize.ts), each word's UTF-8 bytes are written in the byte-level alphabet
 * (byte-level.ts), and inside a word the adjacent pair with the best (lowest) merge rank is merged,
 * leftmost first on ties, until no adjacent pair has a merge — llama.cpp's
 * `llm_tokenizer_bpe_session` and Hugging Face's BPE model.
 */
import { byteLevelEncode } from "../model/byte-level.ts";
import { greedyMerge } from "./merge.ts";
import { type PreTokenizer, pretokenize } from "./pretokenize.ts";

export class BpeEncoder {
  /** Merge rank by "left right". */
  private readonly ranks = new Map<string, number>();
  private readonly ids: ReadonlyMap<string, number>;
  private readonly pre: PreTokenizer;

  constructor(merges: readonly string[], ids: ReadonlyMap<string, number>, pre: PreTokenizer) {
    merges.forEach((m, rank) => {
      if (!this.ranks.has(m)) this.ranks.set(m, rank);
    });
    this.ids = ids;
    this.pre = pre;
  }

  /** The tokens of a text (no special tokens inside; the caller has split them out). */
  encode(text: string, out: number[]): void {
    for (const word of pretokenize(text, this.pre)) {
      const encoded = byteLevelEncode(word);
      const whole = this.ids.get(encoded);
      if (this.pre.ignoreMerges && whole !== undefined) {
        out.push(whole);
        continue;
      }
      for (const symbol of this.merge(encoded)) {
        const id = this.ids.get(symbol);
        if (id !== undefined) {
          out.push(id);
          continue;
        }
        // A merge whose result is not a piece (a broken vocabulary): its characters one by one,
        // dropping any the vocabulary lacks, as llama.cpp does.
        for (const ch of symbol) {
          const cid = this.ids.get(ch);
          if (cid !== undefined) out.push(cid);
        }
      }
    }
  }

  /** The word's symbols after merging by rank (merge.ts). */
  private merge(word: string): string[] {
    return greedyMerge(Array.from(word), (a, b) => this.ranks.get(`${a} ${b}`));
  }
}
