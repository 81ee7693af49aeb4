/**
 * src/tokenizer/merge.ts (heap over a linked list) against the plain quadratic rule it replaces:
 * scan every adjacent pair, merge the best (lowest priority, leftmost on ties), repeat.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../src/random.ts";
import { greedyMerge } from "../src/tokenizer/merge.ts";

function naiveMerge(symbols: readonly string[], priorityOf: (a: string, b: string) => number | undefined): string[] {
  const s = [...symbols];
  for (;;) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i + 1 < s.length; i++) {
      const p = priorityOf(s[i]!, s[i + 1]!);
      if (p !== undefined && p < best) {
        best = p;
        at = i;
      }
    }
    if (at < 0) return s;
    s.splice(at, 2, s[at]! + s[at + 1]!);
  }
}

describe("greedyMerge", () => {
  it("gives the quadratic rule's symbols on 400 random words and merge tables, ties included", () => {
    const random = mulberry32(9);
    for (let trial = 0; trial < 400; trial++) {
      const alphabet = "abcd".slice(0, 2 + (trial % 3));
      const word = Array.from({ length: 1 + Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]!);
      // Priorities for pieces up to 4 characters; few distinct values, so ties are common.
      const table = new Map<string, number>();
      const grow = (p: string) => {
        if (p.length >= 4) return;
        for (const c of alphabet) {
          if (random() < 0.6) table.set(p + c, Math.floor(random() * 5));
          grow(p + c);
        }
      };
      for (const c of alphabet) grow(c);
      const priorityOf = (a: string, b: string) => table.get(a + b);
      expect(greedyMerge(word, priorityOf), word.join("")).toEqual(naiveMerge(word, priorityOf));
    }
  });
  it("handles the empty and one-symbol words", () => {
    expect(greedyMerge([], () => 0)).toEqual([]);
    expect(greedyMerge(["x"], () => 0)).toEqual(["x"]);
  });
});
