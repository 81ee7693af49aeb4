/**
 * F16, Q8_0, Q4_0, Q5_0 and IQ4_NL weights stay in the file's type in wasm memory and are
 * dequantized inside the kernels. Models written by the project's GGUF writer (llamaToGguf) from seeded synthetic weights:
 * - against the reference run on the same (dequantized) weights: max abs logit difference ≤ 1e-4
 *   and the same argmax on every row (float32 vs float64 sums, as for F32; 2e-4 for the integer
 *   products, `tolerance` below);
 * - F16 against the wasm backend on an F32 copy of the dequantized weights: identical bytes, since
 *   the kernels convert each half exactly and then sum in the F32 kernels' order. (Q8_0 multiplies
 *   as integers against an int16 block-quantized input, kernels/wasm/assembly: not bit-identical,
 *   held to the reference by the tolerance below.)
 * Shapes: `tiny` (every matrix Q8_0) and stories260K's (ffn_down's 172 inputs are not a multiple
 * of 32, so the writer stores it F16: a Q8_0 file with mixed types).
 */
import { describe, expect, it } from "vitest";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { llamaToGguf } from "../../src/model/gguf-writer.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import { SYNTH_SHAPES, synthModel } from "../../src/model/synth.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { compareLogits } from "../support/compare.ts";

/**
 * F16: 1e-4 (float32 vs float64 sums; measured 7e-7). The integer kinds (Q8_0, and Q4_0/Q5_0/IQ4_NL
 * re-encoded as Q8_0) also carry the input's int16 block quantization, up to 2⁻¹⁶ of each block's
 * largest value per element, through every layer: on `tiny` (dim 32, one block per row) measured
 * 9.3e-5 (Q8_0) and 1.3e-4 (the others) on logits up to 2.8, so 2e-4.
 */
const tolerance = (type: string) => (type === "F16" ? 1e-4 : 2e-4);

function run(backend: { prefill: WasmBackend["prefill"] }, model: LlamaModel, tokens: number[]): Float32Array[] {
  return backend.prefill(tokens, 0, new FullKvCache(kvLayoutOf(model.config)));
}

describe.each([
  ["tiny", "F16"],
  ["tiny", "Q8_0"],
  ["260K", "F16"],
  ["260K", "Q8_0"],
  // re-encoded as Q8_0 group by group (kernels/wasm/assembly/quants.ts matmulPackedQ8)
  ["tiny", "Q4_0"],
  ["tiny", "Q5_0"],
  ["tiny", "IQ4_NL"],
] as const)("%s %s", (shape, type) => {
  const model = loadModelFromBytes(llamaToGguf(synthModel(SYNTH_SHAPES[shape], 7), { tensorType: type }), `<synth ${shape} ${type}>`);
  const tokens = Array.from({ length: 40 }, (_, i) => (i * 37 + 1) % model.config.vocabSize);

  it("keeps the file's type: every matrix is packed in that type (or F16 where Q8_0 blocks do not fit)", () => {
    const layer = model.packed!.layers[0]!;
    expect(layer.wq.type).toBe(type);
    expect(model.packed!.tokenEmbedding.type).toBe(type);
    if (shape === "260K" && type === "Q8_0") expect(layer.w2.type).toBe("F16");
  });

  it(`matches the reference on the dequantized weights within ${tolerance(type)}, same argmax`, () => {
    const got = run(new WasmBackend(model), model, tokens);
    const want = run(new ReferenceTransformer(model), model, tokens);
    const flat = new Float32Array(want.length * model.config.vocabSize);
    want.forEach((row, i) => flat.set(row, i * model.config.vocabSize));
    const cmp = compareLogits(got, flat, model.config.vocabSize);
    expect(cmp.maxAbsDiff).toBeLessThanOrEqual(tolerance(type));
    expect(cmp.argmaxMismatches).toEqual([]);
  });

  if (type === "F16") {
    it("F16: equals the F32 kernels on the dequantized weights bit for bit", () => {
      const quantized = run(new WasmBackend(model), model, tokens);
      const asF32: LlamaModel = { ...model, packed: undefined };
      const dense = run(new WasmBackend(asF32), asF32, tokens);
      quantized.forEach((row, i) => expect(Buffer.from(row.buffer).equals(Buffer.from(dense[i]!.buffer)), `row ${i}`).toBe(true));
    });
  }
});
