/**
 * One layer's attention for the rows of a prefill chunk, through the KV cache, with the calls
 * `forward` would make for each row in turn: register (layer 0), append the row's keys and
 * values, read the views, attend, report the probabilities (spec §6, §12.7).
 *
 * Batched when the cache allows it: after row 0's append we read the views once and predict the
 * view of row i as those entries plus rows 1..i (a cache that keeps everything). One kernel call
 * then attends all rows over that array, row i over its first `len0 + i` entries (causal). The
 * calls are still replayed row by row, and before row i's probabilities are reported, the view
 * the cache really shows is compared with the prediction (all positions; the vectors of the new
 * entry). From the first mismatch on (a cache that evicted), rows are attended one at a time over
 * their actual views. Either way each row's attention is over exactly the entries its view holds.
 */
import type { KvCache, KvView } from "../../src/interfaces.ts";
import type { KvPacker } from "./kv-pack.ts";
import { attention } from "./ops/attention.ts";
import { type KernelRuntime, readBack } from "./runtime.ts";

export interface AttendShape {
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
}

/** Attention results on the host: `probs [rows·nHeads][cap]`, `out [rows·nHeads·headDim]`. */
interface HostAttention {
  readonly cap: number;
  readonly probs: Float32Array;
  readonly out: Float32Array;
}

/** Rows × layers attended in the predicted batch, and one at a time after the cache's view differed from it. */
export interface AttendStats {
  batchedRows: number;
  singleRows: number;
}

export class LayerAttention {
  readonly stats: AttendStats = { batchedRows: 0, singleRows: 0 };
  private readonly rt: KernelRuntime;
  private readonly packer: KvPacker;
  private readonly s: AttendShape;

  constructor(rt: KernelRuntime, packer: KvPacker, shape: AttendShape) {
    this.rt = rt;
    this.packer = packer;
    this.s = shape;
  }

  /**
   * Layer `l` for tokens at `start..`: `qkv` is the rotated `[rows][q | k | v]` of the chunk
   * (`rows` ≥ tokens.length, padded). Returns the attention outputs `[rows][nHeads·headDim]`.
   */
  run(l: number, qkv: Float32Array, tokens: readonly number[], start: number, cache: KvCache, rows: number): Float32Array {
    const { nHeads, nKvHeads, headDim } = this.s;
    const qDim = nHeads * headDim;
    const kvDim = nKvHeads * headDim;
    const width = qDim + 2 * kvDim;
    const n = tokens.length;
    const keyAt = (i: number, g: number): Float32Array =>
      qkv.subarray(i * width + qDim + g * headDim, i * width + qDim + (g + 1) * headDim);
    const valueAt = (i: number, g: number): Float32Array =>
      qkv.subarray(i * width + qDim + kvDim + g * headDim, i * width + qDim + kvDim + (g + 1) * headDim);
    const appendRow = (i: number): KvView[] => {
      if (l === 0) cache.registerToken(start + i, tokens[i]!);
      for (let g = 0; g < nKvHeads; g++) cache.append(l, g, start + i, keyAt(i, g), valueAt(i, g));
      return Array.from({ length: nKvHeads }, (_, g) => cache.view(l, g));
    };

    const first = appendRow(0);
    const len0 = first.map((v) => v.length);
    // The views of rows 1..n-1 if the cache keeps everything: row 0's view plus the rows after it.
    const predicted = first.map((v, g) =>
      extend(
        v,
        n,
        (i) => keyAt(i, g),
        (i) => valueAt(i, g),
        start,
        headDim,
      ),
    );
    const q = new Float32Array(rows * qDim);
    for (let i = 0; i < n; i++) q.set(qkv.subarray(i * width, i * width + qDim), i * qDim);
    const batch = this.attend(predicted, q, rows, (i, g) => (i < n ? len0[g]! + i : 0));

    const out = new Float32Array(rows * qDim);
    let batched = true;
    for (let i = 0; i < n; i++) {
      const views = i === 0 ? first : appendRow(i);
      batched &&= views.every((v, g) => isPrefix(v, predicted[g]!, len0[g]! + i, headDim));
      const res = batched ? batch : this.attend(views, q.slice(i * qDim, (i + 1) * qDim), 1, (_, g) => views[g]!.length);
      const row = batched ? i : 0;
      if (batched) this.stats.batchedRows++;
      else this.stats.singleRows++;
      out.set(res.out.subarray(row * qDim, (row + 1) * qDim), i * qDim);
      // The cache sees this row's attention over the entries it showed, before the next row (spec §12.7).
      for (let g = 0; g < nKvHeads; g++) {
        const probs: Float32Array[] = [];
        for (let h = g * (nHeads / nKvHeads); h < (g + 1) * (nHeads / nKvHeads); h++) {
          const at = (row * nHeads + h) * res.cap;
          probs.push(res.probs.slice(at, at + views[g]!.length));
        }
        cache.afterAttention(l, g, start + i, probs);
      }
    }
    return out;
  }

  /** `rows` query rows over `views` packed once; `len(i, g)` entries of KV head g for row i. */
  private attend(views: readonly KvView[], q: Float32Array, rows: number, len: (i: number, g: number) => number): HostAttention {
    const { nHeads, nKvHeads, headDim } = this.s;
    const kv = this.packer.pack(views);
    const lens = new Float32Array(rows * nHeads);
    for (let i = 0; i < rows; i++) for (let h = 0; h < nHeads; h++) lens[i * nHeads + h] = len(i, Math.floor(h / (nHeads / nKvHeads)));
    const res = attention(this.rt, "layer", { rows, nHeads, nKvHeads, headDim, cap: kv.cap }, q, kv.keys, kv.values, lens);
    return { cap: kv.cap, probs: readBack(res.probs), out: readBack(res.out) };
  }
}

/** `v` followed by rows 1..n-1 at positions start+1.. (a copy: `v` is only valid until the cache changes). */
function extend(
  v: KvView,
  n: number,
  key: (i: number) => Float32Array,
  value: (i: number) => Float32Array,
  start: number,
  headDim: number,
): KvView {
  const length = v.length + n - 1;
  const positions = new Int32Array(length);
  const keys = new Float32Array(length * headDim);
  const values = new Float32Array(length * headDim);
  positions.set(v.positions.subarray(0, v.length));
  keys.set(v.keys.subarray(0, v.length * headDim));
  values.set(v.values.subarray(0, v.length * headDim));
  for (let i = 1; i < n; i++) {
    positions[v.length + i - 1] = start + i;
    keys.set(key(i), (v.length + i - 1) * headDim);
    values.set(value(i), (v.length + i - 1) * headDim);
  }
  return { length, positions, keys, values };
}

/**
 * Whether `view` holds the first `length` entries of `of`: every position, and the key and value of
 * the newest entry (the row just appended). Older entries' vectors are taken to be what was
 * appended for their positions (src/kv/cache.ts: append copies them); comparing all of them every
 * row would cost as much as the attention itself.
 */
function isPrefix(view: KvView, of: KvView, length: number, headDim: number): boolean {
  if (view.length !== length) return false;
  for (let t = 0; t < length; t++) if (view.positions[t] !== of.positions[t]) return false;
  for (let j = (length - 1) * headDim; j < length * headDim; j++) {
    if (view.keys[j] !== of.keys[j] || view.values[j] !== of.values[j]) return false;
  }
  return true;
}
