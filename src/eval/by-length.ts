/**
 * FastGen by prompt length: the profile is taken on the prompt (spec §4) and the local window is
 * fixed from it (spec §3), so a short prompt followed by a long generation is where the profile
 * has the least to go on. Per band: compression, KL, profile drift and per-prompt KL wins.
 */
import { outcomesOf } from "./aggregate.ts";
import { type MatchedBaseline, perPromptWins } from "./matched.ts";
import type { PromptOutcome } from "./prompt-eval.ts";
import { bandLabel, LENGTH_BANDS, promptsInBand } from "./length-bands.ts";
import type { EvalSetting } from "./settings.ts";
import { type RecoveryDrift, recoveryDrift } from "./stability.ts";

/** Prompt-length bands in tokens, [from, to). */
export interface LengthBand {
  readonly band: string;
  readonly prompts: number;
  readonly compression: number;
  readonly kl: number;
  readonly recovery: RecoveryDrift;
  /** Per baseline: prompts where FastGen's KL is lower, higher, and matched at all. */
  readonly klWins: Readonly<Record<string, MatchedBaseline["klWins"]>>;
}

export function byLength(
  settings: readonly EvalSetting[],
  prompts: readonly PromptOutcome[],
  fastgen: EvalSetting,
  baselines: readonly string[],
): LengthBand[] {
  return LENGTH_BANDS.flatMap(([from, to]) => {
    const inBand = promptsInBand(prompts, from, to);
    if (inBand.length === 0) return [];
    const fg = outcomesOf(inBand, fastgen.id);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [
      {
        band: bandLabel(from, to),
        prompts: inBand.length,
        compression: mean(fg.map((o) => o.compression.mean)),
        kl: mean(fg.map((o) => o.teacher.kl)),
        recovery: recoveryDrift(
          fg.flatMap((o) => o.heads ?? []),
          fastgen.value!,
        ),
        klWins: Object.fromEntries(
          baselines.filter((b) => settings.some((s) => s.policy === b)).map((b) => [b, perPromptWins(settings, inBand, fastgen.id, b)]),
        ),
      },
    ];
  });
}
