/**
 * Row softmax over padded rows (reference/math.ts `softmax` on the first `len[r]` entries of each
 * row): `p[r][t] = exp(s[r][t] - max) / Σ exp(s[r][u] - max)` for `t < len[r]`, and exactly 0 in
 * the padding. Two kernels: row statistics (max, sum), then the division, so no thread does O(T²).
 */
import { hostArray, type DeviceArray, type KernelArg, type KernelRuntime, type KernelThis } from "../runtime.ts";

/**
 * The "minus infinity" of masked scores and of a running max (trap 4): a large finite negative.
 * Real -Infinity gives NaN in `(-inf) - (-inf)` when a row holds only masked entries.
 */
export const MASK = Math.fround(-1e30); // float32-exact, so it survives a float texture unchanged

type Consts = { cols: number; mask: number };

/** `[rows][2]`: `[r][0]` the max of the row's first len entries, `[r][1]` the sum of exp(s - max). */
function statsBody(this: KernelThis<Consts>, s: number[][], len: number[]): number {
  const r = this.thread.y;
  const n = len[r]!;
  let max = this.constants.mask;
  for (let t = 0; t < this.constants.cols; t++) {
    if (t >= n) break;
    max = Math.max(max, s[r]![t]!);
  }
  if (this.thread.x === 0) return max;
  let sum = 0;
  for (let t = 0; t < this.constants.cols; t++) {
    if (t >= n) break;
    sum += Math.exp(s[r]![t]! - max);
  }
  return sum;
}

function applyBody(this: KernelThis<Consts>, s: number[][], len: number[], stats: number[][]): number {
  const r = this.thread.y;
  const t = this.thread.x;
  if (t >= len[r]!) return 0;
  return Math.exp(s[r]![t]! - stats[r]![0]!) / stats[r]![1]!;
}

/**
 * `s [rows][cols]` (a device array or host data), `len [rows]` (0..cols) → `[rows][cols]`.
 * `cols` is the padded width, a kernel constant: use a bucket size (trap 3).
 */
export function softmax(rt: KernelRuntime, role: string, rows: number, cols: number, s: KernelArg, len: Float32Array): DeviceArray {
  const constants = { cols, mask: MASK };
  const stats = rt.kernel(`softmaxStats:${role}[${rows}x${cols}]`, statsBody, { output: [2, rows], constants });
  const apply = rt.kernel(`softmaxApply:${role}[${rows}x${cols}]`, applyBody, { output: [cols, rows], constants });
  const lens = hostArray(len, [rows]);
  return apply(s, lens, stats(s, lens));
}
