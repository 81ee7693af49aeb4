/** Chart helpers and specs (rendering itself is covered end to end by the eval CLI test). */
import { describe, expect, it } from "vitest";
import { chooseHead } from "../../src/eval/attention-capture.ts";
import { runsOf } from "../../src/eval/charts/attention-map.ts";
import { paretoSpec } from "../../src/eval/charts/pareto.ts";
import { renderSvg } from "../../src/eval/charts/render.ts";
import { summarize } from "../../src/eval/aggregate.ts";
import { buildSettings } from "../../src/eval/settings.ts";
import { promptOutcome } from "./support/fake-outcomes.ts";

describe("runsOf", () => {
  it("merges consecutive positions into [start, end) runs", () => {
    expect(runsOf(Int32Array.from([0, 1, 2, 5, 7, 8]))).toEqual([
      [0, 3],
      [5, 6],
      [7, 9],
    ]);
    expect(runsOf([])).toEqual([]);
  });
});

describe("the compression-vs-quality picture", () => {
  it("draws every policy but the full-cache reference, with FastGen's thresholds as labels", async () => {
    const settings = buildSettings({
      thresholds: [0.9, 0.95],
      ratios: { local: [0.5], frequent: [], h2o: [0.2], streaming: [] },
      rLocal: 0.3,
      rFrequent: 0.3,
      gqa: "min",
      sinks: 4,
    });
    const fake = (c: number, kl: number) => ({ compression: c, kl });
    const prompts = [
      promptOutcome("a", {
        full: fake(0, 0),
        "fastgen T=0.9": fake(0.4, 0.01),
        "fastgen T=0.95": fake(0.3, 0.002),
        "local r=0.5": fake(0.7, 0.2),
        "h2o r=0.2": fake(0.6, 0.05),
      }),
    ];
    const svg = await renderSvg(paretoSpec(summarize(settings, prompts), "test"));
    expect(svg).toContain("T=0.95");
    expect(svg).toContain("h2o");
    expect(svg).not.toMatch(/>full</);
  });
});

describe("chooseHead (the attention picture's head)", () => {
  const layout = { nLayers: 2, nHeads: 8, nKvHeads: 4, headDim: 8 };
  it("takes the first KV head on the most telling policy, and its first query head", () => {
    const policies = [
      ["full", "special+punct+frequent+local", "full", "full"],
      ["special+punct", "full", "special+punct+frequent+local", "special+punct+frequent"],
    ];
    expect(chooseHead(layout, policies)).toEqual({ layer: 1, head: 6 });
    expect(chooseHead(layout, [["full", "special+punct+frequent+local", "full", "full"]])).toEqual({ layer: 0, head: 2 });
  });
  it("honours a requested head", () => {
    expect(chooseHead(layout, [["full"]], { layer: 1, head: 3 })).toEqual({ layer: 1, head: 3 });
  });
});
