/**
 * The wasm backend against the golden logits of an independent C implementation (stories260K
 * GGUF and BabyLlama tok105 llama2.c, F32): every row within 1e-4 (max abs) and the same argmax,
 * by prefill and (stories260K) by per-token forward;
 * and prefill equals per-token forward bit for bit (one summation order, kernels/wasm/assembly).
 */
import { expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { compareLogits } from "../support/compare.ts";
import { loadModel } from "../../src/model/load.ts";
import { babyLlamaPath, golden, goldenNames, stories260K } from "../support/shared.ts";

const model = stories260K();
const TOLERANCE = 1e-4;
const wasm = new WasmBackend(model, { maxChunkRows: 24 }); // chunks of 24: prompts cross chunk boundaries

function expectGolden(logits: readonly Float32Array[], name: string): void {
  const g = golden(name);
  const cmp = compareLogits(logits, g.logits, g.vocabSize);
  expect(cmp.maxAbsDiff, name).toBeLessThanOrEqual(TOLERANCE);
  expect(cmp.argmaxMismatches, `${name}: rows whose argmax differs`).toEqual([]);
  expect(cmp.maxAbsDiff).toBeGreaterThan(0); // 0 would mean we compared nothing
}

it.each(goldenNames)("prefill: %s", (name) => {
  const g = golden(name);
  const logits = wasm.prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(model.config)));
  expect(logits).toHaveLength(g.rows);
  expectGolden(logits, name);
});

it.each(["once", "quotes"])("BabyLlama tok105 (llama2.c checkpoint, head size 16), prefill on 2 threads: %s", (name) => {
  const baby = loadModel(babyLlamaPath);
  const g = golden(name, "babyllama105");
  const backend = new WasmBackend(baby, { threads: 2, minParallelWork: 0 });
  const cmp = compareLogits(
    backend.prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(baby.config), backend.kvStorage)),
    g.logits,
    g.vocabSize,
  );
  backend.dispose();
  expect(cmp.rows).toBe(g.rows);
  expect(cmp.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
  expect(cmp.argmaxMismatches).toEqual([]);
});

it("per-token forward: once, and prefill gives the same bytes", () => {
  const g = golden("once");
  const cache = new FullKvCache(kvLayoutOf(model.config));
  const logits = g.tokens.slice(0, g.rows).map((t, i) => wasm.forward(t, i, cache));
  expectGolden(logits, "once");
  const prefilled = wasm.prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(model.config)));
  prefilled.forEach((row, i) => expect(Buffer.from(row.buffer).equals(Buffer.from(logits[i]!.buffer)), `row ${i}`).toBe(true));
});

it("prefillLast returns prefill's last row, bit for bit, with the same cache contents", () => {
  const g = golden("long");
  const all = new FullKvCache(kvLayoutOf(model.config));
  const lastOnly = new FullKvCache(kvLayoutOf(model.config));
  const rows = wasm.prefill(g.promptTokens, 0, all);
  const last = wasm.prefillLast(g.promptTokens, 0, lastOnly);
  expect(Buffer.from(last.buffer).equals(Buffer.from(rows.at(-1)!.buffer))).toBe(true);
  expect(Buffer.from(lastOnly.view(3, 2).values.slice().buffer).equals(Buffer.from(all.view(3, 2).values.slice().buffer))).toBe(true);
});

it("names itself and rejects tokens outside the vocabulary", () => {
  expect(wasm.name).toMatch(/^wasm/);
  expect(() => wasm.forward(model.config.vocabSize, 0, new FullKvCache(kvLayoutOf(model.config)))).toThrow(/outside the vocabulary/);
});

it("is what `auto` (the CLI's and the API's default backend) creates; `reference` stays the oracle", async () => {
  const { createBackend } = await import("../../src/create-backend.ts");
  expect((await createBackend(model, { backend: "auto", gpuMode: "auto" })).name).toMatch(/^wasm/);
  expect((await createBackend(model, { backend: "reference", gpuMode: "auto" })).name).toBe("reference");
  // A head size the kernels do not take (not a multiple of 4): auto falls back to the reference, wasm says why.
  const { SYNTH_SHAPES, synthModel } = await import("../../src/model/synth.ts");
  const odd = synthModel({ ...SYNTH_SHAPES.tiny, dim: 36, nHeads: 6, nKvHeads: 6 }, 1);
  expect((await createBackend(odd, { backend: "auto", gpuMode: "auto" })).name).toBe("reference");
  await expect(createBackend(odd, { backend: "wasm", gpuMode: "auto" })).rejects.toThrow(/head size that is a multiple of 4, got 6/);
});
