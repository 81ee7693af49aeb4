/** Loading a model from bytes already in memory: no file system, so the browser entry (src/browser.ts) can use it. */
import { parseGguf } from "./gguf.ts";
import { llamaFromGguf } from "./gguf-llama.ts";
import { parseLlama2c, parseLlama2cTokenizer } from "./llama2c.ts";
import { isLlama2cQ80, parseLlama2cQ80 } from "./llama2c-q80.ts";
import type { LlamaModel } from "./types.ts";

/** Whether the bytes start with GGUF's magic. */
export function isGgufBytes(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x47 && bytes[1] === 0x47 && bytes[2] === 0x55 && bytes[3] === 0x46;
}

/**
 * Loads a model from bytes: GGUF if the magic says so, else a llama2.c checkpoint (float32, or int8
 * "ak42"), with its tokenizer file's bytes if given.
 */
export function loadModelFromBytes(bytes: Uint8Array, path: string, tokenizerBytes?: Uint8Array): LlamaModel {
  if (isGgufBytes(bytes)) return llamaFromGguf(parseGguf(bytes, path));
  const model = isLlama2cQ80(bytes) ? parseLlama2cQ80(bytes, path) : parseLlama2c(bytes, path);
  if (!tokenizerBytes) return model;
  const vocab = parseLlama2cTokenizer(tokenizerBytes, `${path} (tokenizer)`, model.config.vocabSize);
  return { ...model, vocab };
}
