/**
 * node:worker_threads for the page: the wasm backend's worker threads (kernels/wasm/threads.ts)
 * as module Web Workers. The settings Node passes as `workerData` go as the worker's first
 * message (kernels/wasm/worker.mjs reads either); the shared memory travels in it like any
 * SharedArrayBuffer, which needs a cross-origin isolated page (`npm run web` serves it so).
 */
export class Worker {
  private readonly worker: globalThis.Worker;

  constructor(url: URL | string, options: { workerData?: unknown } = {}) {
    this.worker = new globalThis.Worker(url, { type: "module" });
    this.worker.postMessage(options.workerData);
    this.worker.addEventListener("error", (e) => console.error(`wasm worker thread: ${e.message}`));
  }

  /** A page's workers never keep anything alive. */
  unref(): void {}

  terminate(): Promise<number> {
    this.worker.terminate();
    return Promise.resolve(0);
  }
}

export const isMainThread = true;
export const parentPort = null;
export const workerData = undefined;

export default { Worker, isMainThread, parentPort, workerData };
