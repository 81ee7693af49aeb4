/**
 * Creating a backend by name: `auto` (the default: the fastest available, the wasm SIMD kernels
 * unless they are not built), `reference` (the float32 oracle), `wasm`, or `gpu` (gpu.js). The wasm
 * and gpu modules are loaded only when asked for. `backend.name` says which one ran.
 */
import { ReferenceTransformer } from "../reference/transformer.ts";
import type { Backend } from "./interfaces.ts";
import type { LlamaModel } from "./model/types.ts";
// Type-only: the mode names are checked against kernels/gpu/modes.ts without loading gpu.js here.
import type { GpuModeOption } from "../kernels/gpu/modes.ts";

export const BACKEND_NAMES = ["auto", "reference", "wasm", "gpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** gpu.js modes for `--gpu-mode` (kernels/gpu/modes.ts says which are available and why). */
export const GPU_MODES = ["auto", "headlessgl", "webasm", "cpu"] as const satisfies readonly GpuModeOption[];
export type GpuMode = (typeof GPU_MODES)[number];

/** A sanity cap on --threads (each is a worker thread with its own compiled kernels). */
export const MAX_THREADS = 256;

export interface BackendOptions {
  readonly backend: BackendName;
  readonly gpuMode: GpuMode;
  /**
   * Threads for the wasm backend (`wasm`, `auto`); default: this machine's cores, or 1 for a model
   * under 2 M multiply-adds per token (kernels/wasm/backend.ts defaultThreads). Results do not depend on it.
   */
  readonly threads?: number;
  /**
   * Start the wasm backend's worker threads before returning, without blocking (else they start
   * with the first job big enough to split). A browser needs it: a Web Worker cannot start while
   * its parent blocks.
   */
  readonly startThreads?: boolean;
}

export async function createBackend(model: LlamaModel, options: BackendOptions): Promise<Backend> {
  if (options.backend === "reference") return new ReferenceTransformer(model);
  if (options.backend === "wasm" || options.backend === "auto") {
    const { defaultThreads, WasmBackend, wasmUnavailable } = await import("../kernels/wasm/backend.ts");
    // auto: the reference when the wasm backend cannot run this model here (not built, no SIMD, head size).
    if (options.backend === "auto" && wasmUnavailable(model.config) !== undefined) return new ReferenceTransformer(model);
    const backend = new WasmBackend(model, { threads: options.threads ?? defaultThreads(model.config) });
    if (options.startThreads) await backend.startThreads();
    return backend;
  }
  const { GpuBackend } = await import("../kernels/gpu/gpu-backend.ts");
  return new GpuBackend(model, { mode: options.gpuMode });
}
