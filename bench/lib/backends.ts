/** Every backend a benchmark compares: the reference, the wasm kernels and each gpu.js mode available here. */
import type { Backend } from "../../src/interfaces.ts";
import { createBackend } from "../../src/create-backend.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { availableModes, GPU_MODES, type GpuMode, modeAvailability } from "../../kernels/gpu/modes.ts";

export interface BackendChoice {
  readonly label: string;
  make(model: LlamaModel): Promise<Backend>;
}

let told = false;

export function benchBackends(log: (s: string) => void = console.log): BackendChoice[] {
  for (const m of GPU_MODES) {
    const a = modeAvailability(m);
    if (!a.available && !told) log(`  (gpu.js mode ${m} skipped: ${a.reason})`);
  }
  told = true;
  return [
    { label: "reference", make: (model) => createBackend(model, { backend: "reference", gpuMode: "auto" }) },
    { label: "wasm", make: (model) => createBackend(model, { backend: "wasm", gpuMode: "auto" }) },
    // webgl2 is browser-only (never available under Node); the filter tells the type so.
    ...availableModes()
      .filter((m): m is Exclude<GpuMode, "webgl2"> => m !== "webgl2")
      .map((mode) => ({ label: `gpu:${mode}`, make: (model: LlamaModel) => createBackend(model, { backend: "gpu", gpuMode: mode }) })),
  ];
}
