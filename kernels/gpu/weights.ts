/**
 * The model's weights as the kernels take them, uploaded once at construction and kept for the
 * backend's lifetime (README "Weights residency"). Projections that read the same input are
 * stacked so one kernel computes them: `[wq; wk; wv]` and `[w1; w3]` (rows are outputs, so
 * stacking row-major matrices is concatenation).
 */
import type { LlamaModel } from "../../src/model/types.ts";
import { type Matrix, uploadMatrix } from "./ops/matmul.ts";
import type { KernelArg, KernelRuntime } from "./runtime.ts";
import { resident } from "./transfer.ts";

export interface ResidentLayer {
  readonly attnNorm: KernelArg;
  /** `[(nHeads + 2·nKvHeads)·headDim][dim]` */
  readonly wqkv: Matrix;
  /** `[dim][nHeads·headDim]` */
  readonly wo: Matrix;
  readonly ffnNorm: KernelArg;
  /** `[2·hiddenDim][dim]`: gate rows, then up rows. */
  readonly w13: Matrix;
  /** `[dim][hiddenDim]` */
  readonly w2: Matrix;
  /** `[bq; bk; bv]`, `[(nHeads + 2·nKvHeads)·headDim]` (qwen2), else undefined. */
  readonly bqkv?: KernelArg;
  /** The per-head query and key RMSNorm weights, `[headDim]` each (qwen3), else undefined. */
  readonly qNorm?: KernelArg;
  readonly kNorm?: KernelArg;
}

export interface ResidentWeights {
  readonly layers: readonly ResidentLayer[];
  readonly outputNorm: KernelArg;
  /** `[vocabSize][dim]` */
  readonly output: Matrix;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function uploadWeights(rt: KernelRuntime, model: LlamaModel): ResidentWeights {
  const c = model.config;
  const w = model.weights;
  const qkvRows = (c.nHeads + 2 * c.nKvHeads) * c.headDim;
  const qDim = c.nHeads * c.headDim;
  return {
    layers: w.layers.map((l) => ({
      attnNorm: resident(rt, l.attnNorm, [c.dim]),
      wqkv: uploadMatrix(rt, concat(l.wq, l.wk, l.wv), c.dim, qkvRows),
      wo: uploadMatrix(rt, l.wo, qDim, c.dim),
      ffnNorm: resident(rt, l.ffnNorm, [c.dim]),
      w13: uploadMatrix(rt, concat(l.w1, l.w3), c.dim, 2 * c.hiddenDim),
      w2: uploadMatrix(rt, l.w2, c.hiddenDim, c.dim),
      ...(l.bq && l.bk && l.bv ? { bqkv: resident(rt, concat(l.bq, l.bk, l.bv), [qkvRows]) } : {}),
      ...(l.qNorm && l.kNorm ? { qNorm: resident(rt, l.qNorm, [c.headDim]), kNorm: resident(rt, l.kNorm, [c.headDim]) } : {}),
    })),
    outputNorm: resident(rt, w.outputNorm, [c.dim]),
    output: uploadMatrix(rt, w.output, c.dim, c.vocabSize),
  };
}
