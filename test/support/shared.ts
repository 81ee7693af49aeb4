/**
 * Where tests find the models and golden files: the embedded ones (<repo>/models, <repo>/golden)
 * unless FASTGEN_MODELS_PATH / FASTGEN_GOLDEN_DIR point elsewhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel, repoRoot, resolveModelPath } from "../../src/model/load.ts";
import type { LlamaModel } from "../../src/model/types.ts";

/** $FASTGEN_GOLDEN_DIR, else the golden data shipped in <repo>/golden. */
export const goldenDir = process.env.FASTGEN_GOLDEN_DIR ?? join(repoRoot, "golden");

export const modelPath = resolveModelPath();
/** BabyLlama tok105 (character-level), shipped beside stories260K. */
export const babyLlamaPath = join(repoRoot, "models", "babyllama105.bin");

let cached: LlamaModel | undefined;
export function stories260K(): LlamaModel {
  cached ??= loadModel(modelPath);
  return cached;
}

export interface GoldenCase {
  name: string;
  prompt: string;
  addBos: boolean;
  promptTokens: number[];
  tokens: number[];
  rows: number;
  vocabSize: number;
  logits: Float32Array;
}

export const goldenNames = ["once", "quotes", "long"] as const;

export function golden(name: string, model: "stories260K" | "babyllama105" = "stories260K"): GoldenCase {
  const dir = join(goldenDir, model);
  if (!existsSync(dir)) throw new Error(`golden files not found in ${dir}; set FASTGEN_GOLDEN_DIR`);
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  const buf = readFileSync(join(dir, meta.logitsFile));
  const logits = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...meta, name, logits };
}

/**
 * stories3M (llama2.c int8 "ak42", no licence stated): it stays in ../shared/models, never in the
 * repository; $FASTGEN_STORIES3M overrides. Tests that need it skip, saying so once, where it is absent.
 */
export const stories3MPath = process.env.FASTGEN_STORIES3M ?? join(repoRoot, "..", "shared", "models", "stories3M-q80.bin");
export const hasStories3M = existsSync(stories3MPath);
