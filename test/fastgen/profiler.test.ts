/** The profiler on hand-built attention matrices whose right policy is known (spec §4). */
import { describe, expect, it } from "vitest";
import { CANDIDATE_NAMES } from "../../src/fastgen/candidates.ts";
import { profileHeads } from "../../src/fastgen/profiler.ts";
import { type GqaReduction, promptAttentionFromMatrices, type TokenClassLookup } from "../../src/fastgen/prompt-attention.ts";

const n = 20;
// Position 0 is BOS (special); positions 5, 10, 15 are punctuation.
const PUNCT = new Set([5, 10, 15]);
const classes: TokenClassLookup = { isSpecial: (p) => p === 0, isPunct: (p) => PUNCT.has(p) };
const settings = (threshold: number, gqa: GqaReduction = "min") => ({ threshold, rLocal: 0.3, rFrequent: 0.3, gqa });

/** A causal n×n matrix from a weighting function, each row normalised over j ≤ i. */
function matrix(weight: (i: number, j: number) => number): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j <= i; j++) sum += weight(i, j);
    for (let j = 0; j <= i; j++) m[i * n + j] = weight(i, j) / sum;
  }
  return m;
}

const HEADS = {
  bosSink: matrix((_, j) => (j === 0 ? 1 : 1e-4)),
  punctuation: matrix((_, j) => (j === 0 ? 0.2 : PUNCT.has(j) ? 1 : 1e-4)),
  // Heavy hitters at columns 3, 7, 12 (neither special nor punctuation); rows before 3 fall back to BOS.
  heavyHitter: matrix((i, j) => ([3, 7, 12].includes(j) ? 1 : j === 0 && i < 3 ? 1 : 1e-4)),
  // A diagonal band: each row looks at itself and the two before.
  local: matrix((i, j) => (i - j < 3 ? 1 : 1e-4)),
  uniform: matrix(() => 1),
};

/** One layer, one KV head per query head (no GQA), heads in the order given. */
function profileOf(names: (keyof typeof HEADS)[], threshold: number) {
  const attention = promptAttentionFromMatrices([names.map((k) => HEADS[k])], n);
  const layout = { nLayers: 1, nHeads: names.length, nKvHeads: names.length, headDim: 2 };
  return profileHeads(attention, layout, classes, settings(threshold));
}

describe("profiler on hand-built heads", () => {
  const names = Object.keys(HEADS) as (keyof typeof HEADS)[];
  const report = profileOf(names, 0.95);
  const policy = (k: keyof typeof HEADS) => report.layers[0]![names.indexOf(k)]!.policy;

  it("picks the policy each head's pattern calls for", () => {
    expect(policy("bosSink")).toBe("special");
    expect(policy("punctuation")).toBe("special+punct");
    expect(policy("heavyHitter")).toBe("special+punct+frequent");
    expect(policy("local")).toBe("special+punct+frequent+local");
    expect(policy("uniform")).toBe("full");
  });

  it("keeps every candidate's recovery, non-decreasing along the candidate order, full = 1", () => {
    for (const head of report.layers[0]!) {
      const r = CANDIDATE_NAMES.map((c) => head.recovery[c]);
      for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThanOrEqual(r[i - 1]! - 1e-12);
      expect(head.recovery.full).toBe(1);
    }
  });

  it("computes recovery as the plain retained mass of spec §4", () => {
    // BOS-sink head, `special`: row i keeps column 0 only: mass 1/(1 + i·1e-4), averaged over rows.
    let expected = 0;
    for (let i = 0; i < n; i++) expected += Math.fround(1 / (1 + i * 1e-4));
    expect(report.layers[0]![0]!.recovery.special).toBeCloseTo(expected / n, 6);
    // Sizes: w = k = floorMin1(0.3 · 20) = 6.
    expect(report.sizes).toMatchObject({ window: 6, frequentK: 6 });
  });

  it("T = 0 puts every head on special; T above every non-full recovery puts every head on full", () => {
    expect(profileOf(names, 0).layers[0]!.every((h) => h.policy === "special")).toBe(true);
    const maxNonFull = Math.max(...report.layers[0]!.flatMap((h) => CANDIDATE_NAMES.slice(0, 4).map((c) => h.recovery[c])));
    expect(profileOf(names, maxNonFull + 1e-9).layers[0]!.every((h) => h.policy === "full")).toBe(true);
  });
});

describe("GQA reduction", () => {
  // One KV head shared by a BOS-sink query head and a uniform one.
  const attention = promptAttentionFromMatrices([[HEADS.bosSink, HEADS.uniform]], n);
  const layout = { nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 2 };

  it("min makes every query head meet T; mean averages them", () => {
    const byMin = profileHeads(attention, layout, classes, settings(0.95, "min")).layers[0]![0]!;
    const byMean = profileHeads(attention, layout, classes, settings(0.95, "mean")).layers[0]![0]!;
    expect(byMin.queryHeads.map((q) => q.head)).toEqual([0, 1]);
    for (const c of CANDIDATE_NAMES) {
      const [a, b] = byMin.queryHeads.map((q) => q.recovery[c]);
      expect(byMin.recovery[c]).toBe(Math.min(a!, b!));
      expect(byMean.recovery[c]).toBeCloseTo((a! + b!) / 2, 12);
    }
    // The uniform head needs the full cache at 0.95 (SPFL recovers ~0.91); on average the group does not.
    expect(byMin.policy).toBe("full");
    expect(byMean.policy).toBe("special+punct+frequent+local");
  });

  it("ranks frequent columns by the group's summed column scores (spec §12.1)", () => {
    // Head A's heavy hitters are 3, 7, 12; head B puts huge weight on 14 and 16 late. One shared F.
    const b = matrix((i, j) => ((j === 14 || j === 16) && i > 16 ? 50 : 1e-4));
    const att = promptAttentionFromMatrices([[HEADS.heavyHitter, b]], n);
    const r = profileHeads(att, layout, classes, settings(0.5, "mean")).layers[0]![0]!;
    // With k = 6 from the sum, both heads' hitters fit, so both heads recover most of their mass.
    expect(r.queryHeads[0]!.recovery["special+punct+frequent"]).toBeGreaterThan(0.9);
    expect(r.queryHeads[1]!.recovery["special+punct+frequent"]).toBeGreaterThan(0.1);
  });
});
