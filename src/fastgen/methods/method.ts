/**
 * The literature's methods (spec §14), in the spirit of kvpress's presses: each one small file
 * over one interface. At the end of prefill a method turns what it reads (the last prompt rows of
 * attention, or nothing) into one policy per (layer, KV head); the adaptive cache then cuts the
 * prompt with it and, for the methods that evict while decoding, applies it after every step.
 */
import type { KvLayout } from "../../interfaces.ts";
import { markTopK } from "../components/frequent.ts";
import { type KvHeadPolicy, type PolicyComponent, type PolicySizes, unionPolicy } from "../policy.ts";
import type { PromptAttention } from "../prompt-attention.ts";

export interface MethodInput {
  readonly layout: KvLayout;
  /** Prompt length n. */
  readonly n: number;
  /** Share C of the entries to prune. */
  readonly compression: number;
  /** Sizes at the end of the prompt: `budget` b = roundMin1((1 − C) · n) (spec §14.1). */
  readonly sizes: PolicySizes;
  /** The last {@link LiteratureMethod.observedRows} prompt rows; null when the method reads none. */
  readonly attention: PromptAttention | null;
  /** `--observe W`: SnapKV's observation window (absent: {@link SNAP_WINDOW}). */
  readonly observe: number | undefined;
}

export interface LiteratureMethod {
  readonly name: string;
  /** How many of the last prompt rows of attention the method reads (0: none). */
  observedRows(observe: number | undefined): number;
  /** The policy of every (layer, KV head), `[layer][kvHead]`. */
  policies(input: MethodInput): KvHeadPolicy[][];
}

/** SnapKV's observation window when `--observe` is not given (the SnapKV paper's 32). */
export const SNAP_WINDOW = 32;

/** One policy for every (layer, KV head). */
export function uniform(layout: KvLayout, policy: KvHeadPolicy): KvHeadPolicy[][] {
  return Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nKvHeads }, () => policy));
}

/**
 * A set of prompt positions fixed at the end of prefill, and every entry appended after it
 * (spec §14.2: SnapKV and its kin cut the prompt once and then keep what decoding adds).
 */
export function pinned(name: string, keptPrompt: Uint8Array): KvHeadPolicy {
  const n = keptPrompt.length;
  const component: PolicyComponent = {
    name,
    prefillOnly: true,
    keep(ctx, keep) {
      for (let e = 0; e < ctx.length; e++) {
        const p = ctx.positions[e]!;
        if (p >= n || keptPrompt[p] === 1) keep[e] = 1;
      }
    },
  };
  return unionPolicy([component]);
}

/** The `k` prompt positions with the largest scores, ties to the later position (spec §7), as marks over 0..n−1. */
export function topPositions(scores: ArrayLike<number>, k: number): Uint8Array {
  const n = scores.length;
  const keep = new Uint8Array(n);
  markTopK(scores, identity(n), n, k, keep);
  return keep;
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, j) => j);
}
