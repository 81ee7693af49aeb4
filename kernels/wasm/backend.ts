/**
 * The wasm backend: the Llama forward pass of reference/transformer.ts on WebAssembly SIMD
 * kernels (kernels/wasm/assembly/index.ts), the weights resident in one wasm memory in the file's
 * own type: Q8_0, Q4_0, Q5_0, IQ4_NL multiplied as integers against a block-quantized input, as
 * llama.cpp does; the others dequantized a group of rows at a time. No float32 copy is made.
 * With the model's `activations: "ggml"`, every product's input is rounded first as llama.cpp
 * rounds it for the weight type, as the reference then does (reference/activations.ts): the
 * integer kinds' int8 blocks, else a float32 copy of the rounded input per format the job needs.
 *
 * Prefill runs the prompt in chunks of rows: per layer, the norms and the Q/K/V, output and FFN
 * products are one kernel call for all rows (a blocked matrix–matrix product: each weight vector
 * loaded serves several rows). Attention goes through the KV cache row by row in position order,
 * with the calls `forward` makes for each token, so every cache (FullKvCache, FastGen's
 * AdaptiveKvCache, any policy) sees what it would see token by token. As in the gpu backend
 * (kernels/gpu/gpu-backend.ts), the call order differs from the reference's only where the KvCache
 * contract allows it (src/interfaces.ts: the stores are independent): across layers (layer 0 of
 * every row before layer 1 of the first) and within a row (every KV head's view is read before
 * the first afterAttention, so all heads attend in one job).
 * The products sum each output element in one fixed order (see the kernels' file comment), so
 * `prefill` returns the logits of `forward` per token bit for bit.
 *
 * Attention reads each (layer, KV head)'s kept entries where they lie when the cache keeps them
 * in this backend's memory (`kvStorage`, see src/interfaces.ts KvStorage); a cache with plain JS
 * arrays is copied into a scratch buffer first (cost ∝ kept entries either way).
 */
import {
  type Backend,
  checkChunkRows,
  checkRunArguments,
  groupSize,
  inChunks,
  type KvCache,
  type KvStorage,
  type KvView,
} from "../../src/interfaces.ts";
import type { LlamaConfig, LlamaModel, PackedMatrix } from "../../src/model/types.ts";
import { type InputFormat, inputFormatOf } from "../../reference/activations.ts";
import { BLOCK_LAYOUT, tensorTypeOf } from "../../reference/quants.ts";
import { wasmUnavailable } from "./defaults.ts";

export { defaultThreads, SMALL_MODEL_WORK, tokenWork, wasmUnavailable } from "./defaults.ts";
import { type Kernels, WasmHeap } from "./runtime.ts";
import { DIRECT_TYPES, INT_TYPES, TYPE_ID } from "./kinds.ts";
import { FORMAT_CODES, JOB_WORDS, ROWS_QUANTIZE, ROWS_QUANTIZE_Q8, ROWS_ROUND, ROWS_SWIGLU } from "./share.mjs";
import { type PackedProducts, type ProductJob, SHARES_PER_THREAD, ThreadPool } from "./threads.ts";

/** A weight matrix in wasm memory: `[d][n]` row-major in ggml type `type`; `format`: its input's rounding. */
interface Matrix {
  readonly type: number;
  readonly ptr: number;
  readonly format: InputFormat;
}

interface LayerPtrs {
  readonly attnNorm: number;
  readonly ffnNorm: number;
  /** Qwen2's Q/K/V biases and Qwen3's per-head Q/K norms (0 where the model has none). */
  readonly bq: number;
  readonly bk: number;
  readonly bv: number;
  readonly qNorm: number;
  readonly kNorm: number;
  readonly wq: Matrix;
  readonly wk: Matrix;
  readonly wv: Matrix;
  readonly wo: Matrix;
  readonly w1: Matrix;
  readonly w2: Matrix;
  readonly w3: Matrix;
}

/** The input formats that a job reads as a rounded float32 copy (F32 reads x; the integer kinds read xq). */
type RoundedFormat = Exclude<InputFormat, "F32">;

/** One matrix product of a layer: its weights, output buffer and rows. */
interface Output {
  readonly m: Matrix;
  readonly out: number;
  readonly d: number;
}

/** One to three products reading the same input `x` (`n` columns), e.g. Q/K/V; `decode`: its one-row form, written once. */
interface Products {
  readonly x: number;
  readonly n: number;
  readonly outputs: readonly Output[];
  /** Some matrix is multiplied as integers (kinds.ts INT_TYPES): x is quantized per block first. */
  readonly quantized: boolean;
  /** The rounded copies of x the other matrices read (roundInput into Scratch.rounded), one per format. */
  readonly rounded: readonly RoundedFormat[];
  /** Q4_1/Q5_1 outputs: their minimum terms over the Q8_1 input's stored sums are added after the product. */
  readonly minTerms: readonly Output[];
  readonly decode: PackedProducts;
}

interface LayerJobs {
  readonly qkv: Products;
  readonly wo: Products;
  readonly gateUp: Products;
  readonly down: Products;
}

/** Activation buffers for up to `rows` prompt rows (byte offsets), names as in reference/transformer.ts. */
interface Scratch {
  readonly rows: number;
  readonly x: number; // residual stream [rows][dim]
  readonly xb: number; // normed input / attention output [rows][max(dim, qDim)]
  readonly xb2: number; // projection outputs [rows][dim]
  readonly hb: number; // FFN gate [rows][hiddenDim]
  readonly hb2: number; // FFN up [rows][hiddenDim]
  readonly q: number; // [rows][qDim]
  readonly k: number; // [rows][kvDim]
  readonly v: number; // [rows][kvDim]
  readonly logits: number; // [rows][vocab]
  readonly xq: number; // an integer product's input (kinds.ts INT_TYPES) quantized per block to int16 [rows][max n]
  readonly xd: number; // and its block scales [rows][max n / 32]
  readonly rounded: Readonly<Partial<Record<RoundedFormat, number>>>; // x rounded per input format [rows][max n]
  readonly sumErrors: number; // Q8_1 inputs: s − Σx̃ per block [rows][max n / 32]
  readonly rowScratch: number; // packed types: a group of dequantized weight rows per share (0 if none)
}

export interface WasmBackendOptions {
  /**
   * Threads that run the matrix products (default 1): the main thread and `threads - 1` workers
   * over the same memory, each computing a slice of the output rows. Results are bit-identical
   * for every thread count.
   */
  readonly threads?: number;
  /**
   * Multiply-adds below which a product runs on the main thread alone (default 65536: waking the
   * workers costs more than that much work). Speed only; tests set 0 to split every product.
   */
  readonly minParallelWork?: number;
  /**
   * How long a waiting thread spins before sleeping in Atomics.wait, in milliseconds (default 2:
   * shorter spins let the threads fall asleep between a decode step's jobs, threads.ts). Speed only.
   */
  readonly spinMs?: number;
  /**
   * Prompt rows per chunk (default 128). Longer prompts run in consecutive chunks, which is the
   * same computation; the cap bounds the scratch memory (rows × vocab logits: 16 MB at 128 rows
   * and a 32000-token vocabulary). Every chunk reads all the weights once (the matrix–matrix
   * kernels keep a block in cache while the chunk's rows pass over it): a 127-token prefill of the
   * 15M shape took 74–79 ms in chunks of 32, 67–70 in chunks of 64, 65–67 in one chunk of 128.
   */
  readonly maxChunkRows?: number;
}

export class WasmBackend implements Backend {
  readonly name: string;
  readonly config: LlamaConfig;
  /** The memory and kernels (exposed for tests). */
  readonly heap: WasmHeap;
  /** KV buffers in this backend's memory: attention then reads each head's kept entries in place. */
  readonly kvStorage: KvStorage;
  private readonly k: Kernels;
  private readonly layers: LayerPtrs[];
  private readonly embedding: Matrix;
  private readonly output: Matrix;
  private readonly outputNorm: number;
  /** Llama 3.1+ RoPE frequency divisors (0: none), and whether RoPE pairs NEOX-style. */
  private readonly ropeFreqs: number;
  private readonly neox: number;
  private readonly rowScratchBytes: number;
  /** The model's `activations: "ggml"`: inputs rounded as llama.cpp rounds them (file comment). */
  private readonly ggml: boolean;
  private readonly maxChunkRows: number;
  private readonly scratch: Scratch;
  private readonly pool: ThreadPool;
  /** Each layer's product jobs and the classifier's (one-row forms written out once). */
  private readonly jobs: LayerJobs[];
  private readonly classifier: Products;
  /** The views of one row's attention, per KV head (reused). */
  private readonly views: KvView[] = [];
  /** Views attended where they lie (a cache on `kvStorage`) and views copied into scratch first (any other cache). */
  readonly viewStats = { inPlace: 0, copied: 0 };
  /** Attention scratch, grown with the longest view seen: probs [nKvHeads][group][cap]. */
  private attnCap = 0;
  private probsPtr = 0;
  /** Copies of views that are not in this memory: [nKvHeads][keys, values][copyCap][headDim]. */
  private copyCap = 0;
  private copyPtr = 0;

  constructor(model: LlamaModel, options: WasmBackendOptions = {}) {
    const c = model.config;
    this.config = c;
    this.ggml = model.activations === "ggml";
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.name = `wasm (${threads} thread${threads === 1 ? "" : "s"})`;
    if (c.headDim % 4 !== 0) throw new RangeError(wasmUnavailable(c));
    this.maxChunkRows = checkChunkRows(options.maxChunkRows ?? 128);
    this.heap = new WasmHeap();
    this.k = this.heap.kernels;
    this.kvStorage = wasmKvStorage(this.heap);

    // Weights, loaded once: packed where the model keeps them so (never touching the float32 `weights`), else float32.
    const resident = new Map<object, Matrix>();
    const matrix = (packed: PackedMatrix | undefined, array: () => Float32Array): Matrix => {
      const key = packed ?? array();
      const known = resident.get(key);
      if (known) return known; // a tied classifier shares the embedding's bytes
      let m: Matrix;
      if (packed) {
        const format = this.ggml ? inputFormatOf(packed.type) : "F32";
        m = { type: TYPE_ID[packed.type], ptr: this.heap.alloc(packed.bytes.byteLength), format };
        this.heap.u8.set(packed.bytes, m.ptr);
      } else {
        m = { type: TYPE_ID.F32, ptr: this.vector(key as Float32Array), format: "F32" };
      }
      resident.set(key, m);
      return m;
    };
    const w = model.weights;
    const p = model.packed;
    const optional = (a: Float32Array | undefined) => (a ? this.vector(a) : 0);
    this.layers = w.layers.map((l, i) => {
      const pl = p?.layers[i];
      return {
        attnNorm: this.vector(l.attnNorm),
        ffnNorm: this.vector(l.ffnNorm),
        bq: optional(l.bq),
        bk: optional(l.bk),
        bv: optional(l.bv),
        qNorm: optional(l.qNorm),
        kNorm: optional(l.kNorm),
        wq: matrix(pl?.wq, () => l.wq),
        wk: matrix(pl?.wk, () => l.wk),
        wv: matrix(pl?.wv, () => l.wv),
        wo: matrix(pl?.wo, () => l.wo),
        w1: matrix(pl?.w1, () => l.w1),
        w2: matrix(pl?.w2, () => l.w2),
        w3: matrix(pl?.w3, () => l.w3),
      };
    });
    this.embedding = matrix(p?.tokenEmbedding, () => w.tokenEmbedding);
    this.output = matrix(p?.output, () => w.output);
    this.outputNorm = this.vector(w.outputNorm);
    this.ropeFreqs = optional(w.ropeFreqs);
    this.neox = c.ropeStyle === "neox" ? 1 : 0;
    // Per share, for the packed types: a group of dequantized rows (quants.ts packedGroupRows) of the widest product.
    const group = Math.max(...[c.dim, c.nHeads * c.headDim, c.hiddenDim].map((n) => this.k.packedGroupRows(n) * n * 4));
    this.rowScratchBytes = [...resident.values()].some((m) => !DIRECT_TYPES.has(m.type)) ? SHARES_PER_THREAD * threads * group : 0;
    this.scratch = this.allocScratch(this.maxChunkRows, [...resident.values()]);
    this.pool = new ThreadPool(this.heap, threads, c.nKvHeads, options.minParallelWork, options.spinMs);
    const s = this.scratch;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;
    this.jobs = this.layers.map((w) => ({
      qkv: this.productJob(s.xb, c.dim, [
        { m: w.wq, out: s.q, d: qDim },
        { m: w.wk, out: s.k, d: kvDim },
        { m: w.wv, out: s.v, d: kvDim },
      ]),
      wo: this.productJob(s.xb, qDim, [{ m: w.wo, out: s.xb2, d: c.dim }]),
      gateUp: this.productJob(s.xb, c.dim, [
        { m: w.w1, out: s.hb, d: c.hiddenDim },
        { m: w.w3, out: s.hb2, d: c.hiddenDim },
      ]),
      down: this.productJob(s.hb, c.hiddenDim, [{ m: w.w2, out: s.xb2, d: c.dim }]),
    }));
    this.classifier = this.productJob(s.x, c.dim, [{ m: this.output, out: s.logits, d: c.vocabSize }]);
  }

  /** Threads running the products (the main thread included). */
  get threads(): number {
    return this.pool.threads;
  }

  /** Bytes of wasm memory this backend holds (weights, scratch, KV entries kept there). */
  get memoryBytes(): number {
    return this.heap.memoryBytes;
  }

  forward(token: number, position: number, cache: KvCache): Float32Array {
    return this.prefill([token], position, cache)[0]!;
  }

  prefill(tokens: readonly number[], start: number, cache: KvCache): Float32Array[] {
    checkRunArguments(this.config, tokens, start, cache);
    return inChunks(tokens, start, this.maxChunkRows, (chunk, at) => this.chunk(chunk, at, cache, "all")).flat();
  }

  /**
   * `prefill` that returns only the last row's logits (what generation needs, and what llama.cpp
   * computes for a prompt): the classifier — most of the work on a 32000-token vocabulary — runs
   * for one row. Same cache calls, same last row as `prefill`, bit for bit.
   */
  prefillLast(tokens: readonly number[], start: number, cache: KvCache): Float32Array {
    if (tokens.length === 0) throw new RangeError("prefillLast needs at least one token");
    checkRunArguments(this.config, tokens, start, cache);
    const chunks = inChunks(tokens, start, this.maxChunkRows, (chunk, at, isLast) =>
      this.chunk(chunk, at, cache, isLast ? "last" : "none"),
    );
    return chunks.at(-1)![0]!;
  }

  /** Worker threads started besides the calling one (0 until the first job big enough to split, or `startThreads`). */
  get workersStarted(): number {
    return this.pool.started;
  }

  /**
   * Starts the worker threads now, without blocking (they otherwise start with the first job big
   * enough to split). Needed in a browser, where a Web Worker cannot start while its parent blocks.
   */
  startThreads(): Promise<void> {
    return this.pool.startAsync();
  }

  /** Stops the worker threads (the memory goes with the backend object). */
  dispose(): void {
    this.pool.dispose();
  }

  /** A float32 vector copied into the memory. */
  private vector(array: Float32Array): number {
    const ptr = this.heap.alloc(array.byteLength);
    this.heap.f32.set(array, ptr >> 2);
    return ptr;
  }

  private allocScratch(rows: number, matrices: readonly Matrix[]): Scratch {
    const c = this.config;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;
    const f = (n: number) => this.heap.alloc(rows * n * 4);
    const widest = Math.max(c.dim, qDim, c.hiddenDim);
    return {
      rows,
      x: f(c.dim),
      xb: f(Math.max(c.dim, qDim)),
      xb2: f(c.dim),
      hb: f(c.hiddenDim),
      hb2: f(c.hiddenDim),
      q: f(qDim),
      k: f(kvDim),
      v: f(kvDim),
      logits: f(c.vocabSize),
      xq: this.heap.alloc(rows * widest * 2),
      xd: f(Math.ceil(widest / 32)),
      sumErrors: f(Math.ceil(widest / 32)),
      rounded: Object.fromEntries([...new Set(matrices.map(roundedFormat))].flatMap((r) => (r ? [[r, f(widest)]] : []))),
      rowScratch: this.rowScratchBytes > 0 ? this.heap.alloc(this.rowScratchBytes) : 0,
    };
  }

  /** The job of `outputs` reading x, with its one-row form written out. */
  private productJob(x: number, n: number, outputs: readonly Output[]): Products {
    const quantized = outputs.some((o) => INT_TYPES.has(o.m.type));
    const rounded = [...new Set(outputs.flatMap((o) => roundedFormat(o.m) ?? []))];
    const minTerms = outputs.filter((o) => o.m.format === "Q8_1");
    return { x, n, outputs, quantized, rounded, minTerms, decode: ThreadPool.pack(this.productList(x, n, 1, outputs)) };
  }

  private productList(x: number, n: number, rows: number, outputs: readonly Output[]): ProductJob[] {
    const { xq, xd, rowScratch, rounded } = this.scratch;
    const inputOf = (m: Matrix) => {
      if (INT_TYPES.has(m.type)) return xq;
      const r = roundedFormat(m);
      return r ? rounded[r]! : x;
    };
    return outputs.map(({ m, out, d }) => ({
      kind: m.type,
      out,
      x: inputOf(m),
      xd,
      w: m.ptr,
      n,
      d,
      rows,
      scratch: DIRECT_TYPES.has(m.type) ? 0 : rowScratch,
    }));
  }

  /**
   * out[t][i] = W[i]·x[t] for `rows` rows, for one to three matrices reading the same input x
   * (one job for the thread pool): the matrix–vector kernel for one row (decode), the blocked
   * matrix–matrix kernel for several (prefill); both sum each element the same way. An integer kind
   * reads x quantized per block, the others x rounded to their input format (once per format for
   * the job; reference/activations.ts), F32 x itself. `x` overrides the job's
   * input (the classifier of the last row only).
   */
  private products(job: Products, rows: number, x = job.x): void {
    if (job.quantized) this.pool.rowsJob(this.ggml ? ROWS_QUANTIZE_Q8 : ROWS_QUANTIZE, x, this.scratch.xq, this.scratch.xd, job.n, rows);
    for (const r of job.rounded) this.pool.rowsJob(ROWS_ROUND, x, this.scratch.rounded[r]!, FORMAT_CODES[r], job.n, rows);
    if (rows === 1 && x === job.x) this.pool.runPacked(job.decode);
    else this.pool.run(this.productList(x, job.n, rows, job.outputs));
    if (job.minTerms.length === 0) return;
    const errors = this.scratch.sumErrors;
    this.k.q8_1SumErrors(x, job.n, rows, errors);
    for (const o of job.minTerms) this.k.addMinTerms(o.out, errors, o.m.ptr, BLOCK_LAYOUT[tensorTypeOf(o.m.type)!].bytes, job.n, o.d, rows);
  }

  /** Rows `start..start+tokens.length-1` through every layer (tokens.length ≤ maxChunkRows). */
  private chunk(tokens: readonly number[], start: number, cache: KvCache, logitsOf: "all" | "last" | "none"): Float32Array[] {
    const c = this.config;
    const k = this.k;
    const s = this.scratch;
    const { dim, headDim, hiddenDim, vocabSize, normEps } = c;
    const qDim = c.nHeads * headDim;
    const rows = tokens.length;
    if (rows > 1) cache.reserve?.(rows); // one growth per store for the chunk (a decode step grows as usual)
    // The tokens' embeddings start the residual stream (dequantized from the file's type).
    tokens.forEach((t, r) => k.dequantRow(this.embedding.type, this.embedding.ptr, t, dim, s.x + r * dim * 4));

    for (let l = 0; l < c.nLayers; l++) {
      const w = this.layers[l]!;
      const jobs = this.jobs[l]!;
      // --- attention: Q/K/V for all rows, then RoPE and attention through the cache, row by row ---
      k.rmsnorm(s.xb, s.x, w.attnNorm, dim, rows, normEps);
      this.products(jobs.qkv, rows);
      this.qkvExtras(w, rows);
      for (let r = 0; r < rows; r++) {
        const position = start + r;
        if (l === 0) cache.registerToken(position, tokens[r]!);
        this.attendRow(l, position, r, s.q + r * qDim * 4, s.xb + r * qDim * 4, cache);
      }
      this.products(jobs.wo, rows); // output projection and residual
      k.addInPlace(s.x, s.xb2, rows * dim);
      // --- SwiGLU feed-forward: w2( silu(w1 x) ⊙ w3 x ) ---
      k.rmsnorm(s.xb, s.x, w.ffnNorm, dim, rows, normEps);
      this.products(jobs.gateUp, rows);
      this.pool.rowsJob(ROWS_SWIGLU, s.hb, s.hb2, 0, hiddenDim, rows);
      this.products(jobs.down, rows);
      k.addInPlace(s.x, s.xb2, rows * dim);
    }

    // Final norm and classifier, for the rows whose logits are wanted.
    if (logitsOf === "none") return [];
    const first = logitsOf === "last" ? rows - 1 : 0;
    const x = s.x + first * dim * 4;
    k.rmsnorm(x, x, this.outputNorm, dim, rows - first, normEps);
    this.products(this.classifier, rows - first, x);
    const f32 = this.heap.f32;
    const base = s.logits >> 2;
    return tokens.slice(first).map((_, r) => f32.slice(base + r * vocabSize, base + (r + 1) * vocabSize));
  }

  /**
   * One row's attention in layer `l`: rotate q and k, append every KV head's key and value, read
   * every KV head's view, attend (all KV heads in one job, split between the threads by KV head),
   * then report each head's probabilities in KV-head order (spec §6, §12.7). Against the
   * reference's order (view, attend, report, per head) the views of all heads are read before the
   * first report — the KvCache contract allows it: a report changes only its own store.
   * Row `r` of the chunk: its key and value are at row r of the K and V scratch.
   */
  private attendRow(l: number, position: number, r: number, q: number, out: number, cache: KvCache): void {
    const c = this.config;
    const { headDim, nKvHeads } = c;
    const group = groupSize(c);
    const k = this.k;
    const s = this.scratch;
    const kvDim = nKvHeads * headDim;
    const key = s.k + r * kvDim * 4;
    const value = s.v + r * kvDim * 4;
    k.ropeQK(q, c.nHeads, key, nKvHeads, headDim, position, c.ropeTheta, this.neox, this.ropeFreqs);
    let f32 = this.heap.f32;
    for (let g = 0; g < nKvHeads; g++) {
      const at = (key >> 2) + g * headDim;
      const vat = (value >> 2) + g * headDim;
      cache.append(l, g, position, f32.subarray(at, at + headDim), f32.subarray(vat, vat + headDim));
    }
    const views = this.views;
    let longest = 0;
    for (let g = 0; g < nKvHeads; g++) {
      const view = cache.view(l, g);
      views[g] = view;
      if (view.length > longest) longest = view.length;
    }
    this.ensureAttention(longest);
    // The jobs' words, written in place: q, keys, values, len, headDim, group, probs, out.
    const words = this.pool.attendWords;
    for (let g = 0, at = 0; g < nKvHeads; g++, at += JOB_WORDS) {
      const view = views[g]!;
      words[at] = q + g * group * headDim * 4;
      this.entries(view, g, words, at + 1);
      words[at + 3] = view.length;
      words[at + 4] = headDim;
      words[at + 5] = group;
      words[at + 6] = this.probsOf(g);
      words[at + 7] = out + g * group * headDim * 4;
    }
    this.pool.attendWritten(nKvHeads);
    f32 = this.heap.f32;
    for (let g = 0; g < nKvHeads; g++) {
      const len = views[g]!.length;
      const base = this.probsOf(g) >> 2;
      const probs: Float32Array[] = [];
      for (let i = 0; i < group; i++) probs.push(f32.subarray(base + i * len, base + (i + 1) * len));
      // The cache sees this token's attention before the next layer runs (spec §12.7).
      cache.afterAttention(l, g, position, probs);
    }
  }

  /**
   * What Qwen adds between the Q/K/V products and RoPE, for `rows` rows (reference/transformer.ts):
   * Qwen2's biases, Qwen3's RMSNorm of every query and key head (a head is a row of headDim).
   */
  private qkvExtras(w: LayerPtrs, rows: number): void {
    const c = this.config;
    const k = this.k;
    const s = this.scratch;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;
    if (w.bq !== 0) {
      for (let r = 0; r < rows; r++) {
        k.addInPlace(s.q + r * qDim * 4, w.bq, qDim);
        k.addInPlace(s.k + r * kvDim * 4, w.bk, kvDim);
        k.addInPlace(s.v + r * kvDim * 4, w.bv, kvDim);
      }
    }
    if (w.qNorm !== 0) {
      k.rmsnorm(s.q, s.q, w.qNorm, c.headDim, rows * c.nHeads, c.normEps);
      k.rmsnorm(s.k, s.k, w.kNorm, c.headDim, rows * c.nKvHeads, c.normEps);
    }
  }

  /** Where KV head g's probabilities go: `[group][len]` in the attention scratch. */
  private probsOf(g: number): number {
    return this.probsPtr + g * groupSize(this.config) * this.attnCap * 4;
  }

  /**
   * Byte offsets of KV head g's view's keys and values, written to `words[at]`, `words[at + 1]`:
   * where they lie if in this memory, else copied into that head's part of the copy scratch
   * (allocated on first need: a cache on `kvStorage` never needs it).
   */
  private entries(view: KvView, g: number, words: Int32Array, at: number): void {
    const c = this.config;
    const n = view.length * c.headDim;
    if (this.heap.owns(view.keys) && this.heap.owns(view.values)) {
      this.viewStats.inPlace++;
      words[at] = view.keys.byteOffset;
      words[at + 1] = view.values.byteOffset;
      return;
    }
    this.viewStats.copied++;
    const headBytes = this.attnCap * c.headDim * 4;
    if (this.copyCap < this.attnCap) {
      if (this.copyCap > 0) this.heap.release(this.copyPtr, 2 * c.nKvHeads * this.copyCap * c.headDim * 4);
      this.copyPtr = this.heap.alloc(2 * c.nKvHeads * headBytes);
      this.copyCap = this.attnCap;
    }
    const keys = this.copyPtr + 2 * g * headBytes;
    const values = keys + headBytes;
    const f32 = this.heap.f32;
    f32.set(view.keys.subarray(0, n), keys >> 2);
    f32.set(view.values.subarray(0, n), values >> 2);
    words[at] = keys;
    words[at + 1] = values;
  }

  /** Grows the probabilities scratch to `len` entries per query head (geometrically; old spans are reused later). */
  private ensureAttention(len: number): void {
    if (len <= this.attnCap) return;
    const cap = Math.max(64, len, this.attnCap * 2);
    if (this.attnCap > 0) this.heap.release(this.probsPtr, this.config.nHeads * this.attnCap * 4);
    this.probsPtr = this.heap.alloc(this.config.nHeads * cap * 4);
    this.attnCap = cap;
  }
}

/**
 * A {@link KvStorage} in `heap`'s memory. Buffers are freed explicitly by the cache (on resize and
 * `release()`), and otherwise when the garbage collector reclaims them (a cache dropped without
 * `release()`), so the space is reused either way. Arrays not from this heap are ignored by `free`
 * (a released store holds empty JS arrays).
 */
export function wasmKvStorage(heap: WasmHeap): KvStorage {
  const spans = new FinalizationRegistry<{ at: number; bytes: number }>((span) => heap.release(span.at, span.bytes));
  const track = <T extends Float32Array | Int32Array>(array: T): T => {
    spans.register(array, { at: array.byteOffset, bytes: array.byteLength }, array);
    return array;
  };
  return {
    allocFloat32: (length) => {
      const at = heap.alloc(length * 4);
      return track(heap.f32.subarray(at >> 2, (at >> 2) + length));
    },
    allocInt32: (length) => {
      const at = heap.alloc(length * 4);
      return track(heap.i32.subarray(at >> 2, (at >> 2) + length));
    },
    free: (array) => {
      if (!heap.owns(array) || !spans.unregister(array)) return;
      heap.release(array.byteOffset, array.byteLength);
    },
  };
}

/** The rounded copy of the input a matrix reads, or undefined when it reads x (F32) or the integer blocks (INT_TYPES). */
function roundedFormat(m: Matrix): RoundedFormat | undefined {
  return m.format === "F32" || INT_TYPES.has(m.type) ? undefined : m.format;
}
