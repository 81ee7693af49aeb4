/**
 * Which gpu.js backends ("modes") this project can run on, whether each works here, and
 * which one `auto` picks. gpu.js 2.24.1 in Node offers exactly these synchronous ones:
 *
 * - `headlessgl`: GLSL ES 1.0 fragment shaders through the `gl` package. Needs an X display
 *   (run under `xvfb-run -a`); without one `gl` returns no context.
 * - `webasm`: kernels compiled to WebAssembly (f32x4 SIMD) and run on the CPU, synchronously.
 * - `cpu`: kernels transpiled to plain JavaScript; always available.
 *
 * In a browser (or a Web Worker with OffscreenCanvas) there is also:
 * - `webgl2`: GLSL ES 3.0 fragment shaders on the page's WebGL2 context (web/ runs it); never
 *   available in Node.
 *
 * gpu.js also has `webgl` (browser WebGL 1), `webgpu` (needs `navigator.gpu`, absent in Node 20,
 * and every call returns a Promise) and `async`/`dev`; the synchronous Backend interface cannot use
 * the asynchronous ones, so they are refused with a message naming the modes that exist.
 */
import { GPU } from "gpu.js";
import { createRequire } from "node:module";
import { InputError } from "../../src/errors.ts";

export type GpuMode = "headlessgl" | "webgl2" | "webasm" | "cpu";
export type GpuModeOption = GpuMode | "auto";

/** Best first: `auto` takes the first available one. */
export const GPU_MODES: readonly GpuMode[] = ["headlessgl", "webgl2", "webasm", "cpu"];

/** The modes whose kernels are GL fragment shaders reading and writing textures. */
export function isGlMode(mode: GpuMode): boolean {
  return mode === "headlessgl" || mode === "webgl2";
}
export const GPU_MODE_OPTIONS: readonly GpuModeOption[] = ["auto", ...GPU_MODES];

export interface ModeAvailability {
  readonly mode: GpuMode;
  readonly available: boolean;
  /** Why it is not available (absent when it is). */
  readonly reason?: string;
}

const cache = new Map<GpuMode, ModeAvailability>();

/** Whether `mode` can run here; probed once per process. */
export function modeAvailability(mode: GpuMode): ModeAvailability {
  let found = cache.get(mode);
  if (found === undefined) {
    found = probe(mode);
    cache.set(mode, found);
  }
  return found;
}

export function availableModes(): GpuMode[] {
  return GPU_MODES.filter((m) => modeAvailability(m).available);
}

function probe(mode: GpuMode): ModeAvailability {
  switch (mode) {
    case "headlessgl":
      if (!glAddonLoads()) {
        return {
          mode,
          available: false,
          reason:
            "the optional gl package is not installed or did not build (at npm ci time it needs the X11/GL development " +
            "libraries: libxi-dev libx11-dev libxext-dev libgl1-mesa-dev pkg-config; then `npm rebuild gl`)",
        };
      }
      if (!GPU.isHeadlessGLSupported) {
        const noDisplay = process.platform === "linux" && !process.env.DISPLAY;
        return {
          mode,
          available: false,
          reason: noDisplay
            ? "no X display (DISPLAY is unset), so the gl package cannot create a WebGL context; run under `xvfb-run -a`"
            : "the gl package could not create a WebGL context",
        };
      }
      // Float textures are what `precision: 'single'` stores activations in.
      if (!GPU.isSinglePrecisionSupported) {
        return { mode, available: false, reason: "the WebGL context has no float textures (OES_texture_float)" };
      }
      return { mode, available: true };
    case "webgl2": {
      const g = globalThis as { document?: unknown; OffscreenCanvas?: unknown };
      if (g.document === undefined && g.OffscreenCanvas === undefined) {
        return { mode, available: false, reason: "webgl2 runs in a browser (a page or a Web Worker with OffscreenCanvas) only" };
      }
      if (!GPU.isWebGL2Supported) return { mode, available: false, reason: "this browser gives no WebGL2 context" };
      if (!GPU.isSinglePrecisionSupported) return { mode, available: false, reason: "the WebGL2 context has no float textures" };
      return { mode, available: true };
    }
    case "webasm":
      return GPU.isWebAssemblySupported ? { mode, available: true } : { mode, available: false, reason: "this runtime has no WebAssembly" };
    case "cpu":
      return { mode, available: true };
  }
}

/** Whether the native `gl` addon (an optional dependency) loads at all. */
function glAddonLoads(): boolean {
  try {
    createRequire(import.meta.url)("gl");
    return true;
  } catch {
    return false;
  }
}

/** The mode an option runs in: `auto` is the first available of {@link GPU_MODES}; an explicit mode must be available. */
export function resolveMode(option: string): GpuMode {
  if (option === "auto") return availableModes()[0] ?? "cpu";
  if (!isGpuMode(option)) {
    throw new InputError(
      `unknown gpu.js mode "${option}"; the modes are ${GPU_MODE_OPTIONS.join(", ")}` +
        (option === "webgpu" || option === "webgl" || option === "async"
          ? ` (gpu.js's "${option}" backend is browser-only or asynchronous and cannot run this synchronous backend)`
          : ""),
    );
  }
  const found = modeAvailability(option);
  if (!found.available) {
    const others = availableModes().join(", ");
    throw new InputError(`gpu.js mode "${option}" is not available here: ${found.reason}. Available: ${others}`);
  }
  return option;
}

export function isGpuMode(value: string): value is GpuMode {
  return (GPU_MODES as readonly string[]).includes(value);
}
