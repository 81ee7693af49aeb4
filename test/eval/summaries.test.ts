/** Summaries over prompts, matching at equal compression, and the stability study, on hand-made outcomes. */
import { describe, expect, it } from "vitest";
import { stat, summarize } from "../../src/eval/aggregate.ts";
import { byLength } from "../../src/eval/by-length.ts";
import { interpolateAt, matchAtFastgen } from "../../src/eval/matched.ts";
import { buildSettings } from "../../src/eval/settings.ts";
import { headStability, recoveryDrift, stabilityOf } from "../../src/eval/stability.ts";
import { head, promptOutcome, smallSweep } from "./support/fake-outcomes.ts";

describe("stat", () => {
  it("gives the mean, the 95% half-interval of the mean, min and max", () => {
    const s = stat([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.ci95).toBeCloseTo((1.96 * Math.sqrt(5 / 3)) / 2, 12);
    expect([s.min, s.max]).toEqual([1, 4]);
    expect(stat([7]).ci95).toBe(0);
    expect(() => stat([])).toThrow();
  });
});

describe("interpolateAt", () => {
  const pts = [
    { x: 0.6, y: 0.3 },
    { x: 0.2, y: 0.1 },
    { x: 0.4, y: 0.5 },
  ];
  it("reads the piecewise-linear curve through unsorted points", () => {
    expect(interpolateAt(pts, 0.4)).toBe(0.5);
    expect(interpolateAt(pts, 0.3)).toBeCloseTo(0.3, 12);
    expect(interpolateAt(pts, 0.5)).toBeCloseTo(0.4, 12);
    expect(interpolateAt(pts, 0.2)).toBe(0.1);
    expect(interpolateAt(pts, 0.6)).toBe(0.3);
  });
  it("has no value outside the points' range", () => {
    expect(interpolateAt(pts, 0.19)).toBeUndefined();
    expect(interpolateAt(pts, 0.61)).toBeUndefined();
    expect(interpolateAt([], 0.5)).toBeUndefined();
  });
});

describe("matchAtFastgen", () => {
  const settings = smallSweep();
  const ids = settings.map((s) => s.id);
  expect(ids).toEqual(["fastgen T=0.95", "h2o r=0.1", "h2o r=0.2", "h2o r=0.3"]);
  // h2o: compression 0.8 / 0.6 / 0.4 with KL 0.3 / 0.2 / 0.1; FastGen at 0.5.
  const prompts = [
    promptOutcome("a", {
      "fastgen T=0.95": { compression: 0.5, kl: 0.1 },
      "h2o r=0.1": { compression: 0.8, kl: 0.3 },
      "h2o r=0.2": { compression: 0.6, kl: 0.2 },
      "h2o r=0.3": { compression: 0.4, kl: 0.1 },
    }),
    promptOutcome("b", {
      "fastgen T=0.95": { compression: 0.5, kl: 0.2 },
      "h2o r=0.1": { compression: 0.8, kl: 0.3 },
      "h2o r=0.2": { compression: 0.6, kl: 0.2 },
      "h2o r=0.3": { compression: 0.4, kl: 0.1 },
    }),
    promptOutcome("c", {
      "fastgen T=0.95": { compression: 0.9, kl: 0.0 },
      "h2o r=0.1": { compression: 0.8, kl: 0.3 },
      "h2o r=0.2": { compression: 0.6, kl: 0.2 },
      "h2o r=0.3": { compression: 0.4, kl: 0.1 },
    }),
  ];
  const summaries = summarize(settings, prompts);

  it("summarizes each setting over the prompts", () => {
    const fg = summaries.find((s) => s.setting === "fastgen T=0.95")!;
    expect(fg.prompts).toBe(3);
    expect(fg.stats.kl.mean).toBeCloseTo(0.1, 12);
    expect(fg.stats.compressionMean.mean).toBeCloseTo(0.6333333333, 8);
    expect(fg.stats.byteSaving.mean).toBeCloseTo(0.6333333333, 8);
  });

  it("reads each baseline at FastGen's mean compression and counts per-prompt KL wins", () => {
    const [row] = matchAtFastgen(settings, summaries, prompts, ["h2o", "local"]);
    expect(row!.threshold).toBe(0.95);
    expect(row!.compression).toBeCloseTo(0.6333333333, 8);
    expect(row!.fastgen.kl).toBeCloseTo(0.1, 12);
    expect(row!.baselines.map((b) => b.policy)).toEqual(["h2o"]);
    const h2o = row!.baselines[0]!;
    expect(h2o.values.kl).toBeCloseTo(0.2 + (0.1 * (0.6333333333 - 0.6)) / 0.2, 8);
    expect(h2o.range[0]).toBeCloseTo(0.4, 12);
    expect(h2o.range[1]).toBeCloseTo(0.8, 12);
    // a: 0.1 < 0.15 (win); b: 0.2 > 0.15 (loss); c: FastGen at 0.9 is beyond the sweep (not matched).
    expect(h2o.klWins).toEqual({ fastgen: 1, baseline: 1, matched: 2 });
    expect(h2o.nearest).toBeUndefined();
  });

  it("leaves a baseline unmatched when its sweep does not reach FastGen's compression", () => {
    const far = prompts.map((p) => ({
      ...p,
      outcomes: p.outcomes.map((o) => (o.setting.startsWith("fastgen") ? { ...o, compression: { ...o.compression, mean: 0.95 } } : o)),
    }));
    const [row] = matchAtFastgen(settings, summarize(settings, far), far, ["h2o"]);
    expect(row!.baselines[0]!.values).toEqual({});
    expect(row!.baselines[0]!.nearest?.setting).toBe("h2o r=0.1");
    expect(row!.baselines[0]!.nearest!.compression).toBeCloseTo(0.8, 12);
    expect(row!.baselines[0]!.nearest!.values.kl).toBeCloseTo(0.3, 12);
  });
});

describe("stability", () => {
  it("counts a head's policies, its mode and the chance two prompts agree", () => {
    const h = headStability(1, 2, ["full", "special", "full", "special+punct"]);
    expect(h.counts).toMatchObject({ full: 2, special: 1, "special+punct": 1, "special+punct+frequent": 0 });
    expect(h.mode).toBe("full");
    expect(h.modeShare).toBe(0.5);
    expect(h.pairAgreement).toBeCloseTo(2 / 12, 12);
    expect(headStability(0, 0, ["special", "special"]).pairAgreement).toBe(1);
    expect(() => headStability(0, 0, ["h2o"])).toThrow(/not a FastGen candidate/);
  });

  it("compares profiled and end recoveries of the heads not on full", () => {
    const d = recoveryDrift([head(0, 0, "special", 0.96, 0.9), head(0, 1, "special+punct", 0.98, 0.97), head(1, 0, "full", 1, 1)], 0.95);
    expect(d.heads).toBe(2);
    expect(d.profile).toBeCloseTo(0.97, 12);
    expect(d.end).toBeCloseTo(0.935, 12);
    expect(d.endReachesT).toBe(0.5);
  });

  it("builds per-head agreement and per-layer shares over prompts", () => {
    const settings = buildSettings({
      thresholds: [0.9],
      ratios: { local: [], frequent: [], h2o: [], streaming: [] },
      rLocal: 0.3,
      rFrequent: 0.3,
      gqa: "min",
      sinks: 4,
    });
    const heads = (p: string) => [
      head(0, 0, p, 0.95, 0.9),
      head(0, 1, "full", 1, 1),
      head(1, 0, "special", 0.99, 0.99),
      head(1, 1, "special", 0.92, 0.8),
    ];
    const prompts = [
      promptOutcome("a", { full: { compression: 0, kl: 0 }, "fastgen T=0.9": { compression: 0.3, kl: 0.1, heads: heads("special") } }),
      promptOutcome("b", {
        full: { compression: 0, kl: 0 },
        "fastgen T=0.9": { compression: 0.3, kl: 0.1, heads: heads("special+punct") },
      }),
    ];
    const [s] = stabilityOf(settings, prompts);
    expect(s!.threshold).toBe(0.9);
    expect(s!.heads.map((h) => h.modeShare)).toEqual([0.5, 1, 1, 1]);
    expect(s!.pairAgreement).toBe(0.75);
    expect(s!.layerShares[0]).toMatchObject({ special: 0.25, "special+punct": 0.25, full: 0.5 });
    expect(s!.layerShares[1]).toMatchObject({ special: 1, full: 0 });
    expect(s!.recovery.heads).toBe(6);
    expect(s!.recovery.endReachesT).toBeCloseTo(4 / 6, 12);
  });
});

describe("byLength", () => {
  it("splits prompts into length bands with their own compression, KL, drift and wins", () => {
    const settings = smallSweep();
    const h2o = {
      "h2o r=0.1": { compression: 0.8, kl: 0.3 },
      "h2o r=0.2": { compression: 0.6, kl: 0.2 },
      "h2o r=0.3": { compression: 0.4, kl: 0.1 },
    };
    const heads = [head(0, 0, "special+punct+frequent+local", 0.97, 0.9), head(0, 1, "full", 1, 1)];
    const short = { ...promptOutcome("s", { "fastgen T=0.95": { compression: 0.5, kl: 0.1, heads }, ...h2o }), promptTokens: 12 };
    const long = { ...promptOutcome("l", { "fastgen T=0.95": { compression: 0.5, kl: 0.2, heads }, ...h2o }), promptTokens: 300 };
    const bands = byLength(settings, [short, long], settings[0]!, ["h2o", "local"]);
    expect(bands.map((b) => [b.band, b.prompts])).toEqual([
      ["0–39", 1],
      ["≥ 220", 1],
    ]);
    expect(bands[0]!.kl).toBe(0.1);
    expect(bands[0]!.klWins).toEqual({ h2o: { fastgen: 1, baseline: 0, matched: 1 } });
    expect(bands[1]!.klWins).toEqual({ h2o: { fastgen: 0, baseline: 1, matched: 1 } });
    expect(bands[0]!.recovery).toMatchObject({ heads: 1, profile: 0.97, end: 0.9, endReachesT: 0 });
  });
});
