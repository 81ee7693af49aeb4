/**
 * A worker thread of the wasm backend: instantiates the kernels over the backend's shared memory,
 * then runs its share of every job the main thread posts in the control block, until told to stop.
 * Under Node, Deno and Bun, threads.ts starts it with node:worker_threads and its settings come as
 * `workerData`; in a browser (web/shims/node-worker-threads.ts) it is a module Web Worker and they
 * come as its first message. Waiting: a spin of up to `spinMs` (a decode step posts a job every few
 * to a few hundred microseconds; a wake-up from Atomics.wait costs tens), then Atomics.wait.
 */
import { claimShares, controlWords, GEN, OP, OP_STOP, READY, WORKERS_ASLEEP } from "./share.mjs";

const nodeLike = typeof process !== "undefined" && process.versions?.node !== undefined;
const { wasmPath, memory, control, jobSlots, index, spinMs } = nodeLike
  ? (await import("node:worker_threads")).workerData
  : await new Promise((resolve) => {
      globalThis.addEventListener("message", (e) => resolve(e.data), { once: true });
    });
const bytes = nodeLike ? (await import("node:fs")).readFileSync(wasmPath) : new Uint8Array(await (await fetch(wasmPath)).arrayBuffer());
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
const ctrl = new Int32Array(memory.buffer, control, controlWords(jobSlots));
Atomics.add(ctrl, READY, 1);
Atomics.notify(ctrl, READY);

let seen = 0;
for (;;) {
  for (let spins = 0, until = 0; Atomics.load(ctrl, GEN) === seen; ) {
    // The clock is read every 256 loads; past the deadline, sleep until the next job is posted.
    if ((++spins & 255) !== 0) continue;
    const now = performance.now();
    if (until === 0) until = now + spinMs;
    else if (now > until) {
      Atomics.add(ctrl, WORKERS_ASLEEP, 1);
      Atomics.wait(ctrl, GEN, seen);
      Atomics.sub(ctrl, WORKERS_ASLEEP, 1);
      until = 0;
    }
  }
  seen = Atomics.load(ctrl, GEN);
  if (ctrl[OP] === OP_STOP) break;
  // Claim shares until none is left (the main thread claims too; a late worker may find none).
  // A share that throws has still been counted done (claimShares), so the main thread never
  // waits forever; it is flagged as failed and the main thread throws.
  for (;;) {
    try {
      claimShares(instance.exports, ctrl);
      break;
    } catch (e) {
      console.error(`wasm worker ${index}: ${e?.stack ?? e}`);
    }
  }
}
