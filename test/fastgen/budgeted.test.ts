/** The budgeted policy (docs/algorithm.md §10) on hand-built heads whose right budget is known. */
import { describe, expect, it } from "vitest";
import { allocate, bestStep } from "../../src/fastgen/budget/allocate.ts";
import { MIN_HEAVY_SHARE, MIN_WINDOW_SHARE, recoveryCurve } from "../../src/fastgen/budget/curve.ts";
import { headFloor, profileBudget, totalBudget } from "../../src/fastgen/budget/profile.ts";
import { keepRanked, scaleToLength, structuralOrder } from "../../src/fastgen/budget/ranking.ts";
import { compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { profileHeads } from "../../src/fastgen/profiler.ts";
import {
  groupColumnScores,
  type PromptAttention,
  promptAttentionFromMatrices,
  type TokenClassLookup,
} from "../../src/fastgen/prompt-attention.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";

const n = 20;
// Position 0 is BOS (special); positions 5, 10, 15 are punctuation.
const PUNCT = new Set([5, 10, 15]);
const lookup: TokenClassLookup = { isSpecial: (p) => p === 0, isPunct: (p) => PUNCT.has(p) };

function matrix(weight: (i: number, j: number) => number, size = n): Float32Array {
  const m = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += weight(i, j);
    for (let j = 0; j <= i; j++) m[i * size + j] = weight(i, j) / sum;
  }
  return m;
}

const HEADS = {
  sink: matrix((_, j) => (j === 0 ? 1 : 1e-4)),
  local: matrix((i, j) => (i - j < 3 ? 1 : 1e-4)),
  heavyHitter: matrix((i, j) => ([3, 7, 12].includes(j) ? 1 : j === 0 && i < 3 ? 1 : 1e-4)),
  uniform: matrix(() => 1),
};
const NAMES = Object.keys(HEADS) as (keyof typeof HEADS)[];
const layoutOf = (heads: number, kv = heads) => ({ nLayers: 1, nHeads: heads, nKvHeads: kv, headDim: 2 });
const attentionOf = (names: (keyof typeof HEADS)[]) => promptAttentionFromMatrices([names.map((k) => HEADS[k])], n);
const settings = (compression: number, extra: object = {}) => ({ compression, gqa: "min" as const, sinks: 1, ...extra });

/** Recovery of the set `keepRanked` keeps at row n−1, scored row by row (fixed columns + band), by brute force. */
function bruteRecovery(att: PromptAttention, head: number, c: number, w: number, k: number, from = 0): number {
  const scores = groupColumnScores(att, 0, [head]);
  const keep = new Uint8Array(att.n);
  const positions = Int32Array.from({ length: att.n }, (_, j) => j);
  const beyond = c - 4; // four structural tokens
  keepRanked(
    { positions, scores, length: att.n, current: att.n - 1, sinks: 1, ...lookup },
    c,
    beyond > 0 ? (beyond - k) / beyond : 1,
    keep,
  );
  let total = 0;
  for (let i = from; i < att.n; i++) {
    const row = att.row(0, head, i);
    for (let j = 0; j <= i; j++) if (keep[j] || j > i - w) total += row[j]!;
  }
  return total / (att.n - from);
}

describe("recovery curve", () => {
  const att = attentionOf(NAMES);
  const structural = structuralOrder(n, lookup, 1);
  const curveOf = (h: number, observe?: number, minWindowShare?: number, minHeavyShare?: number) =>
    recoveryCurve({
      attention: att,
      layer: 0,
      heads: [h],
      scores: groupColumnScores(att, 0, [h]),
      structural,
      gqa: "min",
      ...(observe ? { observe } : {}),
      ...(minWindowShare !== undefined ? { minWindowShare } : {}),
      ...(minHeavyShare !== undefined ? { minHeavyShare } : {}),
    });

  it("orders the structural tiers: sinks and special oldest first, then punctuation newest first", () => {
    expect(structural).toEqual([0, 15, 10, 5]);
  });

  it("equals the brute-force recovery of the kept set at every count, is non-decreasing and reaches 1", () => {
    for (let h = 0; h < NAMES.length; h++) {
      for (const [observe, share] of [
        [undefined, undefined],
        [6, undefined],
        [undefined, 0],
      ] as const) {
        const curve = curveOf(h, observe, share);
        for (let c = 0; c <= n; c++) {
          expect(curve.value[c]).toBeCloseTo(bruteRecovery(att, h, c, curve.window[c]!, curve.heavy[c]!, observe ? n - observe : 0), 9);
          if (c > 0) expect(curve.value[c]!).toBeGreaterThanOrEqual(curve.value[c - 1]! - 1e-12);
        }
        expect(curve.value[n]).toBeCloseTo(1, 6);
      }
    }
  });

  it("gives the local head a window and the heavy-hitter head heavy hitters", () => {
    const local = curveOf(NAMES.indexOf("local"));
    expect(local.window[7]).toBeGreaterThanOrEqual(3);
    expect(local.value[7]).toBeGreaterThan(0.99);
    // Without the minimum window share, three heavy hitters beside the four structural tokens; with it, a window as large.
    const heavy = curveOf(NAMES.indexOf("heavyHitter"), undefined, 0);
    expect(heavy.heavy[7]).toBe(3);
    expect(heavy.value[7]).toBeGreaterThan(0.99);
    const shared = curveOf(NAMES.indexOf("heavyHitter"));
    expect(shared.heavy[10]).toBe(3);
    expect(shared.value[10]).toBeGreaterThan(0.99);
  });

  it("every shape beyond the structural tokens gives the window at least MIN_WINDOW_SHARE of its entries", () => {
    for (let h = 0; h < NAMES.length; h++) {
      const curve = curveOf(h);
      for (let c = structural.length + 1; c <= n; c++) {
        const beyond = c - structural.length;
        expect(beyond - curve.heavy[c]!).toBeGreaterThanOrEqual(MIN_WINDOW_SHARE * beyond);
      }
    }
  });

  it("and heavy hitters at least ⌊MIN_HEAVY_SHARE⌋ of them, so no head keeps only a window past 10 entries", () => {
    expect(MIN_HEAVY_SHARE).toBeGreaterThan(0);
    for (let h = 0; h < NAMES.length; h++) {
      const curve = curveOf(h);
      for (let c = structural.length + 1; c <= n; c++) {
        const beyond = c - structural.length;
        expect(curve.heavy[c]!).toBeGreaterThanOrEqual(Math.floor(MIN_HEAVY_SHARE * beyond));
        expect(curve.value[c]).toBeGreaterThan(-Infinity);
      }
    }
    // Without the floor some head keeps 10 or more entries beyond its structural ones all in the window.
    const allWindow = NAMES.flatMap((_, h) => {
      const unfloored = curveOf(h, undefined, undefined, 0);
      return Array.from({ length: n + 1 }, (_, c) => c).filter((c) => c - structural.length >= 10 && unfloored.heavy[c] === 0);
    });
    expect(allWindow.length).toBeGreaterThan(0);
  });
});

describe("allocation", () => {
  const att = attentionOf(NAMES);
  const report = (c: number) => profileBudget(att, layoutOf(4), lookup, settings(c));
  const keptOf = (r: ReturnType<typeof report>) => Object.fromEntries(NAMES.map((k, g) => [k, r.layers[0]![g]!.kept]));

  it("spends the budget where recovery grows fastest; the floor holds; the total is exact", () => {
    const r = report(0.5);
    expect(r.total).toBe(40);
    expect(r.floor).toBe(5); // 4 structural + 1
    const kept = keptOf(r);
    expect(Object.values(kept).reduce((a, b) => a + b, 0)).toBe(40);
    expect(kept.sink).toBe(Math.min(...Object.values(kept))); // BOS already holds nearly all of it
    expect(kept.sink).toBeLessThanOrEqual(6);
    expect(kept.local).toBeLessThanOrEqual(8); // a window of 3 covers it
    expect(kept.heavyHitter).toBeLessThanOrEqual(10); // its three heavy hitters and the window they require
    expect(kept.uniform).toBeGreaterThanOrEqual(16); // the rest buys recovery only here
    expect(kept.uniform).toBe(Math.max(...Object.values(kept)));
    expect(r.layers[0]![NAMES.indexOf("local")]!.recovery).toBeGreaterThan(0.99);
    expect(r.layers[0]![NAMES.indexOf("heavyHitter")]!.recovery).toBeGreaterThan(0.99);
  });

  it("lowers the floor when the budget cannot give every head its structural tokens", () => {
    const r = report(0.9);
    expect(r.total).toBe(8);
    expect(r.floor).toBe(2);
    expect(Object.values(keptOf(r))).toEqual([2, 2, 2, 2]);
  });

  it("C = 0 keeps everything", () => {
    expect(Object.values(keptOf(report(0)))).toEqual([n, n, n, n]);
  });

  it("spends exactly B on random heads for every C, each head within [floor, n]", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const mats = Array.from({ length: 6 }, () => matrix(() => rand() ** 4));
    const random = promptAttentionFromMatrices([mats.slice(0, 3), mats.slice(3)], n);
    for (const c of [0, 0.1, 0.25, 0.33, 0.5, 0.6, 0.77, 0.95, 0.999]) {
      const r = profileBudget(random, { nLayers: 2, nHeads: 3, nKvHeads: 3, headDim: 2 }, lookup, settings(c));
      const kept = r.layers.flat().map((h) => h.kept);
      expect(kept.reduce((a, b) => a + b, 0)).toBe(totalBudget(c, 6, n));
      for (const k of kept) {
        expect(k).toBeGreaterThanOrEqual(r.floor);
        expect(k).toBeLessThanOrEqual(n);
      }
    }
  });

  it("B rounds half up, at least one entry per head; the floor is structural + 1", () => {
    expect(totalBudget(0.5, 3, 5)).toBe(8); // 7.5 → 8
    expect(totalBudget(0.99, 4, 10)).toBe(4);
    expect(headFloor(4, 20, 40, 4)).toBe(5);
    expect(headFloor(30, 20, 400, 4)).toBe(20);
  });

  it("a step is the steepest chord: a head that is flat and then jumps is not starved", () => {
    const jump = [0, 0, 0, 0.9, 0.9];
    const slow = [0, 0.2, 0.4, 0.6, 0.8];
    expect(bestStep(jump, 0, 4)).toEqual({ gain: 0.3, size: 3 });
    expect(allocate([jump, slow], 3, 0)).toEqual([3, 0]);
  });

  it("GQA min is never above mean", () => {
    const shared = promptAttentionFromMatrices([[HEADS.sink, HEADS.uniform]], n);
    const layout = layoutOf(2, 1);
    const lo = profileBudget(shared, { ...layout, nLayers: 1 }, lookup, settings(0.5, { gqa: "min" }));
    const hi = profileBudget(shared, { ...layout, nLayers: 1 }, lookup, settings(0.5, { gqa: "mean" }));
    expect(lo.layers[0]![0]!.recovery).toBeLessThanOrEqual(hi.layers[0]![0]!.recovery);
  });
});

describe("observation window", () => {
  // Early rows attend BOS, the last rows look at their own neighbourhood.
  const drifting = matrix((i, j) => (i < 14 ? (j === 0 ? 1 : 1e-4) : i - j < 2 ? 1 : 1e-4));
  const att = promptAttentionFromMatrices([[drifting]], n);

  it("FastGen's recovery over the last W rows; W ≥ n is the plain profile", () => {
    const base = { threshold: 0.95, rLocal: 0.3, rFrequent: 0.3, gqa: "min" as const };
    const all = profileHeads(att, layoutOf(1), lookup, base);
    expect(profileHeads(att, layoutOf(1), lookup, { ...base, observe: n })).toEqual({ ...all, settings: { ...base, observe: n } });
    const last = profileHeads(att, layoutOf(1), lookup, { ...base, observe: 6 });
    expect(last.layers[0]![0]!.recovery.special).toBeLessThan(0.01);
    expect(all.layers[0]![0]!.recovery.special).toBeGreaterThan(0.6);
  });

  it("the budgeted curve scored on the last rows picks the window over an early heavy hitter", () => {
    // Rows 3..13 look at position 3 (not structural), the last six rows at themselves and the one before.
    const shifting = matrix((i, j) => (i < 14 ? (j === 3 || (i < 3 && j === 0) ? 1 : 1e-4) : i - j < 2 ? 1 : 1e-4));
    const a = promptAttentionFromMatrices([[shifting]], n);
    const curve = (observe?: number) =>
      recoveryCurve({
        attention: a,
        layer: 0,
        heads: [0],
        scores: groupColumnScores(a, 0, [0]),
        structural: structuralOrder(n, lookup, 1),
        gqa: "min",
        minWindowShare: 0,
        ...(observe ? { observe } : {}),
      });
    // One entry beyond the four structural ones: the heavy hitter over all rows, the newest token over the last six.
    expect(curve().heavy[5]).toBe(1);
    expect(curve(6).heavy[5]).toBe(0);
    expect(curve(6).window[5]).toBeGreaterThanOrEqual(1);
  });
});

describe("budgeted cache", () => {
  const TOKENS = Array.from({ length: n }, (_, p) => (p === 0 ? 1 : PUNCT.has(p) ? 5 : 7));
  const classes = {
    special: Uint8Array.from({ length: 10 }, (_, i) => (i === 1 ? 1 : 0)),
    punct: Uint8Array.from({ length: 10 }, (_, i) => (i === 5 ? 1 : 0)),
  };

  it("cuts each head to its profiled set after the prompt, then keeps round(kept · L / n) by the same ranking", () => {
    const s = compressionSettingsSchema.parse({ policy: "budgeted", compression: 0.5, sinks: 1 });
    const session = new CompressionSession(layoutOf(4), classes, s);
    const { cache } = session;
    const feed = (p: number, token: number, weight: (h: number, i: number, j: number) => number) => {
      cache.registerToken(p, token);
      for (let g = 0; g < 4; g++) {
        cache.append(0, g, p, new Float32Array(2).fill(p), new Float32Array(2));
        const view = cache.view(0, g);
        cache.afterAttention(0, g, p, [Float32Array.from(view.positions, (j) => weight(g, p, j))]);
      }
    };
    for (let p = 0; p < n; p++) feed(p, TOKENS[p]!, (g, i, j) => HEADS[NAMES[g]!][i * n + j]!);
    session.finishPrefill();
    const report = session.budget!;
    expect(report.layers[0]!.map((h) => h.kept)).toEqual(
      profileBudget(attentionOf(NAMES), layoutOf(4), lookup, settings(0.5)).layers[0]!.map((h) => h.kept),
    );
    expect(session.summary().afterPrefill).toBe(0.5);
    for (let g = 0; g < 4; g++) {
      const head = report.layers[0]![g]!;
      const expected = new Uint8Array(n);
      const scores = groupColumnScores(attentionOf(NAMES), 0, [g]);
      keepRanked(
        { positions: Int32Array.from({ length: n }, (_, j) => j), scores, length: n, current: n - 1, sinks: 1, ...lookup },
        head.kept,
        head.windowShare,
        expected,
      );
      expect(Array.from(cache.view(0, g).positions)).toEqual([...expected.keys()].filter((j) => expected[j]));
    }
    for (let p = n; p < 3 * n; p++) {
      feed(p, 7, (_g, i, j) => (j === i ? 0.5 : 0.5 / i));
      const want = report.layers[0]!.map((h) => (h.kept >= n ? p + 1 : scaleToLength(h.kept, p + 1, n)));
      expect([0, 1, 2, 3].map((g) => cache.view(0, g).length)).toEqual(want);
      // The newest token and the structural tokens stay.
      for (let g = 0; g < 4; g++) expect(Array.from(cache.view(0, g).positions)).toContain(0);
    }
  });
});
