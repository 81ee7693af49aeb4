/**
 * fastgen-ts in a browser (or any runtime without a file system): the public API of index.ts
 * without the parts that find and read files. `openFastGen` takes the model's bytes instead of a
 * path; everything else is the same objects. Package condition `browser` resolves here.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch("stories260K.gguf")).arrayBuffer());
 * const fg = await openFastGen({ model: bytes, backend: "gpu" }); // gpu.js picks webgl2 in a browser
 * for await (const t of fg.generate("Once upon a time", { maxTokens: 20 })) console.log(t.text);
 * ```
 * @module
 */
import { FastGen } from "./api/fastgen.ts";
import { openLoadedModel } from "./api/open-model.ts";
import type { BackendName, GpuMode } from "./create-backend.ts";
import { computeTokenClasses, type TokenClassOptions } from "./fastgen/token-classes.ts";
import { loadModelFromBytes } from "./model/from-bytes.ts";

export interface BrowserOpenOptions {
  /** The model file's bytes: GGUF (detected by its magic) or a llama2.c checkpoint. */
  readonly model: Uint8Array;
  /** A name for the model in messages (default "model"). */
  readonly name?: string;
  /** The llama2.c tokenizer file's bytes, for a llama2.c checkpoint. */
  readonly tokenizer?: Uint8Array;
  /**
   * `reference` (default: it needs nothing of the page), `auto` (the wasm kernels where the page is cross-origin
   * isolated, else the reference), `wasm` or `gpu`.
   */
  readonly backend?: BackendName;
  /** gpu.js mode for `backend: "gpu"`; `auto` (default) takes webgl2 where the browser has it. */
  readonly gpuMode?: GpuMode;
  /** Extra special tokens or a replacement punctuation set. */
  readonly tokenClasses?: TokenClassOptions;
  /**
   * Threads for the wasm backend (default: the browser's logical cores, `navigator.hardwareConcurrency`, or 1 for a
   * model under 2 M multiply-adds per token).
   */
  readonly threads?: number;
}

/** Opens a model from its bytes with a backend: the browser's counterpart of index.ts's `openFastGen` (both through api/open-model.ts). */
export async function openFastGen(options: BrowserOpenOptions): Promise<FastGen> {
  const name = options.name ?? "model";
  const loaded = loadModelFromBytes(options.model, name, options.tokenizer);
  const choice = { backend: options.backend ?? "reference", gpuMode: options.gpuMode ?? "auto", threads: options.threads };
  const { model, tokenizer, backend } = await openLoadedModel(
    loaded,
    name,
    choice,
    "pass the llama2.c tokenizer file's bytes as `tokenizer`",
  );
  return new FastGen(model, tokenizer, backend, computeTokenClasses(tokenizer.vocab, options.tokenClasses));
}

// Everything else, as index.ts exports it.
export * from "./api/public.ts";
