/** Where tests find the shared model and golden files (never copied into the repository). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel, repoRoot, resolveModelPath } from "../../src/model/load.ts";
import type { LlamaModel } from "../../src/model/types.ts";

/** $FASTGEN_GOLDEN_DIR, else <repo>/../shared/golden. */
export const goldenDir = process.env.FASTGEN_GOLDEN_DIR ?? join(repoRoot, "..", "shared", "golden");

export const modelPath = resolveModelPath();
/** The llama2.c checkpoint next to the GGUF. */
export const llama2cPath = join(modelPath, "..", "stories260K.bin");

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

export function golden(name: string): GoldenCase {
  const dir = join(goldenDir, "stories260K");
  if (!existsSync(dir)) throw new Error(`golden files not found in ${dir}; set FASTGEN_GOLDEN_DIR`);
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  const buf = readFileSync(join(dir, meta.logitsFile));
  const logits = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...meta, name, logits };
}
