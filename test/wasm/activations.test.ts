/**
 * `activations: "ggml"` end to end (reference/activations.ts): on every backend the logits move
 * away from the float run (the rounding really happens), the wasm backend gives the same bytes on
 * 1 and 2 threads, and wasm and gpu stay near the reference. "Near", not within 1e-4 as in float
 * mode: a float32 sum that ends an ulp apart can move an 8-bit input across a rounding step, which
 * then moves the later layers (docs/models.md); the comparison with llama.cpp is test/peer.
 */
import { describe, expect, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { type Backend, kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { synthLike } from "../../src/model/families.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import type { LlamaModel } from "../../src/model/types.ts";

const VOCAB = 1024;
const run = (backend: Backend, model: LlamaModel, tokens: number[]) => {
  const rows = backend.prefill(tokens, 0, new FullKvCache(kvLayoutOf(model.config)));
  backend.dispose();
  return rows;
};
function meanKl(a: Float32Array[], b: Float32Array[]): number {
  const p = (l: Float32Array) => {
    const m = Math.max(...l);
    const e = Float64Array.from(l, (v) => Math.exp(v - m));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  };
  let kl = 0;
  a.forEach((row, i) => {
    const pa = p(row);
    const pb = p(b[i]!);
    for (let j = 0; j < pa.length; j++) if (pa[j]! > 0) kl += (pa[j]! * Math.log(pa[j]! / Math.max(pb[j]!, 1e-300))) / a.length;
  });
  return kl;
}

describe.each([
  ["tinyllama-1.1b", "Q5_1"],
  ["tinyllama-1.1b", "Q4_0"],
  ["smollm2-135m", "Q4_K_M"],
  ["qwen3-0.6b", "BF16"],
  ["qwen2.5-0.5b", "Q5_K_M"], // Q5_1 queries/keys beside Q8_0 values: gpu.js's mixed stack (GpuBackend.mixedProduct)
] as const)("%s %s with activations ggml", (family, type) => {
  const file = loadModelFromBytes(synthLike(family, { layers: 1, vocabSize: VOCAB, type, seed: 5 }), `<${family} ${type}>`);
  const model: LlamaModel = { ...file, activations: "ggml" };
  const tokens = Array.from({ length: 12 }, (_, i) => (i * 97 + 3) % VOCAB);
  const reference = run(new ReferenceTransformer(model), model, tokens);

  it("moves the reference's logits away from the float run", () => {
    const float = run(new ReferenceTransformer(file), file, tokens);
    expect(meanKl(float, reference)).toBeGreaterThan(1e-7);
  });

  it("wasm: the same bytes on 1 and 2 threads, mean KL to the reference ≤ 1e-3, the same argmax on ≥ 90% of rows", () => {
    const one = run(new WasmBackend(model, { threads: 1 }), model, tokens);
    const two = run(new WasmBackend(model, { threads: 2, minParallelWork: 0 }), model, tokens);
    one.forEach((row, i) => expect(Buffer.from(row.buffer).equals(Buffer.from(two[i]!.buffer)), `row ${i}`).toBe(true));
    expect(meanKl(reference, one)).toBeLessThanOrEqual(1e-3);
    const argmax = (r: Float32Array) => r.indexOf(Math.max(...r));
    expect(one.filter((r, i) => argmax(r) === argmax(reference[i]!)).length).toBeGreaterThanOrEqual(0.9 * tokens.length);
  });

  it("gpu: mean KL to the reference ≤ 1e-3", () => {
    expect(meanKl(reference, run(new GpuBackend(model), model, tokens))).toBeLessThanOrEqual(1e-3);
  });
});
