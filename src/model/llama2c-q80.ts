/**
 * llama2.c's int8 checkpoint ("ak42", written by `export.py --version 2`, read by `runq.c`):
 * a 256-byte header — uint32 magic 0x616b3432, int32 version 2, the 7 int32 config values
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), uint8 shared_classifier,
 * int32 group_size, zero padding — then float32 rms_att [L·dim], rms_ffn [L·dim], rms_final [dim],
 * then each quantized tensor as int8 values [numel] followed by float32 scales [numel / group_size]:
 * the token embedding, then wq of every layer, wk, wv, wo, w1, w2, w3 (one layer after another),
 * then the classifier unless shared. A value is int8 · the scale of its group (runq.c `dequantize`).
 */
import { validateConfig } from "./config.ts";
import { ByteReader, firstNonFinite } from "./reader.ts";
import { layersOf } from "./llama2c.ts";
import type { LlamaModel } from "./types.ts";

export const AK42_MAGIC = 0x616b3432;
const HEADER_BYTES = 256;

/** Whether the bytes start with the int8 checkpoint's magic. */
export function isLlama2cQ80(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === AK42_MAGIC;
}

export function parseLlama2cQ80(bytes: Uint8Array, path: string): LlamaModel {
  const r = new ByteReader(bytes, path);
  if (bytes.byteLength < HEADER_BYTES) r.fail(`truncated: ${bytes.byteLength} bytes, the int8 checkpoint header alone is ${HEADER_BYTES}`);
  if (r.u32("magic") !== AK42_MAGIC) r.fail(`not a llama2.c int8 checkpoint (magic is not "ak42")`);
  const version = r.i32("version");
  if (version !== 2) r.fail(`int8 checkpoint version ${version} is not supported (only 2, export.py --version 2)`);
  const dim = r.i32("dim");
  const hiddenDim = r.i32("hidden_dim");
  const nLayers = r.i32("n_layers");
  const nHeads = r.i32("n_heads");
  const nKvHeads = r.i32("n_kv_heads");
  const vocabSize = r.i32("vocab_size");
  const seqLen = r.i32("seq_len");
  const shared = r.u8("shared_classifier");
  const groupSize = r.i32("group_size");
  if (shared > 1) r.fail(`shared_classifier is ${shared}, neither 0 nor 1`);
  if (dim > 0 && nHeads > 0 && dim % nHeads !== 0)
    r.fail(`invalid model hyperparameters (dim ${dim} is not a multiple of n_heads ${nHeads})`);
  const c = validateConfig(
    {
      dim,
      hiddenDim,
      nLayers,
      nHeads,
      nKvHeads,
      vocabSize,
      contextLength: seqLen,
      trainedContextLength: seqLen,
      headDim: nHeads > 0 ? dim / nHeads : 0,
      ropeTheta: 10000,
      normEps: Math.fround(1e-5),
    },
    path,
  );
  // runq.c quantizes whole groups, and every matrix's input width must hold a whole number of them.
  if (groupSize <= 0 || groupSize > 1 << 16) r.fail(`group_size ${groupSize} is not plausible`);
  if (c.dim % groupSize !== 0 || c.hiddenDim % groupSize !== 0) {
    r.fail(`dim ${c.dim} and hidden_dim ${c.hiddenDim} must be multiples of group_size ${groupSize}`);
  }
  const L = c.nLayers;
  const kvDim = c.nKvHeads * c.headDim;
  const sizes = [c.vocabSize * c.dim, ...[c.dim * c.dim, kvDim * c.dim, kvDim * c.dim, c.dim * c.dim].flatMap((n) => Array(L).fill(n))];
  sizes.push(...[c.hiddenDim * c.dim, c.dim * c.hiddenDim, c.hiddenDim * c.dim].flatMap((n) => Array(L).fill(n)));
  if (!shared) sizes.push(c.vocabSize * c.dim);
  const expected = HEADER_BYTES + 4 * (2 * L * c.dim + c.dim) + sizes.reduce((a, n) => a + n + (4 * n) / groupSize, 0);
  if (bytes.byteLength !== expected) {
    r.fail(
      bytes.byteLength < expected
        ? `truncated: the header implies ${expected} bytes, the file has ${bytes.byteLength}`
        : `${bytes.byteLength - expected} unexpected bytes after the weights (header implies ${expected})`,
    );
  }
  r.offset = HEADER_BYTES;

  const finite = (values: Float32Array, what: string) => {
    const bad = firstNonFinite(values);
    if (bad >= 0) r.fail(`${what} has a non-finite value (${values[bad]}) at index ${bad}; the file is corrupt`);
    return values;
  };
  const floats = (n: number, what: string) => finite(r.f32Array(n, what), what);
  /** runq.c `dequantize`: w[i] = q[i] · s[i / group_size], in float32. */
  const quantized = (n: number, what: string) => {
    const q = r.raw(n, `${what} int8 values`);
    const s = floats(n / groupSize, `${what} scales`);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = ((q[i]! << 24) >> 24) * s[Math.floor(i / groupSize)]!;
    return w;
  };
  const perLayer = (n: number, what: string, read: (n: number, what: string) => Float32Array) =>
    Array.from({ length: L }, (_, l) => read(n, `${what} of layer ${l}`));

  const attnNorm = perLayer(c.dim, "rms_att_weight", floats);
  const ffnNorm = perLayer(c.dim, "rms_ffn_weight", floats);
  const outputNorm = floats(c.dim, "rms_final_weight");
  const tokenEmbedding = quantized(c.vocabSize * c.dim, "token_embedding_table");
  const wq = perLayer(c.dim * c.dim, "wq", quantized);
  const wk = perLayer(kvDim * c.dim, "wk", quantized);
  const wv = perLayer(kvDim * c.dim, "wv", quantized);
  const wo = perLayer(c.dim * c.dim, "wo", quantized);
  const w1 = perLayer(c.hiddenDim * c.dim, "w1", quantized);
  const w2 = perLayer(c.dim * c.hiddenDim, "w2", quantized);
  const w3 = perLayer(c.hiddenDim * c.dim, "w3", quantized);
  const output = shared ? tokenEmbedding : quantized(c.vocabSize * c.dim, "wcls");
  const layers = layersOf({ attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3 });
  return { config: c, weights: { tokenEmbedding, layers, outputNorm, output }, source: { path, format: "llama2c-q80" } };
}
