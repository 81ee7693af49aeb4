import type { KvLayout } from "../../interfaces.ts";
import { type PromptAttention, queryHeadsOf } from "../prompt-attention.ts";

/** Width of SnapKV's average pooling over positions (the SnapKV paper's and kvpress's 5). */
export const POOL_KERNEL = 5;

/**
 * SnapKV's vote of an observation window (spec §14.2): for the `w` last prompt rows, the mean weight
 * that the group's query heads put on each earlier position, smoothed by an average pool of width
 * {@link POOL_KERNEL} (zeros past both ends, divided by the full width). The window's own positions
 * score +∞, so they are always kept. Float64 sums (spec §12.3). Length n.
 */
export function windowScores(attention: PromptAttention, layer: number, heads: readonly number[], w: number): Float64Array {
  const n = attention.n;
  const prefix = n - w;
  const mean = new Float64Array(prefix);
  for (const h of heads) {
    for (let i = prefix; i < n; i++) {
      const row = attention.row(layer, h, i);
      for (let j = 0; j < prefix; j++) mean[j] = mean[j]! + row[j]!;
    }
  }
  const out = new Float64Array(n);
  const half = POOL_KERNEL >> 1;
  const scale = 1 / (w * heads.length * POOL_KERNEL);
  for (let j = 0; j < prefix; j++) {
    let s = 0;
    for (let t = Math.max(0, j - half); t <= Math.min(prefix - 1, j + half); t++) s += mean[t]!;
    out[j] = s * scale;
  }
  out.fill(Infinity, prefix);
  return out;
}

/** {@link windowScores} of every KV head of `layer`, `[kvHead]`. */
export function layerVotes(attention: PromptAttention, layout: KvLayout, layer: number, w: number): Float64Array[] {
  return Array.from({ length: layout.nKvHeads }, (_, g) => windowScores(attention, layer, queryHeadsOf(layout, g), w));
}

/** The window a budget of `kept` entries allows: at most `observe`, `kept` and n (spec §14.2). */
export function windowOf(observe: number, kept: number, n: number): number {
  return Math.max(1, Math.min(observe, kept, n));
}
