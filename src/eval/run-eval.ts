/**
 * The whole evaluation: plan the prompts, build the settings, evaluate every prompt (in worker
 * threads, see pool.ts), then summarize, match compressions and study profile stability.
 */
import type { Backend } from "../interfaces.ts";
import { InputError, printable } from "../errors.ts";
import type { BackendOptions } from "../create-backend.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import type { LlamaConfig } from "../model/types.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { type SettingSummary, summarize } from "./aggregate.ts";
import type { AttentionCapture } from "./attention-capture.ts";
import { type MatchedRow, matchAtFastgen } from "./matched.ts";
import { evaluatePrompts } from "./pool.ts";
import type { AttentionRequest, PromptOutcome } from "./prompt-eval.ts";
import { type EvalPrompt, loadPromptSet, planPrompts, type PromptSet, type SkippedPrompt } from "./prompts.ts";
import { Progress, type ProgressSink } from "./progress.ts";
import { compareAtTargets, type TargetReading } from "./budget-compare.ts";
import { buildSettings, type EvalSetting, observeSettings, SWEPT_BASELINES, type SweepOptions } from "./settings.ts";
import { type ObserveRow, observeStudy, stabilityOf, type ThresholdStability } from "./stability.ts";
import type { WorkerInit } from "./worker-protocol.ts";

/** The sweep (thresholds, baseline ratios, FastGen's window and heavy-hitter ratios) plus what the run itself needs. */
export interface EvalOptions extends SweepOptions {
  readonly promptsPath: string;
  readonly limit: number;
  /** Forced tokens N per prompt (spec §10). */
  readonly forced: number;
  readonly workers: number;
  /** The attention picture: prompt id (default: the prompt closest to 40 tokens), query head, FastGen threshold. */
  readonly attention: {
    readonly promptId?: string;
    readonly head?: { readonly layer: number; readonly head: number };
    readonly threshold: number;
  };
}

export interface EvalEnvironment {
  readonly backend: Backend;
  readonly tokenizer: Tokenizer;
  readonly classes: TokenClasses;
  readonly config: LlamaConfig;
  readonly modelPath: string;
  readonly tokenizerPath?: string;
  readonly backendOptions: BackendOptions;
}

export interface EvalRun {
  readonly options: EvalOptions;
  readonly promptSet: Omit<PromptSet, "prompts">;
  readonly planNotes: readonly string[];
  /** Prompts of the set (within --limit) left out because they do not fit the trained context. */
  readonly skipped: readonly SkippedPrompt[];
  readonly settings: readonly EvalSetting[];
  readonly prompts: readonly PromptOutcome[];
  readonly summaries: readonly SettingSummary[];
  readonly matched: readonly MatchedRow[];
  readonly stability: readonly ThresholdStability[];
  /** Budgeted against FastGen and the baselines at 20%–60% compression (empty without budgeted settings). */
  readonly budgetTargets: readonly TargetReading[];
  /** The observation-window settings (outcomes in `prompts`, kept out of every other table). */
  readonly observeSettings: readonly EvalSetting[];
  readonly observe: readonly ObserveRow[];
  readonly attention?: AttentionCapture;
  readonly seconds: number;
  readonly workers: number;
}

/** The prompt for the attention picture: the requested one, else the one closest to 40 tokens. */
export function attentionPrompt(prompts: readonly EvalPrompt[], requested?: string): string {
  if (requested !== undefined) {
    if (!prompts.some((p) => p.id === requested))
      throw new InputError(`attention prompt "${requested}" is not among the evaluated prompts`);
    return requested;
  }
  return prompts.reduce((best, p) => (Math.abs(p.tokens.length - 40) < Math.abs(best.tokens.length - 40) ? p : best), prompts[0]!).id;
}

/** "2 of 50 prompts dropped: ..." naming the first few, for the warning and the error. */
export function skippedSummary(skipped: readonly SkippedPrompt[], considered: number, context: number): string {
  // Ids come from the prompt file: escaped, since this line goes to the terminal.
  const shown = skipped.slice(0, 5).map((p) => `${printable(p.id, 60)} (${p.tokens} tokens)`);
  const more = skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : "";
  return (
    `${skipped.length} of ${considered} prompts dropped: they leave no room for a forced token in the ` +
    `${context}-token trained context: ${shown.join(", ")}${more}`
  );
}

export async function runEvaluation(env: EvalEnvironment, options: EvalOptions, sink: ProgressSink): Promise<EvalRun> {
  const started = performance.now();
  const { prompts: set, ...promptSet } = loadPromptSet(options.promptsPath);
  const plan = planPrompts({ ...promptSet, prompts: set }, env.tokenizer, {
    limit: options.limit,
    forced: options.forced,
    context: env.config.trainedContextLength,
  });
  const considered = plan.prompts.length + plan.skipped.length;
  if (plan.prompts.length === 0)
    throw new InputError(`no prompt left to evaluate: ${skippedSummary(plan.skipped, considered, env.config.trainedContextLength)}`);
  if (plan.skipped.length > 0) {
    // Said before the run starts, and again in the report: a silently smaller prompt set changes every mean.
    sink.line(`warning: ${skippedSummary(plan.skipped, considered, env.config.trainedContextLength)}`);
  }
  const clipped = plan.prompts.filter((p) => p.forced < options.forced);
  if (clipped.length > 0) {
    const fewest = Math.min(...clipped.map((p) => p.forced));
    sink.line(
      `warning: N clipped from ${options.forced} (down to ${fewest}) on ${clipped.length} of ${plan.prompts.length} ` +
        `prompts so that prompt + N fits the ${env.config.trainedContextLength}-token trained context`,
    );
  }
  const settings = buildSettings(options);
  // Variants run only when their base setting is in the sweep.
  const variants = observeSettings(options).filter((v) => settings.some((s) => s.policy === v.policy && s.value === v.value));
  const threshold = options.thresholds.includes(options.attention.threshold)
    ? options.attention.threshold
    : options.thresholds[Math.floor(options.thresholds.length / 2)];
  const attention: AttentionRequest | undefined =
    threshold === undefined
      ? undefined
      : {
          promptId: attentionPrompt(plan.prompts, options.attention.promptId),
          setting: `fastgen T=${threshold}`,
          ...(options.attention.head ? { head: options.attention.head } : {}),
        };
  const init: WorkerInit = {
    modelPath: env.modelPath,
    ...(env.tokenizerPath ? { tokenizerPath: env.tokenizerPath } : {}),
    backend: env.backendOptions,
    classes: env.classes,
    settings: [...settings, ...variants],
    ...(attention ? { attention } : {}),
  };
  const workers = Math.max(1, Math.min(options.workers, plan.prompts.length));
  const runs = settings.length + variants.length;
  const progress = new Progress(plan.prompts.length * runs, `eval: ${plan.prompts.length} prompts × ${runs} settings`, sink);
  const cb = { onSetting: (id: string) => progress.tick(1, id) };
  const outcomes = await evaluatePrompts(env.backend, init, plan.prompts, workers, cb);
  progress.finish();

  const captured = outcomes.find((o) => o.attention)?.attention;
  const prompts = outcomes.map(({ attention: _a, ...rest }) => rest);
  const summaries = summarize(settings, prompts);
  return {
    options,
    promptSet,
    planNotes: plan.notes,
    skipped: plan.skipped,
    settings,
    prompts,
    summaries,
    matched: matchAtFastgen(settings, summaries, prompts, SWEPT_BASELINES),
    stability: stabilityOf(settings, prompts),
    budgetTargets: compareAtTargets(settings, summaries, prompts),
    observeSettings: variants,
    observe: observeStudy(
      variants.map((variant) => ({ base: settings.find((s) => s.policy === variant.policy && s.value === variant.value)!, variant })),
      prompts,
    ),
    ...(captured ? { attention: captured } : {}),
    seconds: (performance.now() - started) / 1000,
    workers,
  };
}
