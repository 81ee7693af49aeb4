/**
 * Batched matrix products against a row-major weight `w[d][n]` (reference/math.ts `matmul`, one
 * output row per input row): `out[r][o] = Σ_j x[r][j] · w[o][j]`. A decode step is the one-row
 * case (matrix–vector). Sums are float32 on headlessgl/webasm (double on cpu).
 *
 * Two weight layouts ({@link uploadMatrix} picks one per mode):
 * - `rows`: the matrix as it is, one float per element (cpu, webasm).
 * - `vec4` (headlessgl): each row padded to a multiple of 4 and stored as vec4 texels; the input
 *   rows are packed the same way by one extra kernel, and the product reads one texel per four
 *   terms. Every scalar texture read in GLSL costs index arithmetic and a channel select; reading
 *   texels is 3–4× faster on the 15M-sized products (README "Performance").
 */
import { type DeviceArray, hostArray, type KernelArg, type KernelRuntime, type KernelThis } from "../runtime.ts";
import { isGlMode } from "../modes.ts";

export interface MatmulShape {
  /** Input rows (the batch). */
  readonly rows: number;
  /** Input width (the reduced dimension). */
  readonly n: number;
  /** Output width (rows of the weight). */
  readonly d: number;
}

/** A weight matrix `[d][n]` held for {@link matmul}. */
export interface Matrix {
  readonly layout: "rows" | "vec4";
  readonly n: number;
  readonly d: number;
  readonly data: KernelArg;
}

/**
 * vec4 weights are read with a flat index `o · n/4 + j`, which gpu.js computes in float32:
 * exact only below 2²⁴. Larger matrices keep the `rows` layout.
 */
const MAX_VEC4_TEXELS = 2 ** 24;

function copyRowsBody(this: KernelThis<object>, a: number[][]): number {
  return a[this.thread.y]![this.thread.x]!;
}

/** Four consecutive columns of a row as one vec4, zero past the row's `n` entries. */
function packBody(this: KernelThis<{ n: number }>, x: number[][]): number[] {
  const r = this.thread.y;
  const k = this.thread.x * 4;
  const n = this.constants.n;
  return [k < n ? x[r]![k]! : 0, k + 1 < n ? x[r]![k + 1]! : 0, k + 2 < n ? x[r]![k + 2]! : 0, k + 3 < n ? x[r]![k + 3]! : 0];
}

/**
 * `packBody` for the weights: flat `[d · n/4]` texels of the padded host matrix, read as `[texel][4]`.
 * Not as a flat `w[4t + c]`: the kernel's thread index is a float, and `4t + c` past 2²⁴ (a
 * `[11264][2048]` FFN, TinyLlama's) rounds to a neighbour; the texel index stays below 2²⁴.
 */
function packFlatBody(this: KernelThis<object>, w: number[][]): number[] {
  const t = this.thread.x;
  return [w[t]![0]!, w[t]![1]!, w[t]![2]!, w[t]![3]!];
}

/**
 * Uploads `w [d][n]` once, immutable (trap 2), in the layout {@link matmul} reads fastest in this
 * mode: vec4 on headlessgl unless the matrix is too large for it (or `rows` is asked for).
 */
export function uploadMatrix(rt: KernelRuntime, w: Float32Array, n: number, d: number, layout: "auto" | "rows" = "auto"): Matrix {
  if (w.length !== n * d) throw new RangeError(`matrix of ${w.length} floats is not [${d}][${n}]`);
  const n4 = Math.ceil(n / 4);
  if (!isGlMode(rt.mode)) return { layout: "rows", n, d, data: hostArray(w, [n, d]) };
  if (layout === "rows" || d * n4 > MAX_VEC4_TEXELS) {
    const copy = rt.kernel(`matrixRows[${n}x${d}]`, copyRowsBody, { output: [n, d], immutable: true });
    return { layout: "rows", n, d, data: copy(hostArray(w, [n, d])) };
  }
  const padded = new Float32Array(d * n4 * 4);
  for (let o = 0; o < d; o++) padded.set(w.subarray(o * n, (o + 1) * n), o * n4 * 4);
  const pack = rt.kernel(`matrixVec4[${n4 * d}]`, packFlatBody, { output: [n4 * d], immutable: true, vec4: true });
  return { layout: "vec4", n, d, data: pack(hostArray(padded, [4, n4 * d])) };
}

function rowsBody(this: KernelThis<{ n: number }>, x: number[][], w: number[][]): number {
  const r = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let j = 0; j < this.constants.n; j++) sum += x[r]![j]! * w[o]![j]!;
  return sum;
}

/** `res + x·wᵀ`: the product plus the residual stream, as the reference adds it after the matmul. */
function rowsAddBody(this: KernelThis<{ n: number }>, x: number[][], w: number[][], res: number[][]): number {
  const r = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let j = 0; j < this.constants.n; j++) sum += x[r]![j]! * w[o]![j]!;
  return res[r]![o]! + sum;
}

function vec4Body(this: KernelThis<{ n4: number }>, x: number[][][], w: number[][]): number {
  const r = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let j = 0; j < this.constants.n4; j++) {
    const a = x[r]![j]!;
    const b = w[o * this.constants.n4 + j]!;
    sum += a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!;
  }
  return sum;
}

function vec4AddBody(this: KernelThis<{ n4: number }>, x: number[][][], w: number[][], res: number[][]): number {
  const r = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let j = 0; j < this.constants.n4; j++) {
    const a = x[r]![j]!;
    const b = w[o * this.constants.n4 + j]!;
    sum += a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!;
  }
  return res[r]![o]! + sum;
}

function product(rt: KernelRuntime, role: string, s: MatmulShape, x: KernelArg, w: Matrix, res?: KernelArg): DeviceArray {
  if (w.n !== s.n || w.d !== s.d) throw new RangeError(`matmul ${role}: weight is [${w.d}][${w.n}], shape wants [${s.d}][${s.n}]`);
  const add = res === undefined ? "" : "Add";
  const key = `${role}[${s.rows}x${s.n}->${s.d}]`;
  if (w.layout === "rows") {
    const k = rt.kernel(`matmul${add}:${key}`, res === undefined ? rowsBody : rowsAddBody, {
      output: [s.d, s.rows],
      constants: { n: s.n },
    });
    return res === undefined ? k(x, w.data) : k(x, w.data, res);
  }
  const n4 = Math.ceil(s.n / 4);
  const pack = rt.kernel(`pack4:${key}`, packBody, { output: [n4, s.rows], constants: { n: s.n }, vec4: true });
  const k = rt.kernel(`matmul4${add}:${key}`, res === undefined ? vec4Body : vec4AddBody, { output: [s.d, s.rows], constants: { n4 } });
  const x4 = pack(x);
  return res === undefined ? k(x4, w.data) : k(x4, w.data, res);
}

/** `x [rows][n]`, `w [d][n]` → `[rows][d]`. `role` names the call site (its result is overwritten by its next call). */
export function matmul(rt: KernelRuntime, role: string, s: MatmulShape, x: KernelArg, w: Matrix): DeviceArray {
  return product(rt, role, s, x, w);
}

/** `res [rows][d] + x·wᵀ`. */
export function matmulAdd(rt: KernelRuntime, role: string, s: MatmulShape, x: KernelArg, w: Matrix, res: KernelArg): DeviceArray {
  return product(rt, role, s, x, w, res);
}
