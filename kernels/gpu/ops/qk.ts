/**
 * The two architecture steps between the fused Q/K/V product and RoPE (reference/transformer.ts):
 * Qwen2's projection biases and Qwen3's per-head RMSNorm of queries and keys. Each is one kernel
 * over the fused `[rows][qDim + 2·kvDim]` product (queries, then keys, then values).
 */
import type { DeviceArray, KernelArg, KernelRuntime, KernelThis } from "../runtime.ts";

function biasBody(this: KernelThis<Record<string, never>>, x: number[][], b: number[]): number {
  return x[this.thread.y]![this.thread.x]! + b[this.thread.x]!;
}

/** `x [rows][width] + b [width]` per row: `[bq; bk; bv]` after the fused product (qwen2). */
export function addBias(rt: KernelRuntime, role: string, rows: number, width: number, x: KernelArg, b: KernelArg): DeviceArray {
  const k = rt.kernel(`bias:${role}[${rows}x${width}]`, biasBody, { output: [width, rows] });
  return k(x, b);
}

type NormConsts = { headDim: number; qCols: number; kCols: number; eps: number };

function headNormBody(this: KernelThis<NormConsts>, x: number[][], wq: number[], wk: number[]): number {
  const r = this.thread.y;
  const c = this.thread.x;
  const hd = this.constants.headDim;
  if (c >= this.constants.qCols + this.constants.kCols) return x[r]![c]!; // values pass through
  // The head's first column and this column's place in it (exact integer division, as rope.ts).
  const e = c - hd * Math.floor((c + 0.5) / hd);
  const base = c - e;
  let ss = 0;
  for (let j = 0; j < this.constants.headDim; j++) ss += x[r]![base + j]! * x[r]![base + j]!;
  const scale = 1 / Math.sqrt(ss / hd + this.constants.eps);
  const w = c < this.constants.qCols ? wq[e]! : wk[e]!;
  return w * (scale * x[r]![c]!);
}

/**
 * RMSNorm of every query head (weights `wq [headDim]`) and key head (`wk`) of the fused product
 * `x [rows][width]` on its own, as ops/rmsnorm.ts per head (qwen3); the value columns pass through.
 */
export function headNorm(
  rt: KernelRuntime,
  role: string,
  s: { rows: number; width: number; headDim: number; qHeads: number; kHeads: number; eps: number },
  x: KernelArg,
  wq: KernelArg,
  wk: KernelArg,
): DeviceArray {
  const k = rt.kernel(`headNorm:${role}[${s.rows}x${s.width}/${s.qHeads}+${s.kHeads}x${s.headDim}]`, headNormBody, {
    output: [s.width, s.rows],
    constants: { headDim: s.headDim, qCols: s.qHeads * s.headDim, kCols: s.kHeads * s.headDim, eps: s.eps },
  });
  return k(x, wq, wk);
}
