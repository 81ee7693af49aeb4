/**
 * The gpu path against the golden logits of an independent C implementation (test/support/shared.ts),
 * in every available mode: every row within 1e-4 (max abs) and with the same argmax.
 * Prefill covers all rows of all three cases; per-token forward covers "once" (its first 64 rows on
 * headlessgl, where a decode step costs ~30 ms on the software rasterizer).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { compareLogits } from "../support/compare.ts";
import { golden, goldenNames, stories260K } from "../support/shared.ts";
import { describeEachMode } from "./support.ts";

const model = stories260K();
const TOLERANCE = 1e-4;

function expectGolden(logits: readonly Float32Array[], name: string): void {
  const g = golden(name);
  const cmp = compareLogits(logits, g.logits, g.vocabSize);
  expect(cmp.maxAbsDiff, name).toBeLessThanOrEqual(TOLERANCE);
  expect(cmp.argmaxMismatches, `${name}: rows whose argmax differs`).toEqual([]);
  expect(cmp.maxAbsDiff).toBeGreaterThan(0); // float32 on another machine never matches bit for bit; 0 would mean we compared nothing
}

describeEachMode("golden logits", (mode) => {
  let gpu: GpuBackend;
  beforeAll(() => {
    gpu = new GpuBackend(model, { mode });
  });
  afterAll(() => gpu.dispose());

  it.each(goldenNames)("prefill: %s", (name) => {
    const g = golden(name);
    const logits = gpu.prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(model.config)));
    expect(logits).toHaveLength(g.rows);
    expectGolden(logits, name);
  });

  it("per-token forward: once", () => {
    const g = golden("once");
    const rows = mode === "headlessgl" ? 64 : g.rows;
    const cache = new FullKvCache(kvLayoutOf(model.config));
    const logits = g.tokens.slice(0, rows).map((t, i) => gpu.forward(t, i, cache));
    expectGolden(logits, "once");
  });
});
