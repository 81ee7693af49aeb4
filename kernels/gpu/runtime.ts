/**
 * One gpu.js instance in one mode, and the only place kernels are created. Every kernel gets the
 * same safe settings (README "Traps"):
 * - float32 throughout: `precision: 'single'`, `tactic: 'precision'` (highp);
 * - fixed output and argument sizes (no `dynamicOutput`/`dynamicArguments`, trap 3): callers pad
 *   to a bucket size and key kernels by shape;
 * - `pipeline: true`, so results stay on the device between kernels; outputs are mutable unless
 *   asked for (trap 2): a kernel's next call overwrites its previous result, so each call site
 *   owns its kernel (the key names the role) and weights are uploaded through an immutable kernel;
 * - on headlessgl `optimizeFloatMemory`, which packs four floats per texel and lays every output
 *   out as a near-square texture (a plain 2D output wider than 16384 would not fit);
 * - after a kernel's first run we check it really ran in this mode (gpu.js silently falls back to
 *   its cpu backend for things a backend cannot do).
 * Loop bounds in kernel bodies are always `this.constants.*` (trap 1), never arguments.
 */
import {
  CPUKernel,
  GPU,
  HeadlessGLKernel,
  Input,
  type IKernelRunShortcut,
  type KernelFunction,
  type Texture,
  WebAssemblyKernel,
  WebGL2Kernel,
} from "gpu.js";
import { type GpuMode, isGlMode } from "./modes.ts";

/** A kernel result: a texture on headlessgl, typed arrays (one per row for 2D) on cpu and webasm. */
export type DeviceArray = Texture | Float32Array | Float32Array[] | Float32Array[][];
/** Host data handed to a kernel for one call is wrapped in an {@link Input} with its dimensions. */
export type KernelArg = DeviceArray | Input;
export type Kernel = (...args: KernelArg[]) => DeviceArray;

/** What a kernel body sees as `this` (gpu.js's IKernelFunctionThis, reduced to what we use). */
export interface KernelThis<C> {
  readonly thread: { readonly x: number; readonly y: number; readonly z: number };
  readonly constants: C;
}

/**
 * A kernel body: plain JavaScript that gpu.js parses from its source text and transpiles per mode.
 * Only the gpu.js subset is allowed inside (no closures, no nested functions, numbers only).
 */
export type KernelBody = (...args: never[]) => number | number[];

export interface KernelSpec {
  /** gpu.js order: `[x]`, `[x, y]` or `[x, y, z]` (x fastest). */
  readonly output: readonly number[];
  /** Sizes and scalars the body reads as `this.constants.*`; loop bounds must come from here. */
  readonly constants?: Readonly<Record<string, number>>;
  /** Keep every result (a fresh texture per call) instead of reusing one output buffer. */
  readonly immutable?: boolean;
  /** Each thread returns four floats (a `vec4` texel on headlessgl); the body returns `[a, b, c, d]`. */
  readonly vec4?: boolean;
}

/** Wraps host data with its gpu.js dimensions (x fastest), without copying. */
export function hostArray(data: Float32Array, dims: readonly number[]): Input {
  if (dims.length < 1 || dims.length > 3) throw new RangeError(`host arrays have 1 to 3 dimensions, got ${dims.length}`);
  // gpu.js reads a plain array as [x, y, z] (an Int32Array would be taken for an {x, y, z} object).
  return new Input(data as unknown as number[], [...dims] as [number, number, number]);
}

export class KernelRuntime {
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, Kernel>();
  private destroyed = false;
  readonly mode: GpuMode;

  constructor(mode: GpuMode) {
    this.mode = mode;
    this.gpu = new GPU({ mode });
  }

  /** Number of distinct kernels built so far (each costs a compile). */
  get kernelCount(): number {
    return this.kernels.size;
  }

  /**
   * The kernel for `key`, created on first use. The key must name the call site and every size
   * baked into the kernel: two call sites sharing one mutable kernel would overwrite each other.
   */
  kernel(key: string, body: KernelBody, spec: KernelSpec): Kernel {
    const found = this.kernels.get(key);
    if (found !== undefined) return found;
    if (this.destroyed) throw new Error("this gpu.js runtime has been disposed");
    for (const n of spec.output) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel ${key}: output size ${n} is not a positive integer`);
    }
    const shortcut = this.gpu.createKernel(body as unknown as KernelFunction, {
      output: [...spec.output],
      constants: { ...spec.constants },
      precision: "single",
      tactic: "precision",
      pipeline: true,
      immutable: spec.immutable ?? false,
      // Packing is for scalar outputs; a vec4 output already fills a texel.
      optimizeFloatMemory: isGlMode(this.mode) && spec.vec4 !== true,
      ...(spec.vec4 === true ? { returnType: "Array(4)" as const } : {}),
      dynamicOutput: false,
      dynamicArguments: false,
    }) as IKernelRunShortcut;
    let checked = false;
    const run: Kernel = (...args) => {
      const out = shortcut(...args) as DeviceArray;
      if (!checked) {
        assertRanIn(shortcut, this.mode, key);
        checked = true;
      }
      return out;
    };
    this.kernels.set(key, run);
    return run;
  }

  /** Starts releasing every kernel, texture and the GL context (gpu.js finishes this asynchronously). */
  destroy(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    this.kernels.clear();
    return this.gpu.destroy();
  }
}

/** The mode a gpu.js kernel object belongs to. */
export function kernelMode(kernel: unknown): GpuMode | "other" {
  if (kernel instanceof HeadlessGLKernel) return "headlessgl";
  if (kernel instanceof WebGL2Kernel) return "webgl2";
  if (kernel instanceof WebAssemblyKernel) return "webasm";
  if (kernel instanceof CPUKernel) return "cpu";
  return "other";
}

function assertRanIn(shortcut: IKernelRunShortcut, mode: GpuMode, key: string): void {
  const ran = kernelMode(shortcut.kernel);
  if (ran !== mode) {
    const why = shortcut.kernel.fallbackReason ?? "no reason given";
    throw new Error(`gpu.js ran kernel "${key}" on ${ran} instead of ${mode} (${why})`);
  }
}

function isTexture(value: DeviceArray): value is Texture {
  return typeof (value as Partial<Texture>).toArray === "function";
}

/**
 * Copies a kernel result back to the host as one flat array (row-major). A fresh array, so it
 * survives the kernel's next call.
 */
export function readBack(value: DeviceArray): Float32Array {
  const host = isTexture(value) ? (value.toArray() as Float32Array | Float32Array[] | Float32Array[][]) : value;
  if (host instanceof Float32Array) return host.slice();
  const rows: Float32Array[] = [];
  const collect = (a: Float32Array | Float32Array[]): void => {
    if (a instanceof Float32Array) rows.push(a);
    else for (const r of a) collect(r);
  };
  for (const r of host) collect(r);
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}
