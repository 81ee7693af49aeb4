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
  return promptAttentionFromRows(
    matrices.map((layer) => layer.map((m) => Array.from({ length: n }, (_, i) => m.slice(i * n, i * n + i + 1)))),
  );
}

/** How a KV head's recovery is taken from its query heads' (spec §4 "GQA"): the least, or the mean. */
export type GqaReduction = "min" | "mean";

/** Which positions hold special and punctuation tokens (spec §2; token classes belong to positions, §12.8). */
export interface TokenClassLookup {
  isSpecial(position: number): boolean;
  isPunct(position: number): boolean;
}

/** The query heads that read KV head `g` (spec §2: `G(g)`, consecutive heads). */
export function queryHeadsOf(layout: { readonly nHeads: number; readonly nKvHeads: number }, g: number): number[] {
  const groupSize = layout.nHeads / layout.nKvHeads;
  return Array.from({ length: groupSize }, (_, i) => g * groupSize + i);
}

/** Column sums of the group's attention `Σ_h Σ_i A_h[i, j]` (spec §12.1), in float64 (§12.3). */
export function groupColumnScores(attention: PromptAttention, layer: number, heads: readonly number[]): Float64Array {
  const scores = new Float64Array(attention.n);
  for (const h of heads) {
    for (let i = 0; i < attention.n; i++) {
      const row = attention.row(layer, h, i);
      for (let j = 0; j <= i; j++) scores[j] = scores[j]! + row[j]!;
    }
  }
  return scores;
}

/** First prompt row that counts for recovery: 0, or `n − observe` with an observation window (spec §13.1). */
export function firstObservedRow(n: number, observe: number | undefined): number {
  return observe === undefined ? 0 : Math.max(0, n - observe);
}
