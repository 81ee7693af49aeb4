/**
 * RMSNorm per row (reference/math.ts `rmsnorm`): `out[r][j] = w[j] · (x[r][j] / sqrt(mean(x[r]²) + eps))`.
 * Each thread recomputes its row's sum of squares: O(n) per thread, no second kernel.
 */
import type { DeviceArray, KernelArg, KernelRuntime, KernelThis } from "../runtime.ts";

type Consts = { n: number; eps: number };

function rmsnormBody(this: KernelThis<Consts>, x: number[][], w: number[]): number {
  const r = this.thread.y;
  let ss = 0;
  for (let j = 0; j < this.constants.n; j++) ss += x[r]![j]! * x[r]![j]!;
  const scale = 1 / Math.sqrt(ss / this.constants.n + this.constants.eps);
  return w[this.thread.x]! * (scale * x[r]![this.thread.x]!);
}

/** `x [rows][n]`, `w [n]` → `[rows][n]`. */
export function rmsnorm(rt: KernelRuntime, role: string, rows: number, n: number, eps: number, x: KernelArg, w: KernelArg): DeviceArray {
  const k = rt.kernel(`rmsnorm:${role}[${rows}x${n}]`, rmsnormBody, { output: [n, rows], constants: { n, eps } });
  return k(x, w);
}
