/**
 * Data for the attention picture: for one prompt, one setting and one query head, the full cache's
 * attention rows (prompt and decode steps) and the positions the compressed head attended at each
 * decode step.
 */
import type { KvLayout } from "../interfaces.ts";
import type { ReferenceRun } from "./reference-run.ts";

export interface AttentionCapture {
  readonly promptId: string;
  readonly setting: string;
  readonly layer: number;
  /** Query head. */
  readonly head: number;
  readonly kvHead: number;
  readonly policy: string;
  /** Prompt length n. */
  readonly n: number;
  /** `rows[p]`: full-cache attention of the head at position p over positions 0..p. */
  readonly rows: readonly Float32Array[];
  /** `kept[i]`: positions the compressed KV head attended at decode step i (position n+i). */
  readonly kept: readonly Int32Array[];
}

/** Policies that make the most telling picture, best first: scattered kept columns beat a plain band. */
const PREFERENCE = ["special+punct+frequent", "special+punct+frequent+local", "special+punct", "special", "full"];

/** The requested query head, else the first query head of the KV head whose policy comes first in PREFERENCE. */
export function chooseHead(
  layout: KvLayout,
  policies: readonly (readonly string[])[],
  requested?: { layer: number; head: number },
): { layer: number; head: number } {
  if (requested) return requested;
  const groupSize = layout.nHeads / layout.nKvHeads;
  const rank = (p: string) => (PREFERENCE.includes(p) ? PREFERENCE.indexOf(p) : PREFERENCE.length);
  let best = { layer: 0, kvHead: 0, rank: Infinity };
  policies.forEach((heads, layer) =>
    heads.forEach((p, kvHead) => {
      if (rank(p) < best.rank) best = { layer, kvHead, rank: rank(p) };
    }),
  );
  return { layer: best.layer, head: best.kvHead * groupSize };
}

export function captureAttention(
  layout: KvLayout,
  ref: ReferenceRun,
  promptId: string,
  setting: string,
  policies: readonly (readonly string[])[],
  watched: readonly (readonly Int32Array[])[],
  requested?: { layer: number; head: number },
): AttentionCapture {
  const { layer, head } = chooseHead(layout, policies, requested);
  if (layer < 0 || layer >= layout.nLayers || head < 0 || head >= layout.nHeads) {
    throw new RangeError(`attention head ${layer}:${head} is outside ${layout.nLayers} layers × ${layout.nHeads} heads`);
  }
  const groupSize = layout.nHeads / layout.nKvHeads;
  const kvHead = Math.floor(head / groupSize);
  const rows = ref.steps.map((s) => s.probs[layer * layout.nKvHeads + kvHead]![head % groupSize]!);
  return {
    promptId,
    setting,
    layer,
    head,
    kvHead,
    policy: policies[layer]![kvHead]!,
    n: ref.promptTokens.length,
    rows,
    kept: watched[layer * layout.nKvHeads + kvHead]!,
  };
}
