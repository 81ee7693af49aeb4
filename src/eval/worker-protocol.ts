/** Messages between the evaluation's main thread and its worker threads (structured clone). */
import type { BackendOptions } from "../create-backend.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import type { AttentionRequest, PromptOutcome } from "./prompt-eval.ts";
import type { EvalPrompt } from "./prompts.ts";
import type { EvalSetting } from "./settings.ts";

export interface WorkerInit {
  readonly modelPath: string;
  readonly tokenizerPath?: string;
  readonly backend: BackendOptions;
  readonly classes: TokenClasses;
  readonly settings: readonly EvalSetting[];
  readonly attention?: AttentionRequest;
}

export type ToWorker =
  | { readonly type: "init"; readonly init: WorkerInit }
  | { readonly type: "prompt"; readonly index: number; readonly prompt: EvalPrompt };

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "setting"; readonly index: number }
  | { readonly type: "done"; readonly index: number; readonly outcome: PromptOutcome }
  /**
   * `userError`: the error was an InputError (a bad model file, a non-finite logit), rethrown as one so the CLI prints
   * its line, not a stack.
   */
  | { readonly type: "error"; readonly message: string; readonly userError?: boolean };
