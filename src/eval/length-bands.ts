/** The prompt-length bands the report breaks results down by (shared by by-length and stability). */
import type { PromptOutcome } from "./prompt-eval.ts";

/** `[from, to)` in prompt tokens. */
export const LENGTH_BANDS: readonly (readonly [number, number])[] = [
  [0, 40],
  [40, 120],
  [120, 220],
  [220, Infinity],
];

/** "40–119", or "≥ 220" for the open band. */
export function bandLabel(from: number, to: number): string {
  return to === Infinity ? `≥ ${from}` : `${from}–${to - 1}`;
}

/** The prompts whose length falls in `[from, to)`. */
export function promptsInBand(prompts: readonly PromptOutcome[], from: number, to: number): PromptOutcome[] {
  return prompts.filter((p) => p.promptTokens >= from && p.promptTokens < to);
}
