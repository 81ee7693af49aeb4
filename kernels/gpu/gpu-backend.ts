/**
 * The accelerated path: the Llama forward pass of reference/transformer.ts on gpu.js kernels.
 *
 * Prefill runs the prompt as a batch: per layer, the norms and the Q/K/V, output and FFN products
 * are one kernel call for all rows. Attention goes through the KV cache, which owns the keys and
 * may evict after any row (spec §6, §12.7), so the cache calls are replayed row by row in
 * position order, exactly those `forward` makes for each token; attend.ts batches the attention
 * itself only while the cache's views prove it may. A row's view thus holds the positions before
 * it (as the cache kept them) and itself, never a later one.
 *
 * Call order seen by the cache, versus calling `forward` per token: every (layer, KV head) store
 * sees the same calls in the same order, and `registerToken(p)` still comes before any call with
 * position p. Two differences, both within what the KvCache contract allows (its stores are
 * independent): across layers (layer 0 of every row runs before layer 1 of the first row), and
 * within a row, where the views of all KV heads are read before the first `afterAttention`
 * (all query heads attend in one kernel call).
 */
import { type Backend, checkChunkRows, checkRunArguments, inChunks, type KvCache } from "../../src/interfaces.ts";
import type { LlamaConfig, LlamaModel } from "../../src/model/types.ts";
import { type AttendStats, LayerAttention } from "./attend.ts";
import { addRowMinTerms, type RoundingPiece, roundRows, type StackRounding, stackRounding } from "./inputs.ts";
import { bucket } from "./buckets.ts";
import { KvPacker } from "./kv-pack.ts";
import { type GpuMode, type GpuModeOption, resolveMode } from "./modes.ts";
import { type Matrix, type MatmulShape, matmul, matmulAdd } from "./ops/matmul.ts";
import { rmsnorm } from "./ops/rmsnorm.ts";
import { addBias, headNorm } from "./ops/qk.ts";
import { rope, ropeTable } from "./ops/rope.ts";
import { swiglu } from "./ops/swiglu.ts";
import { type DeviceArray, hostArray, type KernelArg, KernelRuntime, readBack } from "./runtime.ts";
import { toDevice } from "./transfer.ts";
import { type ResidentWeights, uploadWeights } from "./weights.ts";

export interface GpuBackendOptions {
  /** gpu.js backend; `auto` (default) takes headlessgl where a GL context exists, else webasm, else cpu. */
  readonly mode?: GpuModeOption;
  /**
   * Prompt rows per batch (default 64). Longer prompts run in consecutive chunks, which is the
   * same computation; the cap bounds texture sizes (rows × vocab logits) and compiled row buckets.
   */
  readonly maxChunkRows?: number;
}

export class GpuBackend implements Backend {
  readonly name: string;
  /** The gpu.js mode that runs the kernels (what `auto` resolved to). */
  readonly mode: GpuMode;
  readonly config: LlamaConfig;
  private readonly rt: KernelRuntime;
  private readonly weights: ResidentWeights;
  private readonly embedding: Float32Array;
  /** Llama 3's RoPE frequency factors (rope_freqs.weight), `[headDim / 2]`, when the file has them. */
  private readonly ropeFreqs: Float32Array | undefined;
  private readonly attention: LayerAttention;
  private readonly maxChunkRows: number;
  /** How each stack's input is rounded first (inputs.ts), per layer, and the classifier's. */
  private readonly roundings: readonly {
    readonly qkv: StackRounding;
    readonly wo: StackRounding;
    readonly w13: StackRounding;
    readonly w2: StackRounding;
  }[];
  private readonly outputRounding: StackRounding;

  constructor(model: LlamaModel, options: GpuBackendOptions = {}) {
    this.mode = resolveMode(options.mode ?? "auto");
    this.name = `gpu (${this.mode})`;
    this.config = model.config;
    this.maxChunkRows = checkChunkRows(options.maxChunkRows ?? 64);
    this.rt = new KernelRuntime(this.mode);
    this.weights = uploadWeights(this.rt, model);
    this.embedding = model.weights.tokenEmbedding;
    this.ropeFreqs = model.weights.ropeFreqs;
    const p = model.packed;
    const g = model.activations === "ggml";
    this.roundings = model.weights.layers.map((_, l) => {
      const pl = p?.layers[l];
      return {
        qkv: stackRounding(g, [pl?.wq, pl?.wk, pl?.wv]),
        wo: stackRounding(g, [pl?.wo]),
        w13: stackRounding(g, [pl?.w1, pl?.w3]),
        w2: stackRounding(g, [pl?.w2]),
      };
    });
    this.outputRounding = stackRounding(g, [p?.output]);
    const c = this.config;
    const packer = new KvPacker({ nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim });
    this.attention = new LayerAttention(this.rt, packer, { nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim });
  }

  /**
   * Rows × layers attended in the predicted batch (a decode step is a batch of one), and one at a time after a cache
   * evicted (attend.ts).
   */
  get attentionStats(): Readonly<AttendStats> {
    return { ...this.attention.stats };
  }

  /** Distinct compiled kernels so far (one per op, call site and bucket size). */
  get kernelCount(): number {
    return this.rt.kernelCount;
  }

  forward(token: number, position: number, cache: KvCache): Float32Array {
    return this.prefill([token], position, cache)[0]!;
  }

  prefill(tokens: readonly number[], start: number, cache: KvCache): Float32Array[] {
    checkRunArguments(this.config, tokens, start, cache);
    return inChunks(tokens, start, this.maxChunkRows, (chunk, at) => this.chunk(chunk, at, cache)).flat();
  }

  dispose(): void {
    void this.rt.destroy();
  }

  /**
   * x·wᵀ (plus `res` when given) as reference/transformer.ts's `product` computes it: for packed
   * weights in ggml mode the input is first rounded to their input format on the host, and
   * Q4_1/Q5_1's minimum terms are added to the result there (inputs.ts). `x` is a kernel result
   * or a host array.
   */
  private product(role: string, s: MatmulShape, x: DeviceArray | Float32Array, w: Matrix, r: StackRounding, res?: KernelArg): DeviceArray {
    const rt = this.rt;
    const multiply = (input: KernelArg) => (res ? matmulAdd(rt, role, s, input, w, res) : matmul(rt, role, s, input, w));
    if (r.pieces) return this.mixedProduct(role, s, x, r.pieces, multiply);
    if (r.format === "F32") return multiply(x instanceof Float32Array ? hostArray(x, [s.n, s.rows]) : x);
    const host = x instanceof Float32Array ? x : readBack(x);
    const out = multiply(toDevice(rt, `round:${role}`, roundRows(r.format, host, s.rows, s.n), [s.n, s.rows]));
    if (!r.mins) return out;
    const y = readBack(out);
    addRowMinTerms(y, host, r.mins, s.rows, s.n, s.d);
    return toDevice(rt, `minTerms:${role}`, y, [s.d, s.rows]);
  }

  /**
   * A stack whose matrices take different input roundings (inputs.ts RoundingPiece): the product
   * once per format, each matrix's columns (and Q8_1 minimum terms) from its own format's run.
   */
  private mixedProduct(
    role: string,
    s: MatmulShape,
    x: DeviceArray | Float32Array,
    pieces: readonly RoundingPiece[],
    multiply: (input: KernelArg) => DeviceArray,
  ): DeviceArray {
    const host = x instanceof Float32Array ? x : readBack(x);
    const y = new Float32Array(s.rows * s.d);
    for (const format of new Set(pieces.map((p) => p.format))) {
      const input = format === "F32" ? host : roundRows(format, host, s.rows, s.n);
      const out = readBack(multiply(toDevice(this.rt, `round:${role}:${format}`, input, [s.n, s.rows])));
      for (const p of pieces.filter((q) => q.format === format)) {
        for (let t = 0; t < s.rows; t++) y.set(out.subarray(t * s.d + p.from, t * s.d + p.to), t * s.d + p.from);
        if (p.mins) addRowMinTerms(y, host, p.mins, s.rows, s.n, s.d, p.from, p.to);
      }
    }
    return toDevice(this.rt, `mixed:${role}`, y, [s.d, s.rows]);
  }

  /** Rows `start..start+tokens.length-1` through every layer, as one batch padded to a bucket size. */
  private chunk(tokens: readonly number[], start: number, cache: KvCache): Float32Array[] {
    const c = this.config;
    const { dim, headDim, hiddenDim, vocabSize, normEps } = c;
    const qDim = c.nHeads * headDim;
    const kvDim = c.nKvHeads * headDim;
    const qkvDim = qDim + 2 * kvDim;
    const rows = Math.min(bucket(tokens.length), this.maxChunkRows);
    const rt = this.rt;
    if (tokens.length > 1) cache.reserve?.(tokens.length); // one growth per store for the chunk

    // The residual stream starts as the tokens' embeddings; padding rows stay zero.
    const embedded = new Float32Array(rows * dim);
    tokens.forEach((t, i) => embedded.set(this.embedding.subarray(t * dim, (t + 1) * dim), i * dim));
    let x = toDevice(rt, "embedding", embedded, [dim, rows]);
    const neox = c.ropeStyle === "neox";
    const table = ropeTable(
      tokens.map((_, i) => start + i),
      headDim,
      c.ropeTheta,
      rows,
      this.ropeFreqs ? { freqs: this.ropeFreqs } : {},
    );

    for (let l = 0; l < c.nLayers; l++) {
      const w = this.weights.layers[l]!;
      // --- attention: batched Q/K/V with RoPE, then attention through the cache (attend.ts) ---
      const r = this.roundings[l]!;
      const xb = rmsnorm(rt, "attnNorm", rows, dim, normEps, x, w.attnNorm);
      let qkv = this.product("qkv", { rows, n: dim, d: qkvDim }, xb, w.wqkv, r.qkv);
      // Qwen2: the projections have biases. Qwen3: each query and key head is RMS-normalized on its own.
      if (w.bqkv) qkv = addBias(rt, "qkv", rows, qkvDim, qkv, w.bqkv);
      if (w.qNorm && w.kNorm) {
        qkv = headNorm(
          rt,
          "qk",
          { rows, width: qkvDim, headDim, qHeads: c.nHeads, kHeads: c.nKvHeads, eps: normEps },
          qkv,
          w.qNorm,
          w.kNorm,
        );
      }
      const rotated = rope(rt, "qkv", { rows, width: qkvDim, rotated: qDim + kvDim, headDim, neox }, qkv, table);
      const attended = this.attention.run(l, readBack(rotated), tokens, start, cache, rows);
      x = this.product("wo", { rows, n: qDim, d: dim }, attended, w.wo, r.wo, x);
      // --- SwiGLU feed-forward ---
      const xf = rmsnorm(rt, "ffnNorm", rows, dim, normEps, x, w.ffnNorm);
      const gateUp = this.product("w13", { rows, n: dim, d: 2 * hiddenDim }, xf, w.w13, r.w13);
      const hidden = swiglu(rt, "ffn", rows, hiddenDim, gateUp);
      x = this.product("w2", { rows, n: hiddenDim, d: dim }, hidden, w.w2, r.w2, x);
    }

    const xn = rmsnorm(rt, "outputNorm", rows, dim, normEps, x, this.weights.outputNorm);
    const logits = readBack(this.product("classifier", { rows, n: dim, d: vocabSize }, xn, this.weights.output, this.outputRounding));
    return tokens.map((_, i) => logits.slice(i * vocabSize, (i + 1) * vocabSize));
  }
}
