/**
 * The share of a parallel job one thread runs (the main thread is share 0, worker i is share i):
 * its contiguous slice of each product's output rows. Plain JavaScript, so that worker.mjs (which
 * runs without a TypeScript loader, under Node, Deno and Bun alike) and the main thread
 * (threads.ts) run the very same code.
 *
 * Every output element is computed by the same kernel code whichever thread runs it and however the
 * rows are split (kernels/wasm/assembly/index.ts), so results are bit-identical for every thread count.
 *
 * A job is cut into SHARES shares (a few per thread) that the threads claim one at a time from
 * the NEXT counter (Atomics.add), the main thread included: a worker that wakes late (a busy
 * machine, a descheduled thread) leaves its shares to the others instead of making them wait, so
 * a job never waits on a thread that has not started it. Which thread computes a share does not
 * change its bytes.
 *
 * Control block (int32 words in the shared memory, 64-byte aligned, see threads.ts). Words that
 * different threads write often sit on cache lines of their own (16 words = 64 bytes), so a thread
 * spinning on one does not keep losing its line to another thread's writes to a neighbour:
 *   line 0 (written by the main thread only, before a job opens):
 *     GEN   incremented by the main thread to start a job; STOP in OP ends the workers
 *     SHARES the current job's shares; OP, NJOBS; READY workers that have started
 *   line 1: DONE  shares of the current job finished (every thread adds)
 *   line 2: NEXT  the next unclaimed share of the current job; CLOSED between jobs (every thread claims)
 *   line 3: FAILED set by a worker whose share threw (a kernel trap); the main thread then throws
 *           MAIN_ASLEEP 1 while the main thread sleeps in Atomics.wait on DONE (else 0)
 *           WORKERS_ASLEEP workers sleeping in Atomics.wait on GEN
 *     A thread notifies only when the other side says it sleeps (Atomics.notify takes a lock;
 *     a decode step posts ~30 jobs of a few shares each). Atomics are sequentially consistent:
 *     "add DONE, then read MAIN_ASLEEP" against "set MAIN_ASLEEP, then wait while DONE is unchanged"
 *     cannot both miss, so no wake-up is lost (the same for GEN and WORKERS_ASLEEP).
 *   then NJOBS jobs of JOB_WORDS words each, from JOBS:
 *     OP_PRODUCTS: products (at most MAX_JOBS): kind, out, x, xd, w, n, d, rows, scratch — split by output rows;
 *     OP_ATTEND: one KV head's attention each (up to the model's KV heads): q, keys, values, len,
 *       headDim, group, probs, out — split by KV heads;
 *     OP_ROWS: one row-wise kernel, ROWS_QUANTIZE (quantizeQ16: x, xq, xd, n, rows), ROWS_QUANTIZE_Q8
 *       (quantizeInputQ8, the same words), ROWS_SWIGLU
 *       (swiglu: h, u, -, n, rows) or ROWS_ROUND (roundInput: x, out, format code, n, rows) — split
 *       by rows (each row's result is the same however split).
 * The block holds JOBS + jobSlots · JOB_WORDS words (jobSlots = max(MAX_JOBS, KV heads)).
 */
export const GEN = 0;
export const READY = 1;
export const OP = 2;
export const NJOBS = 3;
export const SHARES = 4;
export const DONE = 16;
export const NEXT = 32;
export const FAILED = 48;
export const MAIN_ASLEEP = 49;
export const WORKERS_ASLEEP = 50;
/** NEXT between jobs: no claim succeeds while the main thread writes the next job. */
export const CLOSED = 1 << 30;
export const JOBS = 64;
export const JOB_WORDS = 9;
export const MAX_JOBS = 3;
/** Words of a control block with room for `jobSlots` jobs. */
export function controlWords(jobSlots) {
  return JOBS + jobSlots * JOB_WORDS;
}
export const OP_PRODUCTS = 1;
export const OP_STOP = 2;
export const OP_ATTEND = 3;
export const OP_ROWS = 4;
export const ROWS_QUANTIZE = 1;
export const ROWS_SWIGLU = 2;
export const ROWS_ROUND = 3;
export const ROWS_QUANTIZE_Q8 = 4;
/** roundInput's format codes (kernels/wasm/assembly/inputs.ts), by reference/activations.ts's names. */
export const FORMAT_CODES = { F16: 1, BF16: 2, Q8_0: 3, Q8_1: 3, Q8_K: 4 };
/**
 * Product kinds: ggml's type ids (F32 0, F16 1, Q8_0 8; Q8_0 reads a quantized input x + xd). Any
 * other id is a packed type of quants.ts, with `scratch` rows per share: Q4_0, Q5_0 and IQ4_NL
 * (packedAsQ8) read the quantized input as Q8_0 does, the others the float32 x.
 */
export const KIND_F32 = 0;
export const KIND_F16 = 1;
export const KIND_Q8 = 8;

/** Rows [r0, r1) of `d` that share `index` of `threads` computes. */
export function shareOf(d, index, threads) {
  return [Math.floor((d * index) / threads), Math.floor((d * (index + 1)) / threads)];
}

/**
 * Claims shares of the current job until none is left, running each; returns how many it ran.
 * Each finished share counts in DONE (with a notify when the main thread sleeps in Atomics.wait).
 * A share that throws sets FAILED, still counts (so DONE always reaches SHARES), and the error
 * propagates to the caller.
 */
export function claimShares(k, ctrl) {
  let ran = 0;
  for (;;) {
    // SHARES is read after the claim: a claim can only succeed while NEXT is open, and the main
    // thread writes SHARES and the job before opening it (a worker late for an earlier job may
    // claim here; NEXT is CLOSED between jobs, so it then finds nothing).
    const s = Atomics.add(ctrl, NEXT, 1);
    const shares = Atomics.load(ctrl, SHARES);
    if (s >= shares) return ran;
    try {
      runShare(k, ctrl, s, shares);
    } catch (e) {
      // Flagged before the share counts as done, so the main thread sees the flag for this job.
      Atomics.store(ctrl, FAILED, 1);
      throw e;
    } finally {
      ran++;
      Atomics.add(ctrl, DONE, 1);
      if (Atomics.load(ctrl, MAIN_ASLEEP) !== 0) Atomics.notify(ctrl, DONE);
    }
  }
}

/** Runs share `index` of `threads` shares of the job described in `ctrl` with the kernel exports `k`. */
export function runShare(k, ctrl, index, threads) {
  const jobs = ctrl[NJOBS];
  if (ctrl[OP] === OP_ROWS) {
    const [fn, a, b, c, n, rows] = ctrl.subarray(JOBS, JOBS + 6);
    const [r0, r1] = shareOf(rows, index, threads);
    if (r0 === r1) return;
    if (fn === ROWS_QUANTIZE) k.quantizeQ16(a + r0 * n * 4, n, r1 - r0, b + r0 * n * 2, c + r0 * (n >> 5) * 4);
    else if (fn === ROWS_QUANTIZE_Q8) k.quantizeInputQ8(a + r0 * n * 4, n, r1 - r0, b + r0 * n * 2, c + r0 * (n >> 5) * 4);
    else if (fn === ROWS_ROUND) k.roundInput(c, a + r0 * n * 4, n, r1 - r0, b + r0 * n * 4);
    else k.swiglu(a + r0 * n * 4, b + r0 * n * 4, (r1 - r0) * n);
    return;
  }
  if (ctrl[OP] === OP_ATTEND) {
    // Whole KV heads per thread: a head's probabilities and outputs are its own, in the same kernel.
    const [g0, g1] = shareOf(jobs, index, threads);
    for (let j = g0; j < g1; j++) {
      const at = JOBS + j * JOB_WORDS;
      k.attend(ctrl[at], ctrl[at + 1], ctrl[at + 2], ctrl[at + 3], ctrl[at + 4], ctrl[at + 5], ctrl[at + 6], ctrl[at + 7]);
    }
    return;
  }
  for (let j = 0; j < jobs; j++) {
    const at = JOBS + j * JOB_WORDS;
    const kind = ctrl[at],
      out = ctrl[at + 1],
      x = ctrl[at + 2],
      xd = ctrl[at + 3],
      w = ctrl[at + 4];
    const n = ctrl[at + 5],
      d = ctrl[at + 6],
      rows = ctrl[at + 7],
      scratch = ctrl[at + 8];
    const [r0, r1] = shareOf(d, index, threads);
    if (r0 === r1) continue;
    if (kind === KIND_Q8) {
      if (rows === 1) k.matvecQ8(out, x, xd, w, n, r0, r1);
      else k.matmmQ8(out, x, xd, w, n, d, rows, r0, r1);
    } else if (kind === KIND_F16) {
      if (rows === 1) k.matvecF16(out, x, w, n, r0, r1);
      else k.matmmF16(out, x, w, n, d, rows, r0, r1);
    } else if (kind === KIND_F32) {
      if (rows === 1) k.matvecF32(out, x, w, n, r0, r1);
      else k.matmmF32(out, x, w, n, d, rows, r0, r1);
    } else {
      // Another packed type (quants.ts): each share has its own scratch, packedGroupRows(n) rows of n floats.
      const mine = scratch + index * k.packedGroupRows(n) * n * 4;
      if (k.packedAsQ8(kind)) k.matmulPackedQ8(kind, out, x, xd, w, n, d, rows, r0, r1, mine);
      else k.matmulPacked(kind, out, x, w, n, d, rows, r0, r1, mine);
    }
  }
}
