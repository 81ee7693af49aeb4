/** The prompt's causal attention probabilities, `A_h` of spec §2, for every layer and query head. */
export interface PromptAttention {
  /** Prompt length n. */
  readonly n: number;
  readonly nLayers: number;
  readonly nHeads: number;
  /** Row `i` of `A_h` in `layer`: `i + 1` probabilities over positions `0..i`. */
  row(layer: number, head: number, i: number): Float32Array;
}

/** A PromptAttention built from explicit rows (tests, hand-built matrices). */
export function promptAttentionFromRows(rows: Float32Array[][][]): PromptAttention {
  const nLayers = rows.length;
  const nHeads = rows[0]?.length ?? 0;
  const n = rows[0]?.[0]?.length ?? 0;
  for (const layer of rows) {
    for (const head of layer) {
      if (head.length !== n) throw new RangeError("every head needs n rows");
      head.forEach((r, i) => {
        if (r.length !== i + 1) throw new RangeError(`row ${i} must hold ${i + 1} probabilities, has ${r.length}`);
      });
    }
  }
  return { n, nLayers, nHeads, row: (l, h, i) => rows[l]![h]![i]! };
}

/** Builds a PromptAttention from dense `n × n` row-major matrices (upper triangle ignored). */
export function promptAttentionFromMatrices(matrices: Float32Array[][], n: number): PromptAttention {
  return promptAttentionFromRows(matrices.map((layer) => layer.map((m) => Array.from({ length: n }, (_, i) => m.slice(i * n, i * n + i + 1)))));
}
