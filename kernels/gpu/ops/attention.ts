/**
 * Grouped-query attention over padded, packed KV views (kv-pack.ts), for every query head of one
 * or more rows at once (the inner loops of reference/transformer.ts). Row r, query head h:
 *   scores[r,h][t] = q_{r,h} · k_{g,t} / sqrt(headDim)   for t < len[r,h], MASK after (trap 4)
 *   probs = softmax(scores)                               (softmax.ts)
 *   out[r,h][i]    = Σ_t probs[r,h][t] · v_{g,t,i}
 * with g = floor(h / groupSize). All rows read the same packed keys and values; each (row, head)
 * has its own length, so rows of a prompt see causal prefixes of one array. The padded capacity
 * `cap` is a kernel constant and the loop bound (trap 1), so capacities are bucketed (trap 3).
 * (row, head) pairs are laid out as rows `r·nHeads + h` of 2D arrays.
 */
import { type DeviceArray, hostArray, type KernelRuntime, type KernelThis } from "../runtime.ts";
import { MASK, softmax } from "./softmax.ts";

export interface AttentionShape {
  /** Query rows (tokens) attending at once. */
  readonly rows: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** Padded entries per KV head. */
  readonly cap: number;
}

type Consts = { cap: number; headDim: number; nHeads: number; groupSize: number; sqrtHeadDim: number; mask: number };

function scoresBody(this: KernelThis<Consts>, q: number[][], k: number[][][], len: number[]): number {
  const rh = this.thread.y;
  const t = this.thread.x;
  if (t >= len[rh]!) return this.constants.mask;
  // Row and KV head of the pair rh, by exact small-integer division floor((a + 0.5) / b) (see rope.ts).
  const r = Math.floor((rh + 0.5) / this.constants.nHeads);
  const g = Math.floor((rh - r * this.constants.nHeads + 0.5) / this.constants.groupSize);
  let score = 0;
  for (let i = 0; i < this.constants.headDim; i++) score += q[rh]![i]! * k[g]![t]![i]!;
  return score / this.constants.sqrtHeadDim;
}

function weightedSumBody(this: KernelThis<Consts>, p: number[][], v: number[][][], len: number[]): number {
  const rh = this.thread.y;
  const i = this.thread.x;
  const r = Math.floor((rh + 0.5) / this.constants.nHeads);
  const g = Math.floor((rh - r * this.constants.nHeads + 0.5) / this.constants.groupSize);
  const n = len[rh]!;
  let sum = 0;
  for (let t = 0; t < this.constants.cap; t++) {
    if (t >= n) break;
    sum += p[rh]![t]! * v[g]![t]![i]!;
  }
  return sum;
}

export interface AttentionResult {
  /** `[rows·nHeads][cap]` softmax weights, 0 past each length. */
  readonly probs: DeviceArray;
  /** `[rows·nHeads][headDim]` attention output. */
  readonly out: DeviceArray;
}

function constantsFor(s: AttentionShape): Consts {
  return {
    cap: s.cap,
    headDim: s.headDim,
    nHeads: s.nHeads,
    groupSize: s.nHeads / s.nKvHeads,
    sqrtHeadDim: Math.sqrt(s.headDim),
    mask: MASK,
  };
}

function keyOf(role: string, s: AttentionShape): string {
  return `${role}[${s.rows}x${s.nHeads}/${s.nKvHeads}x${s.cap}x${s.headDim}]`;
}

/** `[rows·nHeads][cap]` scaled scores, MASK past each length. Inputs as in {@link attention}. */
export function attentionScores(
  rt: KernelRuntime,
  role: string,
  s: AttentionShape,
  q: Float32Array,
  keys: Float32Array,
  len: Float32Array,
): DeviceArray {
  const k = rt.kernel(`attnScores:${keyOf(role, s)}`, scoresBody, { output: [s.cap, s.rows * s.nHeads], constants: constantsFor(s) });
  return k(
    hostArray(q, [s.headDim, s.rows * s.nHeads]),
    hostArray(keys, [s.headDim, s.cap, s.nKvHeads]),
    hostArray(len, [s.rows * s.nHeads]),
  );
}

/**
 * `q [rows][nHeads][headDim]`, `keys`/`values [nKvHeads][cap][headDim]`, `len [rows][nHeads]`
 * (entries of its KV head's array that each (row, head) attends over).
 * Both results stay valid until the next call with the same role and shape.
 */
export function attention(
  rt: KernelRuntime,
  role: string,
  s: AttentionShape,
  q: Float32Array,
  keys: Float32Array,
  values: Float32Array,
  len: Float32Array,
): AttentionResult {
  const weighted = rt.kernel(`attnOut:${keyOf(role, s)}`, weightedSumBody, {
    output: [s.headDim, s.rows * s.nHeads],
    constants: constantsFor(s),
  });
  const scores = attentionScores(rt, role, s, q, keys, len);
  const probs = softmax(rt, role, s.rows * s.nHeads, s.cap, scores, len);
  const out = weighted(probs, hostArray(values, [s.headDim, s.cap, s.nKvHeads]), hostArray(len, [s.rows * s.nHeads]));
  return { probs, out };
}
