/**
 * The one way a loaded model becomes something to run: its tokenizer and a backend (CLI, the
 * library's `openFastGen` and the browser entry all come through here). Reads no files, so the
 * browser bundle can import it.
 */
import { type BackendName, createBackend, type GpuMode, MAX_THREADS } from "../create-backend.ts";
import { InputError } from "../errors.ts";
import type { Backend } from "../interfaces.ts";
import type { LlamaModel } from "../model/types.ts";
import { Tokenizer } from "../tokenizer/tokenizer.ts";

export interface BackendChoice {
  readonly backend: BackendName;
  readonly gpuMode: GpuMode;
  /** Threads of the wasm backend (absent: its default for this model and machine). */
  readonly threads?: number | undefined;
  /** `ggml`: round products' inputs as llama.cpp does (LlamaModel.activations); default `float`. */
  readonly activations?: "float" | "ggml" | undefined;
}

export interface OpenedModel {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly backend: Backend;
}

/** A whole thread count in 1..MAX_THREADS, or an InputError. */
export function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new InputError(`threads must be a whole number in 1..${MAX_THREADS}, got ${String(threads)}`);
  }
}

/**
 * The model's tokenizer and a backend for it. `name` and `tokenizerHint` make the error for a
 * llama2.c checkpoint opened without its tokenizer ("pass --tokenizer PATH", say).
 */
export async function openLoadedModel(
  loaded: LlamaModel,
  name: string,
  choice: BackendChoice,
  tokenizerHint: string,
): Promise<OpenedModel> {
  checkThreads(choice.threads);
  const activations = choice.activations ?? "float";
  if (activations !== "float" && activations !== "ggml")
    throw new InputError(`activations must be float or ggml, got ${String(activations)}`);
  const model: LlamaModel = activations === "ggml" ? { ...loaded, activations } : loaded;
  if (!model.vocab) throw new InputError(`${name}: no tokenizer found; ${tokenizerHint}`);
  // Worker threads start now, while the model opens: not inside a command's timed work (they take
  // ~150 ms), and in a browser a Web Worker cannot start while its parent blocks.
  const backend = await createBackend(model, {
    backend: choice.backend,
    gpuMode: choice.gpuMode,
    ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
    startThreads: true,
  });
  return { model, tokenizer: new Tokenizer(model.vocab), backend };
}
