/**
 * Moving host data onto the device. Two kinds:
 * - {@link resident}: weights, uploaded once and reused by every call (README "Weights residency");
 *   the norm vectors go through here, matrices through ops/matmul.ts `uploadMatrix` (its layout);
 * - {@link toDevice}: per-call activations that then flow into kernels which elsewhere take kernel
 *   results, so that a kernel always sees the same argument type (a type change makes gpu.js
 *   compile and switch to a second kernel).
 */
import { hostArray, type DeviceArray, type KernelArg, type KernelRuntime, type KernelThis } from "./runtime.ts";
import { isGlMode } from "./modes.ts";

function copy1d(this: KernelThis<object>, a: number[]): number {
  return a[this.thread.x]!;
}

function copy2d(this: KernelThis<object>, a: number[][]): number {
  return a[this.thread.y]![this.thread.x]!;
}

function copyKernelFor(dims: readonly number[]): typeof copy1d | typeof copy2d {
  if (dims.length === 1) return copy1d;
  if (dims.length === 2) return copy2d;
  throw new RangeError(`only 1D and 2D arrays are copied to the device, got dims [${dims.join(", ")}]`);
}

/**
 * Weights that stay on the device. headlessgl: a texture written once by an `immutable` copy
 * kernel, so uploading the next matrix of the same shape cannot overwrite it (trap 2).
 * cpu and webasm have no device memory: the host array itself is passed, without a copy.
 */
export function resident(rt: KernelRuntime, data: Float32Array, dims: readonly number[]): KernelArg {
  checkLength(data, dims);
  if (!isGlMode(rt.mode)) return dims.length === 1 ? data : hostArray(data, dims);
  const k = rt.kernel(`resident[${dims.join("x")}]`, copyKernelFor(dims), { output: dims, immutable: true });
  return k(hostArray(data, dims));
}

/** Per-call upload through the mutable copy kernel of `role`: valid until that role's next upload. */
export function toDevice(rt: KernelRuntime, role: string, data: Float32Array, dims: readonly number[]): DeviceArray {
  checkLength(data, dims);
  const k = rt.kernel(`toDevice:${role}[${dims.join("x")}]`, copyKernelFor(dims), { output: dims });
  return k(hostArray(data, dims));
}

function checkLength(data: Float32Array, dims: readonly number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new RangeError(`array of ${data.length} floats does not fill dims [${dims.join(", ")}] (${n})`);
}
