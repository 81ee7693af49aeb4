/**
 * Opening a model from a file (Node, Deno, Bun): the path, $FASTGEN_MODEL or the search path. The
 * browser entry (browser.ts) opens one from bytes instead; both return the same {@link FastGen}.
 */
import { FastGen } from "./api.ts";
import { type BackendName, createBackend, type GpuMode, MAX_THREADS } from "./create-backend.ts";
import { InputError } from "./errors.ts";
import { computeTokenClasses, type TokenClassOptions } from "./fastgen/token-classes.ts";
import { loadModel, resolveModelPath } from "./model/load.ts";
import { Tokenizer } from "./tokenizer/tokenizer.ts";

export interface OpenOptions {
  /** Model file (GGUF or llama2.c); default: $FASTGEN_MODEL, then the search path (README "Models"). */
  readonly model?: string;
  /** llama2.c tokenizer file, for a llama2.c checkpoint. */
  readonly tokenizer?: string;
  /** `auto` (default: the wasm kernels, the fastest available), `reference` (the float32 oracle), `wasm` or `gpu`. */
  readonly backend?: BackendName;
  /** Threads of the wasm backend (default: this machine's cores, or 1 for a model under 2 M multiply-adds per token); results are identical for every count. */
  readonly threads?: number;
  /** gpu.js mode for `backend: "gpu"` (default `auto`). */
  readonly gpuMode?: GpuMode;
  /** Extra special tokens or a replacement punctuation set. */
  readonly tokenClasses?: TokenClassOptions;
}

/** Loads a model, its tokenizer and a backend. */
export async function openFastGen(options: OpenOptions = {}): Promise<FastGen> {
  const { threads } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new InputError(`threads must be a whole number in 1..${MAX_THREADS}, got ${String(threads)}`);
  }
  const path = resolveModelPath(options.model);
  const model = loadModel(path, options.tokenizer ? { tokenizerPath: options.tokenizer } : {});
  if (!model.vocab) throw new InputError(`${path}: no tokenizer; pass the llama2.c tokenizer file as \`tokenizer\``);
  // Worker threads start while the model opens, not inside the first call that would split a job.
  const backend = await createBackend(model, { backend: options.backend ?? "auto", gpuMode: options.gpuMode ?? "auto", ...(threads ? { threads } : {}), startThreads: true });
  return new FastGen(model, new Tokenizer(model.vocab), backend, computeTokenClasses(model.vocab, options.tokenClasses));
}

