/** node:worker_threads for the page: none (the wasm backend runs on one thread here, see node-os.ts). */
export class Worker {
  constructor() {
    throw new Error("node:worker_threads is not available in a browser: the wasm backend runs on one thread here");
  }
}

export const isMainThread = true;
export const parentPort = null;
export const workerData = undefined;

export default { Worker, isMainThread, parentPort, workerData };
