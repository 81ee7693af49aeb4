/** node:os for the page: the wasm backend's default thread count is the browser's logical cores. */
export function availableParallelism(): number {
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

export default { availableParallelism };
