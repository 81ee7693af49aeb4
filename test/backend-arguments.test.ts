/**
 * Every backend answers a bad call the same way, before any math (src/interfaces.ts
 * checkRunArguments): the reference as strictly as the kernels. gpu.js runs in its `cpu` mode,
 * which needs no display.
 */
import { afterAll, describe, expect, it } from "vitest";
import { GpuBackend } from "../kernels/gpu/gpu-backend.ts";
import { WasmBackend } from "../kernels/wasm/backend.ts";
import { ReferenceTransformer } from "../reference/transformer.ts";
import { type Backend, inChunks, kvLayoutOf } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { stories260K } from "./support/shared.ts";

const model = stories260K();
const c = model.config;
const backends: Backend[] = [new ReferenceTransformer(model), new WasmBackend(model), new GpuBackend(model, { mode: "cpu" })];
afterAll(() => backends.forEach((b) => b.dispose()));
const cache = () => new FullKvCache(kvLayoutOf(c));

describe.each(backends.map((b) => [b.name, b] as const))("%s", (_, backend) => {
  it.each([
    ["an id past the vocabulary", [1, c.vocabSize], 0, /token id 512 is outside the vocabulary \(0\.\.511\)/],
    ["a negative id", [-1], 0, /token id -1 is outside the vocabulary/],
    ["a fractional id", [1.5], 0, /token id 1\.5 is outside the vocabulary/],
    ["a negative start", [1], -1, /start position -1 is not a non-negative integer/],
    ["a fractional start", [1], 0.5, /start position 0\.5 is not a non-negative integer/],
  ])("refuses %s", (_, tokens, start, message) => {
    const kv = cache();
    expect(() => backend.prefill(tokens, start, kv)).toThrow(message);
    expect(kv.view(0, 0).length, "nothing was appended").toBe(0);
  });

  it("refuses a cache laid out for another model", () => {
    const wrong = new FullKvCache({ ...kvLayoutOf(c), nLayers: c.nLayers + 1 });
    expect(() => backend.forward(1, 0, wrong)).toThrow(/the KV cache layout does not match the model/);
  });
});

it("inChunks covers the prompt in order, the last chunk flagged", () => {
  const seen = inChunks([10, 11, 12, 13, 14], 7, 2, (chunk, at, last) => `${at}:${chunk.join(",")}${last ? "!" : ""}`);
  expect(seen).toEqual(["7:10,11", "9:12,13", "11:14!"]);
  expect(inChunks([1, 2], 0, 2, (chunk, at, last) => [at, chunk.length, last])).toEqual([[0, 2, true]]);
});
