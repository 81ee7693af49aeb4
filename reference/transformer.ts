/**
 * The reference Llama forward pass: float32, one token at a time, written to be read top to bottom
 * (after Karpathy's llama2.c `run.c`). It is the correctness oracle the gpu.js path is held to.
 *
 * Keys and values live in a {@link KvCache}: the transformer appends, reads the kept entries,
 * and reports its attention, so a compressing cache plugs in without changing a line here.
 *
 * The architectures beyond plain Llama are the small branches marked "Qwen2:" and "Qwen3:" and
 * the RoPE options (src/model/gguf-llama.ts). A packed (quantized) matrix is dequantized on its
 * first read (reference/quants.ts) and kept as float32 here: the reference is the oracle, not the fast path.
 * With the model's `activations: "ggml"`, a product's input is first rounded as llama.cpp rounds it
 * for that weight type (8-bit blocks for quantized weights, half or bfloat16 for F16/BF16;
 * reference/activations.ts); by default it is multiplied as it is.
 */
import { type Backend, checkRunArguments, type KvCache } from "../src/interfaces.ts";
import type { LlamaConfig, LlamaModel, LlamaWeights, PackedMatrix } from "../src/model/types.ts";
import { addMinTerms, type InputFormat, inputFormatOf, q8_1SumErrors, roundInput } from "./activations.ts";
import { blockMins } from "./quants.ts";
import { matmul, type RopeOptions, rmsnorm, rope, silu, softmax } from "./math.ts";

/**
 * How a product's input is rounded first (reference/activations.ts): the weight's input format
 * (F32 for a file without encodings), and for Q4_1/Q5_1 the weight blocks' minimums.
 */
interface InputRounding {
  readonly format: InputFormat;
  readonly mins?: Float32Array;
}
type LayerInputs = { readonly [K in "wq" | "wk" | "wv" | "wo" | "w1" | "w2" | "w3"]: InputRounding };

export class ReferenceTransformer implements Backend {
  readonly name = "reference";
  readonly config: LlamaConfig;
  private readonly w: LlamaWeights;
  /** NEOX pairing (Qwen) and Llama 3.1+'s frequency divisors, where the model has them. */
  private readonly ropeOptions: RopeOptions;
  /** How each product's input is rounded first, per layer and for the classifier. */
  private readonly inputs: readonly LayerInputs[];
  private readonly outputInput: InputRounding;

  // Activations, reused across tokens (names as in run.c).
  private readonly x: Float32Array; // residual stream [dim]
  private readonly xb: Float32Array; // normed input / attention output [dim]
  private readonly xb2: Float32Array; // attention projection / FFN output [dim]
  private readonly hb: Float32Array; // FFN gate [hiddenDim]
  private readonly hb2: Float32Array; // FFN up [hiddenDim]
  private readonly q: Float32Array; // queries of all heads [nHeads * headDim]
  private readonly k: Float32Array; // keys of all KV heads [nKvHeads * headDim]
  private readonly v: Float32Array; // values of all KV heads [nKvHeads * headDim]
  private readonly xr: Float32Array; // a product's input as its weight's input format holds it
  private readonly sumErrors: Float32Array; // Q8_1 inputs: s − Σx̃ per block of 32

  constructor(model: LlamaModel) {
    this.config = model.config;
    this.w = model.weights;
    const c = model.config;
    this.ropeOptions = { neox: c.ropeStyle === "neox", ...(model.weights.ropeFreqs ? { freqs: model.weights.ropeFreqs } : {}) };
    this.x = new Float32Array(c.dim);
    this.xb = new Float32Array(Math.max(c.dim, c.nHeads * c.headDim));
    this.xb2 = new Float32Array(c.dim);
    this.hb = new Float32Array(c.hiddenDim);
    this.hb2 = new Float32Array(c.hiddenDim);
    this.q = new Float32Array(c.nHeads * c.headDim);
    this.k = new Float32Array(c.nKvHeads * c.headDim);
    this.v = new Float32Array(c.nKvHeads * c.headDim);
    this.xr = new Float32Array(Math.max(c.dim, c.nHeads * c.headDim, c.hiddenDim));
    this.sumErrors = new Float32Array(this.xr.length / 32);
    const packed = model.packed;
    this.inputs = model.weights.layers.map((_, l) => {
      const p = packed?.layers[l];
      const f = (name: keyof LayerInputs) => inputRounding(model, p?.[name]);
      return { wq: f("wq"), wk: f("wk"), wv: f("wv"), wo: f("wo"), w1: f("w1"), w2: f("w2"), w3: f("w3") };
    });
    this.outputInput = inputRounding(model, packed?.output);
  }

  forward(token: number, position: number, cache: KvCache): Float32Array {
    const c = this.config;
    const { x, xb, xb2, hb, hb2, q, k, v } = this;
    const { dim, headDim, hiddenDim } = c;
    const qDim = c.nHeads * headDim;
    const kvDim = c.nKvHeads * headDim;
    const groupSize = c.nHeads / c.nKvHeads;
    // The same checks as every backend: a bad id, position or cache fails before any math.
    checkRunArguments(c, [token], position, cache);

    // The token's embedding is the start of the residual stream.
    x.set(this.w.tokenEmbedding.subarray(token * dim, (token + 1) * dim));
    cache.registerToken(position, token);

    for (let l = 0; l < c.nLayers; l++) {
      const layer = this.w.layers[l]!;

      // --- attention ---
      // (`product` is matmul with the input rounded as llama.cpp rounds it for that weight.)
      const f = this.inputs[l]!;
      rmsnorm(xb, x, layer.attnNorm, c.normEps);
      this.product(q, xb, layer.wq, f.wq, dim, qDim);
      this.product(k, xb, layer.wk, f.wk, dim, kvDim);
      this.product(v, xb, layer.wv, f.wv, dim, kvDim);

      // Qwen2: the projections have biases.
      if (layer.bq && layer.bk && layer.bv) {
        for (let i = 0; i < qDim; i++) q[i] = q[i]! + layer.bq[i]!;
        for (let i = 0; i < kvDim; i++) k[i] = k[i]! + layer.bk[i]!;
        for (let i = 0; i < kvDim; i++) v[i] = v[i]! + layer.bv[i]!;
      }
      // Qwen3: every query and key head is RMS-normalized on its own before RoPE.
      if (layer.qNorm && layer.kNorm) {
        for (let h = 0; h < c.nHeads; h++) {
          const qh = q.subarray(h * headDim, (h + 1) * headDim);
          rmsnorm(qh, qh, layer.qNorm, c.normEps);
        }
        for (let g = 0; g < c.nKvHeads; g++) {
          const kh = k.subarray(g * headDim, (g + 1) * headDim);
          rmsnorm(kh, kh, layer.kNorm, c.normEps);
        }
      }

      // Rotate queries and keys by their position; cached keys are stored rotated.
      rope(q, c.nHeads, headDim, position, c.ropeTheta, this.ropeOptions);
      rope(k, c.nKvHeads, headDim, position, c.ropeTheta, this.ropeOptions);

      for (let g = 0; g < c.nKvHeads; g++) {
        cache.append(l, g, position, k.subarray(g * headDim, (g + 1) * headDim), v.subarray(g * headDim, (g + 1) * headDim));
      }

      // Grouped-query attention: query head h reads KV head g = floor(h / groupSize).
      for (let g = 0; g < c.nKvHeads; g++) {
        const kv = cache.view(l, g);
        const probs: Float32Array[] = [];
        for (let h = g * groupSize; h < (g + 1) * groupSize; h++) {
          const qh = q.subarray(h * headDim, (h + 1) * headDim);
          // att[t] = softmax over the kept entries of q·k / sqrt(headDim)
          const att = new Float32Array(kv.length);
          for (let t = 0; t < kv.length; t++) {
            let score = 0;
            for (let i = 0; i < headDim; i++) score += qh[i]! * kv.keys[t * headDim + i]!;
            att[t] = score / Math.sqrt(headDim);
          }
          softmax(att);
          // xb[h] = Σ_t att[t] · v[t]
          const out = xb.subarray(h * headDim, (h + 1) * headDim);
          for (let i = 0; i < headDim; i++) {
            let sum = 0;
            for (let t = 0; t < kv.length; t++) sum += att[t]! * kv.values[t * headDim + i]!;
            out[i] = sum;
          }
          probs.push(att);
        }
        // The cache sees this token's attention before the next layer runs (spec §12.7).
        cache.afterAttention(l, g, position, probs);
      }

      // Output projection and residual.
      this.product(xb2, xb, layer.wo, f.wo, qDim, dim);
      for (let i = 0; i < dim; i++) x[i] = x[i]! + xb2[i]!;

      // --- SwiGLU feed-forward: w2( silu(w1 x) ⊙ w3 x ) ---
      rmsnorm(xb, x, layer.ffnNorm, c.normEps);
      this.product(hb, xb, layer.w1, f.w1, dim, hiddenDim);
      this.product(hb2, xb, layer.w3, f.w3, dim, hiddenDim);
      for (let i = 0; i < hiddenDim; i++) hb[i] = silu(hb[i]!) * hb2[i]!;
      this.product(xb2, hb, layer.w2, f.w2, hiddenDim, dim);
      for (let i = 0; i < dim; i++) x[i] = x[i]! + xb2[i]!;
    }

    // Final norm and classifier.
    rmsnorm(x, x, this.w.outputNorm, c.normEps);
    const logits = new Float32Array(c.vocabSize);
    this.product(logits, x, this.w.output, this.outputInput, dim, c.vocabSize);
    return logits;
  }

  /**
   * out = W·x as llama.cpp computes it for W's type: x (its first n values) rounded to W's input
   * format first; for Q4_1/Q5_1, each weight block's minimum m times the input block's stored sum
   * s instead of Σx̃ (activations.ts). F32 weights, as in every llama2.c file, take x as it is.
   */
  private product(out: Float32Array, x: Float32Array, w: Float32Array, r: InputRounding, n: number, d: number): void {
    if (r.format === "F32") {
      matmul(out, x, w, n, d);
      return;
    }
    const input = x.subarray(0, n);
    matmul(out, roundInput(r.format, input, this.xr), w, n, d);
    if (!r.mins) return;
    addMinTerms(out.subarray(0, d), r.mins, q8_1SumErrors(input, this.sumErrors), n / 32);
  }

  prefill(tokens: readonly number[], start: number, cache: KvCache): Float32Array[] {
    // The reference runs a prompt the simplest way: one token after another (checked whole first,
    // as the batched backends do, so a bad id late in the prompt leaves the cache untouched).
    checkRunArguments(this.config, tokens, start, cache);
    return tokens.map((token, i) => this.forward(token, start + i, cache));
  }

  dispose(): void {}
}

/** How a product with `m` rounds its input: as llama.cpp does with the model's `activations: "ggml"`, else not at all. */
function inputRounding(model: LlamaModel, m: PackedMatrix | undefined): InputRounding {
  if (model.activations !== "ggml") return { format: "F32" };
  const format = inputFormatOf(m?.type);
  if (m && (m.type === "Q4_1" || m.type === "Q5_1")) return { format, mins: blockMins(m.type, m.bytes, m.rows * m.cols) };
  return { format };
}
