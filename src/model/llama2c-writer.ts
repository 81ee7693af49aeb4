/**
 * llama2.c checkpoint writer: the inverse of {@link parseLlama2c} (llama2c.ts), so a model held as a
 * GGUF can be handed to llama2.c's `run.c` or to our own llama2.c loader. Version 0 ("legacy") layout:
 * a 28-byte header of 7 int32, then float32 tensors in run.c's order, including the two RoPE tables
 * run.c no longer reads (it recomputes them) but still skips over.
 */
import type { LlamaModel } from "./types.ts";

export interface Llama2cWriteOptions {
  /** `seq_len` in the header; default the model's trained context (stories260K: 512, not its GGUF's 2048). */
  readonly seqLen?: number;
}

export function writeLlama2c(model: LlamaModel, options: Llama2cWriteOptions = {}): Uint8Array {
  const c = model.config;
  const w = model.weights;
  const seqLen = options.seqLen ?? c.trainedContextLength;
  // run.c signals a tied classifier with a positive vocab_size. A GGUF may store the tied classifier
  // as its own tensor (stories260K's does), so equal bytes count as tied too.
  const tied = w.output === w.tokenEmbedding || sameBytes(w.output, w.tokenEmbedding);
  const halfHead = c.headDim / 2;
  const tensors: Float32Array[] = [
    w.tokenEmbedding,
    ...w.layers.map((l) => l.attnNorm),
    ...w.layers.map((l) => l.wq),
    ...w.layers.map((l) => l.wk),
    ...w.layers.map((l) => l.wv),
    ...w.layers.map((l) => l.wo),
    ...w.layers.map((l) => l.ffnNorm),
    ...w.layers.map((l) => l.w1),
    ...w.layers.map((l) => l.w2),
    ...w.layers.map((l) => l.w3),
    w.outputNorm,
    ropeTable(seqLen, halfHead, c.ropeTheta, Math.cos),
    ropeTable(seqLen, halfHead, c.ropeTheta, Math.sin),
    ...(tied ? [] : [w.output]),
  ];
  const floats = tensors.reduce((n, t) => n + t.length, 0);
  const out = new Uint8Array(28 + 4 * floats);
  const view = new DataView(out.buffer);
  [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, tied ? c.vocabSize : -c.vocabSize, seqLen].forEach((v, i) =>
    view.setInt32(4 * i, v, true),
  );
  let offset = 28;
  for (const t of tensors) {
    // Copy bytes, not values: a NaN payload or -0 survives the round trip.
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), offset);
    offset += t.byteLength;
  }
  return out;
}

/** `[seqLen][halfHead]` of cos or sin(pos · θ^(−2i/headDim)), the table llama2.c's legacy export stored. */
function ropeTable(seqLen: number, halfHead: number, theta: number, f: (x: number) => number): Float32Array {
  const table = new Float32Array(seqLen * halfHead);
  for (let pos = 0; pos < seqLen; pos++) {
    for (let i = 0; i < halfHead; i++) table[pos * halfHead + i] = f(pos * Math.pow(theta, -i / halfHead));
  }
  return table;
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
