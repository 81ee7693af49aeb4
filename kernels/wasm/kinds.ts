/**
 * How the wasm kernels multiply each weight type (ggml's type ids, reference/quants.ts), which
 * decides what a product job reads (kernels/wasm/share.mjs runShare):
 * - F32, F16, Q8_0: directly, without a scratch of converted rows (matmul.ts, matmul-q8.ts);
 * - Q8_0, Q4_0, Q5_0, IQ4_NL and the K-quants: as integers over the input quantized per block of 32
 *   (quantizeQ16); the K-quants also read the input's half-block sums (matmul-kq8.ts);
 * - the rest (Q4_1, Q5_1, BF16): a group of rows dequantized to float32, times the float32 input.
 */
import { TENSOR_TYPES } from "../../reference/quants.ts";

export const TYPE_ID = TENSOR_TYPES;
export const DIRECT_TYPES: ReadonlySet<number> = new Set([TYPE_ID.F32, TYPE_ID.F16, TYPE_ID.Q8_0]);
export const KQ8_TYPES: ReadonlySet<number> = new Set([TYPE_ID.Q2_K, TYPE_ID.Q3_K, TYPE_ID.Q4_K, TYPE_ID.Q5_K, TYPE_ID.Q6_K]);
export const INT_TYPES: ReadonlySet<number> = new Set([TYPE_ID.Q8_0, TYPE_ID.Q4_0, TYPE_ID.Q5_0, TYPE_ID.IQ4_NL, ...KQ8_TYPES]);

/** What a job's input needs before its products: 0 nothing, 1 quantizeQ16, 2 that and kq8HalfSums. */
export type InputPrep = 0 | 1 | 2;
export function inputPrep(types: readonly number[]): InputPrep {
  return types.some((t) => KQ8_TYPES.has(t)) ? 2 : types.some((t) => INT_TYPES.has(t)) ? 1 : 0;
}
