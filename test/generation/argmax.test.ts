/** argmax (four interleaved running maxima) against the plain scan it replaces, ties, NaN and ±inf included. */
import { describe, expect, it } from "vitest";
import { argmax } from "../../src/generation/sampler.ts";
import { mulberry32 } from "../../src/random.ts";

/** The definition: scan from x[0], keep the first index of a strictly larger value. */
function plainArgmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

describe("argmax", () => {
  it("equals the plain scan on 5,000 random arrays of every small length, with ties, NaN and ±inf", () => {
    const random = mulberry32(99);
    const specials = [NaN, Infinity, -Infinity, 0, -0];
    for (let c = 0; c < 5000; c++) {
      const length = 1 + Math.floor(random() * 40);
      // Few distinct values make ties common; some entries are special values.
      const distinct = 1 + Math.floor(random() * 6);
      const x = Float32Array.from({ length }, () =>
        random() < 0.1 ? specials[Math.floor(random() * specials.length)]! : Math.floor(random() * distinct),
      );
      expect(argmax(x), `case ${c}: ${Array.from(x).join(",")}`).toBe(plainArgmax(x));
    }
  });

  it("works on plain arrays and Float64Array, and on a vocabulary-sized row", () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax(Float64Array.of(-Infinity, -Infinity))).toBe(0);
    expect(argmax([NaN, 5, 7])).toBe(0);
    const row = Float32Array.from({ length: 32000 }, (_, i) => Math.sin(i * 1.7));
    expect(argmax(row)).toBe(plainArgmax(row));
  });
});
