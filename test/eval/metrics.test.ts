/** The metric functions of spec §10 on hand-made distributions. */
import { describe, expect, it } from "vitest";
import { compareRow, freeRunningAgreement, klFromLogProbs, logSoftmaxF64, summarizeRows } from "../../src/eval/metrics.ts";

const logits = (xs: number[]) => Float32Array.from(xs);

describe("logSoftmaxF64", () => {
  it("gives log-probabilities that sum to 1 and ignore a constant shift", () => {
    const a = logSoftmaxF64(logits([1, 2, 3, -4]));
    const b = logSoftmaxF64(logits([101, 102, 103, 96]));
    expect(Array.from(a).reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 14);
    a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 12));
  });

  it("stays finite for huge logits", () => {
    const a = logSoftmaxF64(logits([1e30, 0, -1e30]));
    expect(a[0]).toBe(0);
    expect(Number.isFinite(a[2]!)).toBe(true);
  });
});

describe("KL(p ‖ q)", () => {
  it("is exactly 0 for identical distributions", () => {
    const l = logSoftmaxF64(logits([0.3, -1.2, 2.5, 0, 0.7]));
    expect(klFromLogProbs(l, Float64Array.from(l))).toBe(0);
  });

  it("matches the closed form and is not symmetric", () => {
    const p = Float64Array.from([0.5, 0.5].map(Math.log));
    const q = Float64Array.from([0.9, 0.1].map(Math.log));
    expect(klFromLogProbs(p, q)).toBeCloseTo(0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1), 14);
    expect(klFromLogProbs(q, p)).toBeCloseTo(0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5), 14);
    expect(klFromLogProbs(p, q)).not.toBeCloseTo(klFromLogProbs(q, p), 3);
  });

  it("is positive for different distributions and skips zero-probability terms", () => {
    const p = Float64Array.from([0, -Infinity]);
    const q = Float64Array.from([Math.log(0.25), Math.log(0.75)]);
    expect(klFromLogProbs(p, q)).toBeCloseTo(Math.log(4), 14);
  });

  it("rejects distributions of different sizes", () => {
    expect(() => klFromLogProbs(new Float64Array(3), new Float64Array(4))).toThrow(/differ in size/);
  });
});

describe("compareRow", () => {
  it("of a row with itself: KL 0, argmax agrees, equal log-likelihoods", () => {
    const row = logits([0.1, 3, -2, 1]);
    const r = compareRow(row, Float32Array.from(row), 1);
    expect(r).toEqual({ kl: 0, top1: true, logpFull: r.logpCompressed, logpCompressed: r.logpCompressed });
    expect(r.logpFull).toBeLessThan(0);
  });

  it("notices a different argmax and a lower likelihood of the forced token", () => {
    const r = compareRow(logits([0, 5, 0]), logits([5, 0, 0]), 1);
    expect(r.top1).toBe(false);
    expect(r.kl).toBeGreaterThan(1);
    expect(r.logpCompressed).toBeLessThan(r.logpFull);
  });

  it("rejects a forced token outside the vocabulary", () => {
    expect(() => compareRow(logits([0, 1]), logits([0, 1]), 2)).toThrow(/outside the vocabulary/);
  });
});

describe("summarizeRows", () => {
  it("averages KL, counts agreement and takes the log-likelihood ratio", () => {
    const s = summarizeRows([
      { kl: 0.2, top1: true, logpFull: -1, logpCompressed: -1.5 },
      { kl: 0.4, top1: false, logpFull: -2, logpCompressed: -2.1 },
    ]);
    expect(s.rows).toBe(2);
    expect(s.kl).toBeCloseTo(0.3, 15);
    expect(s.klMax).toBe(0.4);
    expect(s.top1).toBe(0.5);
    expect(s.llr).toBeCloseTo(-0.3, 15);
  });

  it("refuses an empty run", () => {
    expect(() => summarizeRows([])).toThrow(/no rows/);
  });
});

describe("freeRunningAgreement", () => {
  it("of identical runs is 1 with the whole run as common prefix", () => {
    expect(freeRunningAgreement([5, 6, 7, 8], [5, 6, 7, 8])).toEqual({ agreement: 1, commonPrefix: 4 });
  });

  it("counts equal positions after a divergence and stops the prefix at the first difference", () => {
    expect(freeRunningAgreement([1, 2, 3, 4, 5], [1, 2, 9, 4, 9])).toEqual({ agreement: 0.6, commonPrefix: 2 });
    expect(freeRunningAgreement([1, 2], [3, 2])).toEqual({ agreement: 0.5, commonPrefix: 0 });
  });

  it("rejects runs of different lengths or empty runs", () => {
    expect(() => freeRunningAgreement([1, 2], [1])).toThrow(/differ in length/);
    expect(() => freeRunningAgreement([], [])).toThrow(/nothing/);
  });
});
