/**
 * A product's input rounded as llama.cpp rounds it for the weight type, for the gpu kernels
 * (reference/activations.ts; the reference's `product` in reference/transformer.ts). Done on the
 * host between kernels: the rows are read back, rounded with the reference's own functions and
 * uploaded again, so the rounding is the reference's bit for bit. It costs a round trip per
 * product, paid only with the model's `activations: "ggml"`.
 *
 * The gpu backend stacks products that read one input ([wq; wk; wv], [w1; w3]); a stack is one
 * product; a stack whose matrices take different formats is run once per format (StackRounding.pieces).
 */
import { addMinTerms, type InputFormat, inputFormatOf, q8_1SumErrors, roundInput } from "../../reference/activations.ts";
import { blockMins } from "../../reference/quants.ts";
import type { PackedMatrix } from "../../src/model/types.ts";

/**
 * How a stack's input is rounded. Uniform stacks: the shared format; for Q4_1/Q5_1 the blocks'
 * minimums `[rows][n/32]`, stacked. A stack whose matrices take different formats (ggml mode on a
 * mix, e.g. Q5_1 queries beside Q8_0 values) has `pieces`: each matrix's output columns, format and
 * minimums; its product runs once per format and each matrix's columns come from its own format's run.
 */
export interface StackRounding {
  readonly format: InputFormat;
  readonly mins?: Float32Array;
  readonly pieces?: readonly RoundingPiece[];
}

/** One matrix of a mixed stack: output columns [from, to) and its input format (+ Q8_1 minimums `[to − from][n/32]`). */
export interface RoundingPiece {
  readonly from: number;
  readonly to: number;
  readonly format: InputFormat;
  readonly mins?: Float32Array;
}

const minsOf = (p: PackedMatrix) => blockMins(p.type as "Q4_1" | "Q5_1", p.bytes, p.rows * p.cols);

/** How a stack rounds its input: as llama.cpp does with the model's `activations: "ggml"`, else not at all. */
export function stackRounding(ggml: boolean, parts: readonly (PackedMatrix | undefined)[]): StackRounding {
  if (ggml && new Set(parts.map((p) => inputFormatOf(p?.type))).size > 1) {
    let at = 0;
    const pieces = parts.map((p) => {
      const format = inputFormatOf(p!.type);
      const piece = { from: at, to: at + p!.rows, format, ...(format === "Q8_1" ? { mins: minsOf(p!) } : {}) };
      at += p!.rows;
      return piece;
    });
    return { format: pieces[0]!.format, pieces };
  }
  const format = ggml ? inputFormatOf(parts[0]?.type) : "F32";
  if (format !== "Q8_1") return { format };
  const mins = parts.map((p) => minsOf(p!));
  const stacked = new Float32Array(mins.reduce((n, m) => n + m.length, 0));
  let at = 0;
  for (const m of mins) {
    stacked.set(m, at);
    at += m.length;
  }
  return { format, mins: stacked };
}

/** `rows` rows of n values, each rounded to `format` (a new array). */
export function roundRows(format: InputFormat, x: Float32Array, rows: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) roundInput(format, x.subarray(r * n, (r + 1) * n), out.subarray(r * n, (r + 1) * n));
  return out;
}

/**
 * y[t] += the Q8_1 minimum terms the reference's product adds (activations.ts addMinTerms), for
 * `rows` rows of the unrounded input x (n wide) and y (d wide), on y's columns [from, to).
 */
export function addRowMinTerms(
  y: Float32Array,
  x: Float32Array,
  mins: Float32Array,
  rows: number,
  n: number,
  d: number,
  from = 0,
  to = d,
): void {
  const errors = new Float32Array(n / 32);
  for (let t = 0; t < rows; t++)
    addMinTerms(y.subarray(t * d + from, t * d + to), mins, q8_1SumErrors(x.subarray(t * n, (t + 1) * n), errors), n / 32);
}
