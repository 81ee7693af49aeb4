/**
 * One KV budget spent across heads (docs/algorithm.md §10): every head starts at the floor; then,
 * while budget is left, the head whose next step buys the most recovery per kept entry takes it.
 * A step may span several entries (the steepest chord of the head's curve from where it stands),
 * so a head whose curve is flat for a while and then jumps (a heavy hitter) is not starved.
 * Ties: the shorter step, then the earlier head (layer-major). The total is spent exactly.
 */

export interface Step {
  /** Recovery gained per entry. */
  readonly gain: number;
  /** Entries the step takes. */
  readonly size: number;
}

/** The steepest chord from `c` on `curve`, at most `room` entries long (null when nothing fits). */
export function bestStep(curve: ArrayLike<number>, c: number, room: number): Step | null {
  const n = curve.length - 1;
  let best: Step | null = null;
  for (let d = 1; d <= room && c + d <= n; d++) {
    const gain = (curve[c + d]! - curve[c]!) / d;
    if (best === null || gain > best.gain) best = { gain, size: d };
  }
  return best;
}

/**
 * Kept entries per head: each ≥ `floor`, ≤ n (= curve length − 1), summing to `total`.
 * Requires heads · floor ≤ total ≤ heads · n.
 */
export function allocate(curves: readonly ArrayLike<number>[], total: number, floor: number): number[] {
  const H = curves.length;
  const n = (curves[0]?.length ?? 1) - 1;
  if (!Number.isInteger(total) || total < H * floor || total > H * n)
    throw new RangeError(`budget ${total} is outside ${H * floor}..${H * n}`);
  const kept = new Array<number>(H).fill(floor);
  let left = total - H * floor;
  const steps = curves.map((c) => bestStep(c, floor, left));
  while (left > 0) {
    let h = -1;
    for (let i = 0; i < H; i++) {
      const s = steps[i];
      if (!s) continue;
      const b = h < 0 ? null : steps[h]!;
      if (b === null || s.gain > b.gain || (s.gain === b.gain && s.size < b.size)) h = i;
    }
    if (h < 0) throw new Error("budget left but every head is full"); // unreachable: total ≤ H · n
    kept[h] = kept[h]! + steps[h]!.size;
    left -= steps[h]!.size;
    // Room shrank for everyone: a stored step may no longer fit.
    for (let i = 0; i < H; i++) if (i === h || (steps[i] && steps[i]!.size > left)) steps[i] = bestStep(curves[i]!, kept[i]!, left);
  }
  return kept;
}
