/**
 * Rotary position embedding (reference/math.ts `rope`): on adjacent pairs (Llama), or NEOX-style
 * on pairs half a head apart (Qwen), with Llama 3's frequency factors where the file has them. The
 * angles are computed on the host exactly as the reference does (float32 frequency and angle, double cos/sin), once
 * per row; the kernel only rotates. Doing the trigonometry in GLSL would use float32 `cos`/`sin`
 * of angles up to the context length in radians, whose accuracy the GLSL spec leaves open.
 */
import { hostArray, type DeviceArray, type KernelArg, type KernelRuntime, type KernelThis } from "../runtime.ts";

/**
 * `[positions.length][headDim]`: for pair `p` of a head (frequency index p), `cos` at `2p` and
 * `sin` at `2p + 1`, the angle divided by `options.freqs[p]` where given, as the reference does.
 * Rows past `positions.length` (padding up to `rows`) are left zero.
 */
export function ropeTable(
  positions: readonly number[],
  headDim: number,
  theta: number,
  rows = positions.length,
  options: { readonly freqs?: Float32Array } = {},
): Float32Array {
  const table = new Float32Array(rows * headDim);
  positions.forEach((position, r) => {
    for (let i = 0; i < headDim; i += 2) {
      const freq = Math.fround(1 / Math.fround(Math.pow(theta, i / headDim)));
      let angle = Math.fround(position * freq);
      if (options.freqs) angle = Math.fround(angle / options.freqs[i / 2]!);
      table[r * headDim + i] = Math.cos(angle);
      table[r * headDim + i + 1] = Math.sin(angle);
    }
  });
  return table;
}

type Consts = { headDim: number; rotated: number; neox: number };

function ropeBody(this: KernelThis<Consts>, x: number[][], table: number[][]): number {
  const r = this.thread.y;
  const c = this.thread.x;
  if (c >= this.constants.rotated) return x[r]![c]!;
  const hd = this.constants.headDim;
  // Column within its head. floor((a + 0.5) / b) is an exact integer division for small integers
  // even where float division rounds (6.0 / 3.0 < 2).
  const e = c - hd * Math.floor((c + 0.5) / hd);
  // This column's pair p (its cos at table[2p], its sin at 2p + 1), the pair's first column in the
  // head, the distance to its second, and whether this column is that second one. Adjacent pairs
  // (Llama): columns 2p and 2p + 1. NEOX (Qwen): columns p and p + headDim/2.
  let p = Math.floor((e + 0.5) / 2);
  let first = 2 * p;
  let apart = 1;
  if (this.constants.neox > 0.5) {
    apart = hd / 2;
    p = e;
    if (e > apart - 0.5) p = e - apart;
    first = p;
  }
  const second = e - first; // 0 or `apart`
  const x0 = x[r]![c - e + first]!;
  const x1 = x[r]![c - e + first + apart]!;
  const cos = table[r]![2 * p]!;
  const sin = table[r]![2 * p + 1]!;
  if (second > 0.5) return x0 * sin + x1 * cos;
  return x0 * cos - x1 * sin;
}

/**
 * Rotates the first `rotated` columns of `x [rows][width]` head by head (`rotated` a multiple of
 * headDim: the query and key columns of a fused QKV product; `neox`: pairs half a head apart); the
 * rest (values) pass through.
 * `table` from {@link ropeTable}, `[rows][headDim]`.
 */
export function rope(
  rt: KernelRuntime,
  role: string,
  s: { rows: number; width: number; rotated: number; headDim: number; neox?: boolean },
  x: KernelArg,
  table: Float32Array,
): DeviceArray {
  if (s.rotated % s.headDim !== 0 || s.headDim % 2 !== 0) throw new RangeError("rope: rotated columns must be whole heads of even size");
  const neox = s.neox ? 1 : 0;
  const k = rt.kernel(`rope:${role}[${s.rows}x${s.width}/${s.rotated}/${s.headDim}${neox ? "/neox" : ""}]`, ropeBody, {
    output: [s.width, s.rows],
    constants: { headDim: s.headDim, rotated: s.rotated, neox },
  });
  return k(x, hostArray(table, [s.headDim, s.rows]));
}
