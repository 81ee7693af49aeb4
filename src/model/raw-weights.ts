/**
 * The file's own encoding of the weight matrices that are not float32 in the file (F16, Q8_0),
 * for backends that compute on those bytes directly (the wasm backend dequantizes inside its
 * kernels, as llama.cpp does). The float32 arrays in `LlamaModel.weights` are always there too;
 * this map only adds, for each matrix read from an F16/Q8_0 tensor, where its bytes are.
 */
import { GgmlType, type GgufFile } from "./gguf.ts";
import type { LayerWeights, LlamaWeights, RawTensor } from "./types.ts";

/** GGUF tensor name of each layer matrix (as read by gguf-llama.ts). */
const LAYER_TENSORS: Readonly<Record<string, keyof LayerWeights>> = {
  "attn_q.weight": "wq",
  "attn_k.weight": "wk",
  "attn_v.weight": "wv",
  "attn_output.weight": "wo",
  "ffn_gate.weight": "w1",
  "ffn_down.weight": "w2",
  "ffn_up.weight": "w3",
};

/** Map from a dequantized matrix of `weights` to its F16/Q8_0 bytes in `file` (F32 matrices are not listed). */
export function rawEncodings(file: GgufFile, weights: LlamaWeights): ReadonlyMap<Float32Array, RawTensor> {
  const raw = new Map<Float32Array, RawTensor>();
  const add = (name: string, array: Float32Array) => {
    const info = file.tensors.get(name);
    if (!info || (info.type !== GgmlType.F16 && info.type !== GgmlType.Q8_0)) return;
    const at = file.dataOffset + info.offset;
    raw.set(array, { type: info.type === GgmlType.F16 ? "F16" : "Q8_0", bytes: file.bytes.subarray(at, at + info.byteSize) });
  };
  add("token_embd.weight", weights.tokenEmbedding);
  if (file.tensors.has("output.weight")) add("output.weight", weights.output);
  weights.layers.forEach((layer, l) => {
    for (const [suffix, key] of Object.entries(LAYER_TENSORS)) add(`blk.${l}.${suffix}`, layer[key]);
  });
  return raw;
}
