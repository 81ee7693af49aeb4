/**
 * The wasm backend's defaults that need no kernels running: the thread count for a model on this
 * machine and whether the backend can run a model here (re-exported by backend.ts).
 */
import { availableParallelism } from "node:os";
import type { LlamaConfig } from "../../src/model/types.ts";
import { kernelModule } from "./runtime.ts";

/**
 * Multiply-adds per token below which the default is one thread: starting the worker threads takes
 * ~150 ms here (a worker runtime and the kernels compiled again), and such a model's jobs are too
 * small to split with profit (stories260K: 0.26 M, BabyLlama: 0.94 M; on 2 threads `generate` on
 * stories260K took 0.25–0.30 s against 0.14–0.16 s on one).
 */
export const SMALL_MODEL_WORK = 2_000_000;

/** Multiply-adds of one token's forward pass outside attention: the layers' products and the classifier. */
export function tokenWork(c: LlamaConfig): number {
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  return c.nLayers * (c.dim * qDim + 2 * c.dim * kvDim + qDim * c.dim + 3 * c.dim * c.hiddenDim) + c.dim * c.vocabSize;
}

/**
 * The thread count used when none is given: this machine's cores (os.availableParallelism), or one
 * for a model under SMALL_MODEL_WORK multiply-adds per token.
 */
export function defaultThreads(config?: LlamaConfig): number {
  if (config && tokenWork(config) < SMALL_MODEL_WORK) return 1;
  return availableParallelism();
}

/**
 * Why the wasm backend cannot run `config` here (the kernels not built, no WebAssembly SIMD, a head
 * size that is not a multiple of 4), or undefined when it can.
 */
export function wasmUnavailable(config?: LlamaConfig): string | undefined {
  if (config && config.headDim % 4 !== 0) return `the wasm backend needs a head size that is a multiple of 4, got ${config.headDim}`;
  try {
    kernelModule();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
