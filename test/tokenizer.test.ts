import { describe, expect, it } from "vitest";
import { TokenType, type Vocab } from "../src/model/types.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
import { stories260K } from "./support/shared.ts";

const tok = () => new Tokenizer(stories260K().vocab!);

describe("tokenizer on the stories260K vocab", () => {
  it("adds BOS by default, EOS on request, nothing for an empty string", () => {
    const t = tok();
    expect(t.encode("")).toEqual([1]);
    expect(t.encode("", { bos: false })).toEqual([]);
    const ids = t.encode("Hi", { eos: true });
    expect(ids[0]).toBe(1);
    expect(ids[ids.length - 1]).toBe(2);
  });

  it("round-trips text, including characters only byte fallback can spell", () => {
    const t = tok();
    for (const text of ["Once upon a time", "héllo ☃ 日本 😀!", "  two  spaces", "tab\tand\nnewline", '"Quotes," she said.']) {
      const ids = t.encode(text);
      expect(t.decode(ids)).toBe(text);
    }
  });

  it("falls back to <0xNN> byte pieces for characters the vocab lacks", () => {
    const t = tok();
    const ids = t.encode("☃", { bos: false });
    const pieces = ids.map((i) => t.vocab.pieces[i]);
    // ▁ then the three UTF-8 bytes of U+2603.
    expect(pieces.slice(-3)).toEqual(["<0xE2>", "<0x98>", "<0x83>"]);
  });

  it("streams UTF-8 split across tokens without emitting broken characters", () => {
    const t = tok();
    const ids = t.encode("a😀b", { bos: false });
    const stream = t.stream();
    const parts = ids.map((id) => stream.push(id));
    expect(parts.join("") + stream.flush()).toBe("a😀b");
    expect(parts.every((p) => !p.includes("\uFFFD"))).toBe(true);
    // An incomplete character at the end becomes U+FFFD on flush.
    const s2 = t.stream();
    const emoji = t.encode("😀", { bos: false }).slice(0, -1);
    const partial = emoji.map((id) => s2.push(id)).join("");
    expect(partial + s2.flush()).toBe("\uFFFD");
  });

  it("decodes control tokens to nothing and rejects ids outside the vocab", () => {
    const t = tok();
    expect(t.decode([1, 2])).toBe("");
    expect(() => t.decode([512])).toThrow(/outside the vocabulary/);
  });

  it("merges the best-scoring pair first, leftmost on ties", () => {
    // A toy vocab: "ab" (score 1) and "bc" (score 2) compete for "abc"; "bc" wins.
    const pieces = ["<unk>", "<s>", "</s>", "▁", "a", "b", "c", "ab", "bc", "▁a", "aa"];
    const vocab: Vocab = {
      pieces,
      scores: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2, -5, 3]),
      types: Int32Array.from(pieces.map((_, i) => (i === 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : TokenType.NORMAL))),
      bosId: 1,
      eosId: 2,
      unkId: 0,
      addBos: false,
    };
    const t = new Tokenizer(vocab);
    // "▁abc": bc (2) > ab (1) > ▁a (-5) → ▁a? after bc merges: [▁, a, bc] → only ▁a remains → [▁a, bc]
    expect(t.encode("abc").map((i) => pieces[i])).toEqual(["▁a", "bc"]);
    // Ties go to the leftmost pair: "abab" → [▁, a, b, a, b]; ab merges at 1, then at 2; ▁ab is no piece.
    expect(t.encode("abab").map((i) => pieces[i])).toEqual(["▁", "ab", "ab"]);
    // Leftmost matters where merges overlap: "aaa" with only "aa" → [▁, aa, a], not [▁, a, aa].
    expect(t.encode("aaa").map((i) => pieces[i])).toEqual(["▁", "aa", "a"]);
    // No byte pieces in this vocab: an unknown character becomes <unk>.
    expect(t.encode("z")).toEqual([3, 0]);
  });
});
