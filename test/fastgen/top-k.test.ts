/** topK (frequent's heavy hitters) against the plain definition: sort by (score desc, position desc), take k. */
import { describe, expect, it } from "vitest";
import { kthLargestScore, SAMPLED_SELECTION_FROM, topK } from "../../src/fastgen/components/frequent.ts";
import { mulberry32 } from "../../src/random.ts";

function topKBySort(scores: Float64Array, positions: Int32Array, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, e) => e);
  order.sort((a, b) => scores[b]! - scores[a]! || positions[b]! - positions[a]!);
  return order.slice(0, Math.min(k, scores.length)).sort((a, b) => a - b);
}

describe("topK", () => {
  it("keeps exactly the sort's top k on 3,000 random cases, ties included", () => {
    const random = mulberry32(2024);
    for (let c = 0; c < 3000; c++) {
      const length = 1 + Math.floor(random() * 200);
      // Few distinct values make ties common; some cases with all-equal scores, some with zeros.
      const distinct = 1 + Math.floor(random() * (c % 3 === 0 ? 3 : 50));
      const scores = Float64Array.from({ length }, () => Math.floor(random() * distinct) / distinct);
      // Cache positions increase with the index; shuffle some cases to test the general rule.
      const positions = Int32Array.from({ length }, (_, e) => e * 2 + 1);
      if (c % 5 === 0)
        for (let e = length - 1; e > 0; e--) {
          const j = Math.floor(random() * (e + 1));
          [positions[e], positions[j]] = [positions[j]!, positions[e]!];
        }
      const k = Math.floor(random() * (length + 2));
      const got = topK(scores, positions, length, k).sort((a, b) => a - b);
      expect(got, `case ${c}`).toEqual(topKBySort(scores, positions, k));
    }
  });

  it("reads only the first `length` entries and returns nothing for k = 0", () => {
    const scores = Float64Array.of(0.1, 0.9, 0.5, 99);
    const positions = Int32Array.of(0, 1, 2, 3);
    expect(topK(scores, positions, 3, 1)).toEqual([1]);
    expect(topK(scores, positions, 3, 0)).toEqual([]);
    expect(topK(scores, positions, 3, 5)).toEqual([0, 1, 2]);
  });

  it("long stores (the sampled band of kthLargestScore): the sort's top k on random, tied, sorted and periodic scores", () => {
    const random = mulberry32(7);
    const patterns: ((e: number, n: number) => number)[] = [
      () => random(), // distinct
      () => Math.floor(random() * 4) / 4, // four values: ties at every threshold
      (e) => e, // ascending: the sample sees an ordered array
      (e, n) => n - e, // descending
      (e) => (e % 64) / 64, // periodic with the sample's stride
      () => 0.5, // all equal
      (e, n) => (e < n / 2 ? 1 : random() * 1e-9), // half tied at the top, a tiny spread below
      () => random() ** 8, // most scores near 0, a few heavy hitters (H2O's shape)
    ];
    for (let c = 0; c < 160; c++) {
      const length = SAMPLED_SELECTION_FROM + Math.floor(random() * 5000);
      const pattern = patterns[c % patterns.length]!;
      const scores = Float64Array.from({ length }, (_, e) => pattern(e, length));
      const positions = Int32Array.from({ length }, (_, e) => e);
      const k = [1, 2, length - 1][c % 5] ?? 1 + Math.floor(random() * (length - 1));
      const descending = Float64Array.from(scores).sort().reverse();
      expect(kthLargestScore(scores, length, k), `case ${c}: k ${k} of ${length}`).toBe(descending[k - 1]);
      if (c % 4 === 0) expect(topK(scores, positions, length, k), `case ${c}`).toEqual(topKBySort(scores, positions, k));
    }
  });
});
