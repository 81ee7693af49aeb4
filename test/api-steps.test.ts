import { describe, expect, it } from "vitest";
import { type DecodeStep, openFastGen } from "../src/index.ts";

const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";

describe("generate's onStep observer", () => {
  it("sees every fed token's attention and what the cache kept, without changing the text or the figures", async () => {
    const fg = await openFastGen();
    const options = { policy: "fastgen" as const, threshold: 0.9, maxTokens: 24 };
    let plain = "";
    for await (const piece of fg.generate(PROMPT, options)) plain += piece.text;
    const plainStats = fg.stats!;

    const steps: DecodeStep[] = [];
    const pieces: { token: number; position: number }[] = [];
    let watched = "";
    for await (const piece of fg.generate(PROMPT, { ...options, onStep: (s) => steps.push(s) })) {
      // The step of the previous piece is reported before this piece is yielded.
      expect(steps.length).toBe(pieces.length);
      pieces.push(piece);
      watched += piece.text;
    }
    const stats = fg.stats!;
    expect(watched).toBe(plain);
    expect(stats.compression).toEqual(plainStats.compression);
    expect(stats.kvBytes).toEqual(plainStats.kvBytes);

    // Every generated token but the last is fed back: one step each, in order.
    expect(steps.map((s) => [s.token, s.position])).toEqual(pieces.slice(0, -1).map((p) => [p.token, p.position]));
    const { nLayers, nKvHeads, nHeads } = fg.model.config;
    const group = nHeads / nKvHeads;
    let meanCompression = 0;
    for (const step of steps) {
      expect(step.heads).toHaveLength(nLayers * nKvHeads);
      step.heads.forEach((h, i) => {
        expect([h.layer, h.kvHead]).toEqual([Math.floor(i / nKvHeads), i % nKvHeads]);
        // The token attends over what was held plus itself; the policy keeps a subset.
        expect(h.positions[h.positions.length - 1]).toBe(step.position);
        expect(h.probs).toHaveLength(group);
        for (const row of h.probs) {
          expect(row).toHaveLength(h.positions.length);
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        }
        const attended = new Set(h.positions);
        expect([...h.kept].every((p) => attended.has(p))).toBe(true);
      });
      const kept = step.heads.reduce((a, h) => a + h.kept.length, 0);
      expect(step.footprint.kept).toBe(kept);
      expect(step.footprint.length).toBe(step.position + 1);
      meanCompression += step.footprint.compression / steps.length;
    }
    // The per-step footprints are the ones the session averages (spec §8).
    expect(meanCompression).toBeCloseTo(stats.compression.mean, 12);
    expect(steps[steps.length - 1]!.footprint.compression).toBeCloseTo(stats.compression.final, 12);
    // At T = 0.9 this prompt compresses: some head drops positions it attended over.
    expect(steps.some((s) => s.heads.some((h) => h.kept.length < h.positions.length))).toBe(true);
    // A head the profile left on full keeps everything.
    const policies = stats.policies;
    const fullHead = steps[0]!.heads.find((h) => policies[h.layer]![h.kvHead] === "full");
    if (fullHead) expect(fullHead.kept).toEqual(fullHead.positions);
  });
});
