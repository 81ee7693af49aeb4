/**
 * The wasm backend's kernels (AssemblyScript → WebAssembly SIMD, built by kernels/wasm/build.mjs).
 *
 * Every kernel works on raw pointers into the one linear memory the host (kernels/wasm/backend.ts)
 * imports and manages; nothing here allocates. Each kernel's comment names the reference function
 * it must match (llm.c dev/cuda style) and how closely:
 *
 * - rmsnorm, rope, swiglu and softmax do their arithmetic in f64 exactly as reference/math.ts
 *   does in JS numbers, storing float32 where the reference stores into a Float32Array;
 * - matrix products accumulate in float32 (f32x4). One output element is always summed in the
 *   same order (dotRow) whether it comes from a matrix–vector product, a blocked matrix–matrix
 *   product, one thread or several. So prefill equals per-token forward bit for bit, and the
 *   result does not depend on how rows are split between threads.
 * - F16 weights are converted to float32 inside the kernel (exactly, as gguf.ts's readTensor
 *   does: every half is a float32) and then summed like F32, so an F16 product equals the F32
 *   product over the dequantized weights bit for bit.
 * - Q8_0 weights are multiplied as integers, as llama.cpp does: the input vector is quantized per
 *   block of 32 to int16 with a float32 scale (quantizeQ16; llama.cpp uses int8 — int16 keeps the
 *   input's error below 2^-16 of each block's largest value), each block's int8·int16 products
 *   are summed exactly in int32 (i32x4.dot_i16x8_s), and the block sum is scaled by the weight's
 *   f16 scale times the input's scale. About 2.5× fewer instructions than converting every weight
 *   to float32. The price is that error bound on the input, stated and tested in test/wasm.
 * - With a model's `activations: "ggml"` (src/model/types.ts), every product's input is first
 *   rounded as llama.cpp rounds it for the weight type (reference/activations.ts): half or
 *   bfloat16 values for F16/BF16, 8-bit blocks for the quantized types (roundInput, and for the
 *   integer products quantizeInputQ8: llama.cpp's own int8 levels and half scale), plus Q4_1/Q5_1's
 *   minimum terms over the stored block sums (q8_1SumErrors, addMinTerms). Each is the
 *   reference's bit for bit.
 *
 * - Q4_0, Q5_0 and IQ4_NL weights are re-encoded as Q8_0 blocks one group of rows at a time (the
 *   same half scale and integers, so the same weights) and multiplied by the Q8_0 kernels.
 * - The other packed types (Q4_1, Q5_1, BF16, Q2_K..Q6_K) are dequantized one
 *   group of weight rows at a time into a scratch and multiplied like F32 (quants.ts), equal bit for bit to
 *   the F32 product over reference/quants.ts's dequantized weights. For one input row (decode),
 *   Q4_K, Q5_K and Q6_K dequantize in registers instead (matvec-kquants.ts): the same bits.
 *
 * Weight types are ggml's ids: F32 = 0, F16 = 1, Q8_0 = 8 (blocks of an f16 scale and 32 int8), and
 * the ids of quants.ts.
 */

// The module's exports: what kernels/wasm/runtime.ts calls. Each file holds one section.
export { dequantRow } from "./convert";
export { matvecF32, matvecF16, matmmF32, matmmF16, matmmSimpleF32, matmmSimpleF16 } from "./matmul";
export { quantizeQ16, quantizeInputQ8, matvecQ8, matmmQ8, matmmSimpleQ8 } from "./matmul-q8";
export { roundInput, q8_1SumErrors, addMinTerms } from "./inputs";
export { matmulPacked, matmulPackedQ8, packedAsQ8, dequantPackedRow, packedGroupRows } from "./quants";
export { rmsnorm, rope, ropeQK, swiglu, addInPlace } from "./elementwise";
export { softmax } from "./softmax";
export { attend, attendSimple } from "./attend";

/** Where the host may start allocating (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
