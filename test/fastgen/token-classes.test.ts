import { describe, expect, it } from "vitest";
import { computeTokenClasses, idsOf, isPunctuationPiece } from "../../src/fastgen/token-classes.ts";
import { stories260K } from "../support/shared.ts";

describe("token classes (spec §2, §12.9, §12.10)", () => {
  const vocab = stories260K().vocab!;

  it("special = CONTROL tokens only: <s> and </s>, not <unk>", () => {
    expect(idsOf(computeTokenClasses(vocab).special)).toEqual([1, 2]);
  });

  it("punctuation = exactly the 26 pieces the spec lists for stories260K", () => {
    const expected = [
      313, 426, 432, 436, 439, 443, 450, 464, 465, 466, 467, 468, 474, 476, 481, 482, 486, 488, 489, 492, 497, 499, 500, 501, 508, 509,
    ];
    expect(idsOf(computeTokenClasses(vocab).punct)).toEqual(expected);
  });

  it("judges pieces by the spec's rule", () => {
    for (const p of [".", '▁"', '!"', "?", "…", "▁,", "—"]) expect(isPunctuationPiece(p), p).toBe(true);
    for (const p of ["▁", "", "<0x23>", "$", "+", "a.", "▁the", "<", "~", " "]) expect(isPunctuationPiece(p), p).toBe(false);
  });

  it("reads a byte-level BPE piece as its text (spec §12.10): Ġ is a space, Ċ a newline", () => {
    for (const p of [",", "Ġ,", ".Ċ", "Ġ...", "âĢĶ"]) expect(isPunctuationPiece(p, true), p).toBe(true); // âĢĶ is "—"
    for (const p of ["Ġ", "Ċ", "Ġthe", "Ġ$", "â", "<|im_end|>"]) expect(isPunctuationPiece(p, true), p).toBe(false);
    // The same pieces read as SentencePiece text would not count: Ġ is a letter there.
    expect(isPunctuationPiece("Ġ,")).toBe(false);
  });

  it("accepts extra special tokens and a replacement punctuation set, by id or piece", () => {
    const c = computeTokenClasses(vocab, { extraSpecial: [0, "▁the"], punctuation: [".", 432] });
    expect(idsOf(c.special)).toEqual([0, 1, 2, vocab.pieces.indexOf("▁the")].sort((a, b) => a - b));
    expect(idsOf(c.punct)).toEqual([426, 432]);
  });

  it("rejects unknown pieces and ids outside the vocab", () => {
    expect(() => computeTokenClasses(vocab, { extraSpecial: [512] })).toThrow(/outside the vocabulary/);
    expect(() => computeTokenClasses(vocab, { punctuation: ["no-such-piece"] })).toThrow(/not a piece/);
  });
});
