/**
 * The gpu.js backend on every architecture reference/transformer.ts reads (synth --like files):
 * Llama 3's RoPE frequency factors, Qwen's NEOX RoPE, Qwen2's Q/K/V biases, Qwen3's per-head Q/K
 * norms and its query width (16 × 128) above dim (1024). Held to the reference's logits; llama.cpp
 * holds both in test/peer/llama-cpp.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { FAMILIES, FAMILY_NAMES, type FamilyName, synthLike } from "../../src/model/families.ts";
import { loadModelFromBytes } from "../../src/model/from-bytes.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { resolveMode } from "../../kernels/gpu/modes.ts";
import { maxAbsDiff } from "./support.ts";

const tokens = [1, 5, 9, 200, 7, 3, 100, 42];
const open = (family: FamilyName, narrow: boolean, layers: number) =>
  loadModelFromBytes(synthLike(family, { layers, vocabSize: 512, type: "F32", seed: 1, narrow }), `${family}.gguf`);

/** Max |gpu − reference| over the rows' logits, by prefill and by forward per token, and the largest |logit|. */
function compare(model: LlamaModel, gpu: GpuBackend): { prefill: number; forward: number; scale: number } {
  const layout = kvLayoutOf(model.config);
  const want = new ReferenceTransformer(model).prefill(tokens, 0, new FullKvCache(layout));
  const batch = gpu.prefill(tokens, 0, new FullKvCache(layout));
  const cache = new FullKvCache(layout);
  const single = tokens.map((t, i) => gpu.forward(t, i, cache));
  return {
    prefill: Math.max(...want.map((row, i) => maxAbsDiff(batch[i]!, row))),
    forward: Math.max(...want.map((row, i) => maxAbsDiff(single[i]!, row))),
    scale: Math.max(...want.map((row) => maxAbsDiff(row, new Float32Array(row.length)))),
  };
}

// One mode, the one `auto` picks (headless GL where there is one): the ops themselves are held to
// the reference in every mode by test/gpu/ops.test.ts.
const mode = resolveMode("auto");

describe(`gpu backend (${mode}), every family (narrow shapes, 2 layers)`, () => {
  it.each(FAMILY_NAMES)("%s: the reference's logits within 1e-4, prefill and per token", (family) => {
    const model = open(family, true, 2);
    const gpu = new GpuBackend(model, { mode });
    const d = compare(model, gpu);
    gpu.dispose();
    expect(d.scale).toBeGreaterThan(1); // peaked logits: the bound below is not vacuous
    expect(d.prefill).toBeLessThan(1e-4);
    expect(d.forward).toBeLessThan(1e-4);
  });
});

describe(`gpu backend (${mode}), qwen3-0.6b's own widths (1 layer)`, () => {
  let model: LlamaModel;
  let gpu: GpuBackend;
  beforeAll(() => {
    model = open("qwen3-0.6b", false, 1);
    gpu = new GpuBackend(model, { mode });
  });
  afterAll(() => gpu.dispose());
  it("a query width above dim, head size 128, per-head norms: the reference's logits within 1e-4", () => {
    const c = model.config;
    expect([c.nHeads * c.headDim, c.dim, c.headDim]).toEqual([FAMILIES["qwen3-0.6b"].nHeads * 128, FAMILIES["qwen3-0.6b"].dim, 128]);
    expect(c.nHeads * c.headDim).toBeGreaterThan(c.dim);
    const d = compare(model, gpu);
    expect(d.prefill).toBeLessThan(1e-4);
    expect(d.forward).toBeLessThan(1e-4);
  });
});
