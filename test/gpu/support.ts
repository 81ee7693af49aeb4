/** Shared helpers of the kernel tests: the modes to run in, seeded random data, comparisons. */
import { describe } from "vitest";
import { GPU_MODES, type GpuMode, modeAvailability } from "../../kernels/gpu/modes.ts";
import { mulberry32 } from "../../src/random.ts";

/** Every gpu.js mode, with whether it runs here; an unavailable one is skipped with its reason printed. */
export const modes = GPU_MODES.map((mode) => modeAvailability(mode));

/** `describe` once per mode; a mode that cannot run here is skipped, saying why. */
export function describeEachMode(title: string, body: (mode: GpuMode) => void): void {
  for (const m of modes) {
    if (!m.available) console.warn(`[${title}] skipping mode ${m.mode}: ${m.reason}`);
    describe.skipIf(!m.available)(`${title} [${m.mode}]`, () => body(m.mode));
  }
}

/** The project's seeded generator, uniform in [0, 1). */
export const rng = mulberry32;

/** `n` floats uniform in [-scale, scale). */
export function randomArray(next: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/**
 * Fails with the first offending index unless `|actual[i] - expected[i]| <= tol(i)` everywhere.
 * (A hand-written loop: toBeCloseTo on 10⁵ elements is slow and says little on failure.)
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number | ((i: number) => number),
  what: string,
): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const bound = typeof tol === "number" ? tol : tol(i);
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= bound)) {
      throw new Error(`${what}: at ${i} got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${bound})`);
    }
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export { argmax } from "../../src/generation/sampler.ts";
