/**
 * node:os for the page: the wasm backend's default thread count. Its extra threads are
 * node:worker_threads workers, which a page does not have, so the page runs it on one thread.
 */
export function availableParallelism(): number {
  return 1;
}

export default { availableParallelism };
