/**
 * Worker threads for the wasm backend: `threads - 1` workers over the backend's one shared
 * memory, started on the first job big enough to split (or ahead, `startAsync`, which a browser
 * needs). They are node:worker_threads workers (Node, Deno and Bun all provide it; a page gets
 * module Web Workers through web/shims/node-worker-threads.ts). The main thread takes shares of
 * each job itself. Work is split by output rows (share.mjs), the main thread blocks with
 * Atomics.wait (allowed on the main thread in Node, Deno and Bun, and in a Web Worker, where the
 * page runs the library) until every share is done.
 *
 * A job is one to three matrix products that read the same input (Q/K/V; gate and up), so a
 * decode step posts four jobs per layer and one for the classifier. Waiting starts with a spin of
 * up to `spinMs` (2 ms) before Atomics.wait: a wake-up through Atomics.wait costs tens of
 * microseconds, about as long as one product, and a decode step leaves gaps between jobs (norms,
 * RoPE, the cache calls; the argmax between tokens) and waits of up to a share's length (a share
 * of the 32000-row classifier is ~1.5 ms) on the side that finishes first. A spin of 2,000 loads
 * (~2–4 µs) let the threads fall asleep there: 2 threads decoded at 0.8–1.3× one thread's speed on
 * the 15M shape; spinning 0.5 / 1 / 2 / 5 ms: 1.15–1.44 / 1.32–1.48 / 1.58–1.68 / 1.44–1.47×
 * (load average < 1, 2 cores). The spin burns the waiting core only while jobs keep coming; an
 * idle pool sleeps after 2 ms.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { kernelsWasmUrl, type WasmHeap } from "./runtime.ts";
import {
  claimShares,
  CLOSED,
  controlWords,
  DONE,
  FAILED,
  GEN,
  JOB_WORDS,
  JOBS,
  MAIN_ASLEEP,
  MAX_JOBS,
  NEXT,
  NJOBS,
  OP,
  OP_ATTEND,
  OP_PRODUCTS,
  OP_ROWS,
  OP_STOP,
  READY,
  runShare,
  SHARES,
  WORKERS_ASLEEP,
} from "./share.mjs";

/**
 * One product: out[t][i] = W[i]·x[t] for `rows` rows, W `[d][n]` of `kind` (F32 0, F16 1, Q8_0 8
 * and the packedAsQ8 types: x, xd quantized; other packed types: `scratch` rows per share, share.mjs).
 */
export interface ProductJob {
  readonly kind: number;
  readonly out: number;
  readonly x: number;
  readonly xd: number;
  readonly w: number;
  readonly n: number;
  readonly d: number;
  readonly rows: number;
  readonly scratch: number;
}

/** Product jobs written out as control words once (`ThreadPool.pack`), for jobs posted every decode step. */
export interface PackedProducts {
  /** JOB_WORDS words per product. */
  readonly words: Int32Array;
  readonly count: number;
  /** Multiply-adds of the whole job. */
  readonly work: number;
}

/** How long a waiting thread spins before Atomics.wait, in milliseconds (see the file comment). */
export const SPIN_MS = 2;
/**
 * Multiply-adds below which a job runs on the main thread alone: waking the workers and waiting for
 * them costs a few microseconds at best (much more on a busy machine), a few µs of work at ~5 G/s.
 * Which thread computes a row does not change its bytes, so this changes speed only.
 */
export const MIN_PARALLEL_WORK = 1 << 16;
/**
 * Shares per thread of a large product job, claimed one at a time: with 2 threads, 8 shares — a
 * worker that starts late leaves the main thread at most ~1/8 of the job to wait for, not half.
 */
export const SHARES_PER_THREAD = 4;
/**
 * Multiply-adds per share below which a product job gets fewer shares (at least one per thread):
 * each share costs a claim and a count on cache lines the threads pass back and forth, and a
 * decode step of the 15M shape posts 24 layer jobs of 80–450 K multiply-adds. With one share per
 * thread for those (and 8 for the classifier), 2 threads decoded Q8_0 at 1.4–1.6× one thread,
 * against 1.1–1.3× with 8 shares for every job (15 alternating rounds, bench/wasm.ts's shape).
 */
export const SHARE_WORK = 1 << 18;
/** How long the constructor waits for the workers to start. */
const START_TIMEOUT_MS = 60_000;

export class ThreadPool {
  readonly threads: number;
  private readonly minParallelWork: number;
  private readonly spinMs: number;
  private readonly jobSlots: number;
  private readonly heap: WasmHeap;
  private readonly ctrl: Int32Array;
  /**
   * The words of `count` attention jobs, to fill in place (JOB_WORDS each: q, keys, values, len,
   * headDim, group, probs, out) before {@link attendWritten}: no objects per decode step.
   */
  readonly attendWords: Int32Array;
  private readonly workers: Worker[] = [];
  /** After dispose, every job runs on the main thread (the results are the same). */
  private disposed = false;

  /**
   * `maxAttendJobs`: the most KV heads one attention job holds (the model's KV heads).
   * `minParallelWork`: multiply-adds below which a job runs on the main thread alone (tests set 0).
   * `spinMs`: how long a waiting thread spins before sleeping in Atomics.wait.
   */
  constructor(heap: WasmHeap, threads: number, maxAttendJobs = 0, minParallelWork = MIN_PARALLEL_WORK, spinMs = SPIN_MS) {
    this.heap = heap;
    this.threads = threads;
    this.minParallelWork = minParallelWork;
    this.spinMs = spinMs;
    this.jobSlots = Math.max(MAX_JOBS, maxAttendJobs);
    const words = controlWords(this.jobSlots);
    // 64-byte aligned, so the block's cache lines are its own (share.mjs).
    const control = (heap.alloc(words * 4 + 48) + 63) & ~63;
    this.ctrl = heap.i32.subarray(control >> 2, (control >> 2) + words);
    this.ctrl.fill(0);
    this.ctrl[NEXT] = CLOSED;
    this.attendWords = this.ctrl.subarray(JOBS, JOBS + this.jobSlots * JOB_WORDS);
  }

  /**
   * Starts the workers, the first time a job is big enough to split: a model whose products are
   * all small (stories260K) never pays for threads it would not use.
   */
  private start(): void {
    this.spawn();
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let ready = Atomics.load(this.ctrl, READY); ready < this.threads - 1; ready = Atomics.load(this.ctrl, READY)) {
      if (Date.now() > deadline) this.notStarted();
      Atomics.wait(this.ctrl, READY, ready, 100);
    }
  }

  /**
   * Starts the workers now and resolves when they run, without blocking this thread. A browser
   * starts a Web Worker only while its parent returns to the event loop, so there the workers must
   * be started this way before the first job (the blocking start would wait for them forever).
   */
  async startAsync(): Promise<void> {
    if (this.threads === 1 || this.workers.length > 0 || this.disposed) return;
    this.spawn();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Atomics.load(this.ctrl, READY) < this.threads - 1) {
      if (Date.now() > deadline) this.notStarted();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private spawn(): void {
    const threads = this.threads;
    const control = this.ctrl.byteOffset;
    const wasmPath = fileURLToPath(kernelsWasmUrl);
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(new URL("./worker.mjs", import.meta.url), {
        workerData: { wasmPath, memory: this.heap.memory, control, jobSlots: this.jobSlots, index, threads, spinMs: this.spinMs },
      });
      // The workers never keep the process alive: they only run while the main thread waits for them.
      worker.unref();
      this.workers.push(worker);
    }
  }

  private notStarted(): never {
    this.dispose();
    throw new Error(`the wasm backend's ${this.threads - 1} worker thread(s) did not start within ${START_TIMEOUT_MS / 1000} s`);
  }

  /** Worker threads that have started (0 until a job big enough to split, or `startAsync`; not counted down by `dispose`). */
  get started(): number {
    return Atomics.load(this.ctrl, READY);
  }

  /** Control words of up to MAX_JOBS products (reading inputs already in memory), for {@link runPacked}. */
  static pack(jobs: readonly ProductJob[]): PackedProducts {
    if (jobs.length > MAX_JOBS) throw new RangeError(`at most ${MAX_JOBS} products per job`);
    const words = new Int32Array(jobs.length * JOB_WORDS);
    jobs.forEach((j, i) => words.set([j.kind, j.out, j.x, j.xd, j.w, j.n, j.d, j.rows, j.scratch], i * JOB_WORDS));
    return { words, count: jobs.length, work: jobs.reduce((sum, j) => sum + j.n * j.d * j.rows, 0) };
  }

  /** Runs the products on every thread, split by output rows; returns when all are done. */
  run(jobs: readonly ProductJob[]): void {
    this.runPacked(ThreadPool.pack(jobs));
  }

  /** {@link run} with the jobs' words written once (a decode step's products never change). */
  runPacked(packed: PackedProducts): void {
    const c = this.ctrl;
    c[OP] = OP_PRODUCTS;
    c[NJOBS] = packed.count;
    c.set(packed.words, JOBS);
    this.dispatch(packed.work);
  }

  /**
   * Runs the `count` attention jobs written into {@link attendWords} (one per KV head) on every thread, split by KV
   * heads; returns when all are done.
   */
  attendWritten(count: number): void {
    if (count > this.jobSlots) throw new RangeError(`at most ${this.jobSlots} attention jobs at once`);
    const c = this.ctrl;
    c[OP] = OP_ATTEND;
    c[NJOBS] = count;
    // Scores and the value mix: 2 multiply-adds per entry and dimension for each query head.
    let work = 0;
    for (let i = 0, at = JOBS; i < count; i++, at += JOB_WORDS) work += 2 * c[at + 3]! * c[at + 4]! * c[at + 5]!;
    this.dispatch(work);
  }

  /**
   * A row-wise kernel (share.mjs OP_ROWS: `fn` ROWS_QUANTIZE(_Q8), ROWS_SWIGLU or ROWS_ROUND over `rows` rows of n)
   * on every thread, split by rows; on the main thread alone when small (a decode step's one row).
   */
  rowsJob(fn: number, a: number, b: number, c: number, n: number, rows: number): void {
    const ctrl = this.ctrl;
    ctrl[OP] = OP_ROWS;
    ctrl[NJOBS] = 1;
    ctrl.set([fn, a, b, c, n, rows], JOBS);
    this.dispatch(rows > 1 ? n * rows : 0);
  }

  /** The job in the control block, on the main thread alone when small, else on every thread. */
  private dispatch(work: number): void {
    const c = this.ctrl;
    if (this.threads === 1 || work < this.minParallelWork || this.disposed) {
      runShare(this.heap.kernels, c, 0, 1);
      return;
    }
    if (this.workers.length === 0) this.start();
    // Products: up to a few shares per thread (SHARE_WORK each at least), claimed one at a time
    // (share.mjs), so a late worker's part is taken by whoever is free. Attention: one share per
    // thread (whole KV heads).
    const shares =
      c[OP] !== OP_PRODUCTS
        ? this.threads
        : Math.min(SHARES_PER_THREAD * this.threads, Math.max(this.threads, Math.floor(work / SHARE_WORK)));
    // The job's words were written while NEXT was CLOSED; open it last.
    Atomics.store(c, SHARES, shares);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, NEXT, 0);
    Atomics.add(c, GEN, 1);
    if (Atomics.load(c, WORKERS_ASLEEP) !== 0) Atomics.notify(c, GEN);
    let mainError: unknown;
    for (;;) {
      try {
        claimShares(this.heap.kernels, c);
        break;
      } catch (e) {
        mainError ??= e; // counted done; the other shares still run before the next job is posted
      }
    }
    // Wait only for shares a worker has claimed and is running.
    for (let spins = 0, until = 0, done = Atomics.load(c, DONE); done < shares; done = Atomics.load(c, DONE)) {
      // The clock is read every 256 loads; past the deadline, sleep until a worker reports.
      if ((++spins & 255) !== 0) continue;
      const now = performance.now();
      if (until === 0) until = now + this.spinMs;
      else if (now > until) {
        Atomics.store(c, MAIN_ASLEEP, 1);
        Atomics.wait(c, DONE, done, 1000);
        Atomics.store(c, MAIN_ASLEEP, 0);
        until = 0;
      }
    }
    Atomics.store(c, NEXT, CLOSED);
    const workerFailed = Atomics.exchange(c, FAILED, 0) !== 0;
    if (mainError !== undefined) throw mainError;
    if (workerFailed) throw new Error("a wasm worker thread failed (its error is on stderr)");
  }

  /** Stops the workers (started or not); later jobs run on the main thread. */
  dispose(): void {
    this.disposed = true;
    if (this.workers.length === 0) return;
    this.ctrl[OP] = OP_STOP;
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
