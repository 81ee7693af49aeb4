/**
 * Opening a model from a file (Node, Deno, Bun): the path, $FASTGEN_MODEL or the search path. The
 * browser entry (src/browser.ts) opens one from bytes instead; both go through open-model.ts and
 * return the same {@link FastGen}.
 */
import type { BackendName, GpuMode } from "../create-backend.ts";
import { computeTokenClasses, type TokenClassOptions } from "../fastgen/token-classes.ts";
import { loadModel, resolveModelPath } from "../model/load.ts";
import { FastGen } from "./fastgen.ts";
import { checkThreads, openLoadedModel } from "./open-model.ts";

export interface OpenOptions {
  /** Model file (GGUF or llama2.c); default: $FASTGEN_MODEL, then the search path (README "Models"). */
  readonly model?: string;
  /** llama2.c tokenizer file, for a llama2.c checkpoint. */
  readonly tokenizer?: string;
  /** `auto` (default: the wasm kernels, the fastest available), `reference` (the float32 oracle), `wasm` or `gpu`. */
  readonly backend?: BackendName;
  /**
   * Threads of the wasm backend (default: this machine's cores, or 1 for a model under 2 M multiply-adds per token);
   * results are identical for every count.
   */
  readonly threads?: number;
  /** gpu.js mode for `backend: "gpu"` (default `auto`). */
  readonly gpuMode?: GpuMode;
  /**
   * `ggml`: round every product's input as llama.cpp's CPU backend does for the weight type, so a
   * quantized file gives llama.cpp's logits (docs/models.md); default `float`: multiply it as it is.
   */
  readonly activations?: "float" | "ggml";
  /** Extra special tokens or a replacement punctuation set. */
  readonly tokenClasses?: TokenClassOptions;
}

/** Loads a model, its tokenizer and a backend. */
export async function openFastGen(options: OpenOptions = {}): Promise<FastGen> {
  checkThreads(options.threads); // before the model loads
  const path = resolveModelPath(options.model);
  const loaded = loadModel(path, options.tokenizer ? { tokenizerPath: options.tokenizer } : {});
  const choice = {
    backend: options.backend ?? "auto",
    gpuMode: options.gpuMode ?? "auto",
    threads: options.threads,
    activations: options.activations,
  };
  const { model, tokenizer, backend } = await openLoadedModel(loaded, path, choice, "pass the llama2.c tokenizer file as `tokenizer`");
  return new FastGen(model, tokenizer, backend, computeTokenClasses(tokenizer.vocab, options.tokenClasses));
}
