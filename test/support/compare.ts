import { argmax } from "../../src/generation/sampler.ts";

export interface LogitsComparison {
  rows: number;
  maxAbsDiff: number;
  /** Rows whose argmax differs. */
  argmaxMismatches: number[];
}

/** Compares rows of logits with a flat `[rows][vocab]` expectation. */
export function compareLogits(rows: readonly Float32Array[], expected: Float32Array, vocab: number): LogitsComparison {
  let maxAbsDiff = 0;
  const argmaxMismatches: number[] = [];
  rows.forEach((row, i) => {
    const want = expected.subarray(i * vocab, (i + 1) * vocab);
    if (want.length !== vocab) throw new Error(`expected logits have no row ${i}`);
    for (let j = 0; j < vocab; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(row[j]! - want[j]!));
    if (argmax(row) !== argmax(want)) argmaxMismatches.push(i);
  });
  return { rows: rows.length, maxAbsDiff, argmaxMismatches };
}
