/** Decode semantics of the adaptive cache (spec §5, §6, §7, §8), driven directly with chosen attention. */
import { describe, expect, it } from "vitest";
import { frequent, local, special } from "../../src/fastgen/components/index.ts";
import { BASELINE_POLICIES } from "../../src/fastgen/settings.ts";
import { type KvHeadPolicy, unionPolicy } from "../../src/fastgen/policy.ts";
import { AdaptiveKvCache } from "../../src/fastgen/adaptive-cache.ts";

const BOS = 1;
const EOS = 2;
const PUNCT = 5;
const WORD = 7;
const classes = {
  special: Uint8Array.from({ length: 10 }, (_, i) => (i === BOS || i === EOS ? 1 : 0)),
  punct: Uint8Array.from({ length: 10 }, (_, i) => (i === PUNCT ? 1 : 0)),
};

function makeCache(headDim = 2, rLocal = 0.3, rFrequent = 0.3) {
  return new AdaptiveKvCache(
    { nLayers: 1, nHeads: 1, nKvHeads: 1, headDim },
    { classes, sizes: { rLocal, rFrequent, sinks: 4 }, recordPromptAttention: false },
  );
}

/** Feeds one token: append, attend with `weight(position)` over the current view, report. Returns the positions attended. */
function feed(cache: AdaptiveKvCache, position: number, token: number, weight: (p: number) => number = () => 0): number[] {
  const d = cache.layout.headDim;
  cache.registerToken(position, token);
  cache.append(0, 0, position, new Float32Array(d).fill(position), new Float32Array(d).fill(-position));
  const view = cache.view(0, 0);
  const attended = Array.from(view.positions);
  cache.afterAttention(0, 0, position, [Float32Array.from(attended, weight)]);
  return attended;
}

function prefill(cache: AdaptiveKvCache, tokens: number[], weight?: (p: number) => number) {
  tokens.forEach((t, p) => feed(cache, p, t, weight));
}

const kept = (cache: AdaptiveKvCache) => Array.from(cache.view(0, 0).positions);
const only = (policy: KvHeadPolicy) => [[policy]];

describe("adaptive cache decode semantics", () => {
  it("a special-only head attends to the new token once, then drops it unless it is special", () => {
    const cache = makeCache();
    prefill(cache, [BOS, WORD, PUNCT, WORD]);
    cache.compress(only(unionPolicy([special])));
    expect(kept(cache)).toEqual([0]);
    expect(feed(cache, 4, WORD)).toEqual([0, 4]); // seen once...
    expect(kept(cache)).toEqual([0]); // ...then gone
    feed(cache, 5, EOS); // a generated special token is kept (spec §12.8)
    expect(kept(cache)).toEqual([0, 5]);
  });

  it("a prompt without a special token leaves a special-only head empty; each new token sees only itself", () => {
    const cache = makeCache();
    prefill(cache, [WORD, WORD, WORD]);
    cache.compress(only(unionPolicy([special])));
    expect(kept(cache)).toEqual([]);
    expect(feed(cache, 3, WORD)).toEqual([3]);
    expect(kept(cache)).toEqual([]);
  });

  it("the local window is fixed from the prompt length and slides", () => {
    const cache = makeCache();
    prefill(cache, [BOS, ...Array(9).fill(WORD)]); // n = 10 → w = 3
    cache.compress(only(BASELINE_POLICIES.local));
    expect(kept(cache)).toEqual([7, 8, 9]);
    for (let p = 10; p < 20; p++) {
      feed(cache, p, WORD);
      expect(kept(cache)).toEqual([p - 2, p - 1, p]);
    }
  });

  it("frequent keeps exactly floorMin1(rFrequent·L) by cumulative score; ties go to the more recent position", () => {
    const cache = makeCache();
    prefill(cache, Array(10).fill(WORD)); // every score 0: all tied
    cache.compress(only(BASELINE_POLICIES.frequent));
    expect(kept(cache)).toEqual([7, 8, 9]); // k = floor(0.3·10) = 3, the most recent win ties
    feed(cache, 10, WORD, (p) => (p === 7 ? 1 : 0)); // L = 11, k = 3: 7 has score 1, then 10 and 9 (ties, recent first)
    expect(kept(cache)).toEqual([7, 9, 10]);
    feed(cache, 11, WORD, (p) => (p === 9 ? 0.5 : 0)); // L = 12, k = 3: 7 (1), 9 (0.5), 11 (0, newer than 10)
    expect(kept(cache)).toEqual([7, 9, 11]);
    feed(cache, 12, WORD); // L = 13, k = 3: 7, 9, then 12 beats 11 on recency
    expect(kept(cache)).toEqual([7, 9, 12]);
    feed(cache, 13, WORD); // L = 14, k = floor(4.2) = 4: room for all four cached entries
    expect(kept(cache)).toEqual([7, 9, 12, 13]);
    expect(cache.store(0, 0).scores.subarray(0, 4)).toEqual(Float64Array.from([1, 0.5, 0, 0]));
  });

  it("the new position's score starts with this step's weights; scores accumulate over steps", () => {
    const cache = makeCache(2, 1, 1); // frequent with k = L: nothing is evicted
    prefill(cache, [BOS, WORD, WORD, WORD], (p) => p + 1); // column sums: pos j gets (j+1) × (rows ≥ j)
    expect(Array.from(cache.store(0, 0).scores.subarray(0, 4))).toEqual([4, 6, 6, 4]);
    cache.compress(only(BASELINE_POLICIES.frequent));
    feed(cache, 4, WORD, () => 0.25);
    expect(Array.from(cache.store(0, 0).scores.subarray(0, 5))).toEqual([4.25, 6.25, 6.25, 4.25, 0.25]);
  });

  it("a policy that never ranks by scores drops them at compression (spec §8 bytes)", () => {
    const cache = makeCache();
    prefill(cache, [BOS, WORD, WORD, WORD], (p) => p + 1);
    cache.compress(only(BASELINE_POLICIES.full));
    feed(cache, 4, WORD, () => 0.25);
    expect(cache.store(0, 0).scores.length).toBe(0);
    expect(kept(cache)).toEqual([0, 1, 2, 3, 4]);
  });

  it("a union keeps the union, not the sum: heavy hitters inside the window are not counted twice", () => {
    const cache = makeCache();
    prefill(cache, Array(10).fill(WORD), (p) => (p >= 8 ? 1 : 0)); // heavy hitters 8, 9 sit in the window
    cache.compress(only(unionPolicy([frequent, local])));
    expect(kept(cache)).toEqual([7, 8, 9]); // k = 3 → {9, 8, 7}; w = 3 → {7, 8, 9}
  });

  it("keeps positions in increasing order under every baseline", () => {
    for (const policy of Object.values(BASELINE_POLICIES)) {
      const cache = makeCache(2, 0.2, 0.2);
      prefill(cache, [BOS, WORD, PUNCT, WORD, WORD, PUNCT, WORD, WORD], (p) => ((p * 7919) % 13) / 13);
      cache.compress(only(policy));
      for (let p = 8; p < 40; p++) {
        feed(cache, p, p % 5 === 0 ? PUNCT : WORD, (q) => ((q * 104729 + p) % 17) / 17);
        const positions = kept(cache);
        expect(positions, policy.name).toEqual([...positions].sort((a, b) => a - b));
        expect(positions.includes(p) || !policy.components.some((c) => c.name === "local")).toBe(true);
      }
    }
  });

  it("streaming keeps the first `sinks` positions and the window", () => {
    const cache = makeCache();
    prefill(cache, Array(20).fill(WORD)); // w = 6, sinks = 4
    cache.compress(only(BASELINE_POLICIES.streaming));
    expect(kept(cache)).toEqual([0, 1, 2, 3, 14, 15, 16, 17, 18, 19]);
    feed(cache, 20, WORD);
    expect(kept(cache)).toEqual([0, 1, 2, 3, 15, 16, 17, 18, 19, 20]);
  });

  it("refuses tokens out of order and a second compression", () => {
    const cache = makeCache();
    prefill(cache, [BOS, WORD]);
    expect(() => cache.registerToken(5, WORD)).toThrow(/in order/);
    cache.compress(only(BASELINE_POLICIES.full));
    expect(() => cache.compress(only(BASELINE_POLICIES.full))).toThrow(/already compressed/);
  });
});

describe("adaptive cache memory (spec §8)", () => {
  it("after compression the buffers shrink in proportion to what is kept, measured from the buffers", () => {
    const headDim = 16;
    const n = 200;
    const perEntryKv = headDim * 2 * 4; // K and V, float32
    const bookkeeping = 2; // uint16 position; local never reads scores, so none are kept
    for (const rLocal of [0.1, 0.3, 0.5]) {
      const cache = makeCache(headDim, rLocal);
      prefill(cache, Array(n).fill(WORD));
      const before = cache.footprint();
      expect(before.heldBytes).toBeGreaterThanOrEqual(n * (perEntryKv + bookkeeping));
      cache.compress(only(BASELINE_POLICIES.local));
      const after = cache.footprint();
      const keptCount = Math.floor(rLocal * n);
      expect(after.kept).toBe(keptCount);
      expect(after.compression).toBeCloseTo(1 - keptCount / n, 12);
      // Exactly the kept entries' K, V and bookkeeping: nothing is merely masked.
      expect(after.heldBytes).toBe(keptCount * (perEntryKv + bookkeeping));
      expect(after.heldBytes / after.fullBytes).toBeCloseTo((keptCount / n) * (1 + bookkeeping / perEntryKv), 12);
      const store = cache.store(0, 0);
      expect(store.keys.buffer.byteLength).toBe(keptCount * headDim * 4);
    }
  });

  it("during decode the held bytes stay bounded by the kept count, not the sequence length", () => {
    const cache = makeCache(16, 0.1);
    prefill(cache, Array(100).fill(WORD)); // w = 10
    cache.compress(only(BASELINE_POLICIES.local));
    let maxHeld = 0;
    for (let p = 100; p < 1100; p++) {
      feed(cache, p, WORD);
      maxHeld = Math.max(maxHeld, cache.footprint().heldBytes);
    }
    const f = cache.footprint();
    expect(f.kept).toBe(10);
    expect(maxHeld).toBeLessThan(40 * (16 * 2 * 4 + 12)); // capacity never runs far past what is kept
    expect(f.fullBytes).toBe(1100 * 16 * 2 * 4);
  });
});
