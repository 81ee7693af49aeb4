/**
 * HeadStore.compact moves runs of kept entries in one copy each; it must equal the plain
 * definition (keep entry e where keep[e] = 1, in order) for positions, keys, values and scores,
 * whatever the pattern of runs. And the reused buffers of a decode step (keptEntries' `into`,
 * markTopK's marks) hold nothing over from the step before.
 */
import { describe, expect, it } from "vitest";
import { markTopK } from "../../src/fastgen/components/frequent.ts";
import { frequent, local } from "../../src/fastgen/components/index.ts";
import { keptEntries, type KeepContext, unionPolicy } from "../../src/fastgen/policy.ts";
import { mulberry32 } from "../../src/random.ts";
import { HeadStore } from "../../src/kv/head-store.ts";

const headDim = 4;

function filled(length: number, random: () => number): HeadStore {
  const store = new HeadStore(headDim);
  for (let p = 0; p < length; p++) {
    store.push(
      p * 3,
      Float32Array.from({ length: headDim }, (_, i) => p + i / 10),
      Float32Array.from({ length: headDim }, (_, i) => -p - i / 10),
    );
    store.scores[p] = Math.floor(random() * 1000);
  }
  return store;
}

describe("HeadStore.compact", () => {
  it("equals keeping the marked entries in order, on 500 random patterns", () => {
    const random = mulberry32(7);
    for (let c = 0; c < 500; c++) {
      const length = Math.floor(random() * 80);
      const store = filled(length, random);
      // Runs of every kind: all kept, none kept, one evicted, long runs, alternating.
      const density = [0, 0.1, 0.5, 0.9, 0.99, 1][c % 6]!;
      const keep = Uint8Array.from({ length }, () => (random() < density ? 1 : 0));
      const kept = [...keep.keys()].filter((e) => keep[e]);
      const expected = {
        positions: kept.map((e) => store.positions[e]!),
        scores: kept.map((e) => store.scores[e]!),
        keys: kept.flatMap((e) => [...store.keys.subarray(e * headDim, (e + 1) * headDim)]),
        values: kept.flatMap((e) => [...store.values.subarray(e * headDim, (e + 1) * headDim)]),
      };
      store.compact(keep, c % 2 === 0 ? "exact" : "lazy");
      const view = store.view();
      expect(view.length, `case ${c}`).toBe(kept.length);
      expect([...view.positions], `case ${c}`).toEqual(expected.positions);
      expect([...store.scores.subarray(0, kept.length)], `case ${c}`).toEqual(expected.scores);
      expect([...view.keys], `case ${c}`).toEqual(expected.keys);
      expect([...view.values], `case ${c}`).toEqual(expected.values);
    }
  });
});

describe("reused marks", () => {
  const ctx = (scores: number[], current: number): KeepContext => ({
    positions: Int32Array.from(scores, (_, e) => e),
    scores: Float64Array.from(scores),
    length: scores.length,
    current,
    sizes: { window: 2, frequentK: 2, sinks: 0, budget: 2, share: 2 },
    isSpecial: () => false,
    isPunct: () => false,
    keys: new Float32Array(scores.length),
    headDim: 1,
  });

  it("keptEntries clears a reused buffer before marking", () => {
    const policy = unionPolicy([local, frequent]);
    const into = new Uint8Array(16).fill(1);
    const keep = keptEntries(policy, ctx([5, 0, 0, 9, 0, 0, 0], 6), into);
    expect(keep).toBe(into);
    // frequent: entries 3 (9) and 0 (5); local, window 2: positions 5 and 6.
    expect([...keep.subarray(0, 7)]).toEqual([1, 0, 0, 1, 0, 1, 1]);
    expect([...keep.subarray(0, 7)]).toEqual([...keptEntries(policy, ctx([5, 0, 0, 9, 0, 0, 0], 6))]);
  });

  it("markTopK only adds marks and ranks the first `length` entries (scratch reused across calls)", () => {
    const big = Float64Array.from({ length: 1000 }, (_, e) => e);
    const keep = new Uint8Array(1000);
    markTopK(big, Int32Array.from(big), 1000, 10, keep);
    expect(keep.reduce((a, b) => a + b, 0)).toBe(10);
    const small = new Uint8Array(4);
    small[0] = 1; // an earlier component's mark stays
    markTopK(Float64Array.of(0, 3, 2, 1), Int32Array.of(0, 1, 2, 3), 4, 1, small);
    expect([...small]).toEqual([1, 1, 0, 0]);
  });
});

describe("HeadStore growth", () => {
  it("doubles while filling a prompt, is cut to size by an exact compact, then grows with bounded slack", () => {
    const store = new HeadStore(headDim);
    store.doubling = true;
    const key = new Float32Array(headDim);
    const capacities = new Set<number>();
    for (let p = 0; p < 1000; p++) {
      store.push(p, key, key);
      capacities.add(store.capacity);
    }
    // 4, 8, …, 1024: a handful of reallocations, not one per few entries.
    expect([...capacities]).toEqual([4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    store.doubling = false;
    store.compact(new Uint8Array(1000).fill(1), "exact");
    expect(store.capacity).toBe(1000);
    store.push(1000, key, key);
    expect(store.capacity).toBe(1000 + (1000 >> 6));
    // Spare room stays under 1/64: evicting 20 entries shrinks the store to what it keeps + half that.
    const keep = new Uint8Array(1001).fill(1);
    keep.fill(0, 100, 120);
    store.compact(keep, "lazy");
    expect(store.length).toBe(981);
    expect(store.capacity).toBe(981 + (981 >> 7));
    // A small store grows one entry at a time: no spare room at all.
    const small = new HeadStore(headDim, 1);
    for (let p = 0; p < 100; p++) {
      small.push(p, key, key);
      expect(small.capacity).toBe(p + 1);
    }
  });
});

describe("HeadStore.addScoresOf", () => {
  it("gives the bits of one addScores per query head, in order, for groups of 1 to 9 heads", () => {
    const random = mulberry32(11);
    for (let group = 1; group <= 9; group++) {
      const one = filled(300, random);
      const fused = new HeadStore(headDim);
      for (let p = 0; p < 300; p++)
        fused.push(
          one.positions[p]!,
          one.keys.subarray(p * headDim, (p + 1) * headDim),
          one.values.subarray(p * headDim, (p + 1) * headDim),
        );
      fused.scores.set(one.scores.subarray(0, 300));
      for (let step = 0; step < 20; step++) {
        // Weights over 2^-60 … 2^10, so a double sum of them rounds and the order of the additions shows in the bits.
        const weights = Array.from({ length: group }, () =>
          Float32Array.from({ length: 300 }, () => random() * 2 ** Math.floor(random() * 70 - 60)),
        );
        for (const w of weights) one.addScores(w);
        fused.addScoresOf(weights);
      }
      expect(Buffer.from(fused.scores.buffer, 0, 300 * 8).equals(Buffer.from(one.scores.buffer, 0, 300 * 8)), `group ${group}`).toBe(true);
    }
  });
});
