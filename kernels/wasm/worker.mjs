/**
 * A worker thread of the wasm backend (threads.ts starts them with node:worker_threads, which
 * Node, Deno and Bun all provide): instantiates the kernels over the backend's shared memory, then
 * runs its share of every job the main thread posts in the control block, until told to stop.
 * Waiting: a short spin (a decode step posts a job every few microseconds), then Atomics.wait.
 */
import { readFileSync } from "node:fs";
import { workerData } from "node:worker_threads";
import { controlWords, DONE, FAILED, GEN, OP, OP_STOP, READY, runShare } from "./share.mjs";

const { wasmPath, memory, control, jobSlots, index, threads, spin } = workerData;
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { env: { memory } });
const ctrl = new Int32Array(memory.buffer, control, controlWords(jobSlots));
Atomics.add(ctrl, READY, 1);
Atomics.notify(ctrl, READY);

let seen = 0;
for (;;) {
  for (let spins = 0; Atomics.load(ctrl, GEN) === seen; ) {
    if (++spins > spin) {
      Atomics.wait(ctrl, GEN, seen);
      spins = 0;
    }
  }
  seen = Atomics.load(ctrl, GEN);
  if (ctrl[OP] === OP_STOP) break;
  try {
    runShare(instance.exports, ctrl, index, threads);
  } catch (e) {
    // Still report done (the main thread must not wait forever), flagged as failed.
    console.error(`wasm worker ${index}: ${e?.stack ?? e}`);
    Atomics.store(ctrl, FAILED, 1);
  }
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}
