/**
 * How the wasm kernels multiply each weight type (ggml's type ids, reference/quants.ts), which
 * decides what a product job reads (kernels/wasm/share.mjs runShare):
 * - F32, F16, Q8_0: directly, without a scratch of converted rows (matmul.ts, matmul-q8.ts);
 * - Q8_0, and Q4_0, Q5_0, IQ4_NL re-encoded as Q8_0 (quants.ts matmulPackedQ8): as integers over
 *   the input quantized per block of 32 (quantizeQ16);
 * - the rest (Q4_1, Q5_1, BF16, the K-quants): a group of rows dequantized to float32, times the
 *   float32 input (quants.ts matmulPacked; for one input row Q4_K, Q5_K and Q6_K dequantize in
 *   registers, matvec-kquants.ts, the same bits).
 */
import { TENSOR_TYPES } from "../../reference/quants.ts";

export const TYPE_ID = TENSOR_TYPES;
export const DIRECT_TYPES: ReadonlySet<number> = new Set([TYPE_ID.F32, TYPE_ID.F16, TYPE_ID.Q8_0]);
export const INT_TYPES: ReadonlySet<number> = new Set([TYPE_ID.Q8_0, TYPE_ID.Q4_0, TYPE_ID.Q5_0, TYPE_ID.IQ4_NL]);
