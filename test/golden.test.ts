/** The reference transformer and tokenizer against logits from an independent C implementation. */
import { describe, expect, it } from "vitest";
import { kvLayoutOf } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { loadModel } from "../src/model/load.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
import { ReferenceTransformer } from "../reference/transformer.ts";
import { compareLogits } from "./support/compare.ts";
import { llama2cPath } from "./support/llama2c.ts";
import { babyLlamaPath, golden, goldenNames, stories260K } from "./support/shared.ts";

describe.each(goldenNames)("golden case %s", (name) => {
  const g = golden(name);

  it("tokenizer gives exactly promptTokens, from the GGUF vocab and from tok512.bin", () => {
    expect(new Tokenizer(stories260K().vocab!).encode(g.prompt, { bos: g.addBos })).toEqual(g.promptTokens);
    expect(new Tokenizer(loadModel(llama2cPath).vocab!).encode(g.prompt, { bos: g.addBos })).toEqual(g.promptTokens);
    expect(g.tokens.slice(0, g.promptTokens.length)).toEqual(g.promptTokens);
  });

  it.each(["gguf", "llama2c"] as const)("reference logits match within 1e-4 with the same argmax on every row (%s weights)", (format) => {
    const model = format === "gguf" ? stories260K() : loadModel(llama2cPath);
    const backend = new ReferenceTransformer(model);
    const rows = backend.prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(model.config)));
    const cmp = compareLogits(rows, g.logits, g.vocabSize);
    expect(cmp.rows).toBe(g.rows);
    expect(cmp.maxAbsDiff).toBeLessThan(1e-4);
    expect(cmp.argmaxMismatches).toEqual([]);
  });
});

// BabyLlama tok105: a character-level vocabulary (no byte fallback), head size 16, context 256.
describe.each(["once", "quotes"])("BabyLlama tok105 golden case %s", (name) => {
  const g = golden(name, "babyllama105");
  const model = loadModel(babyLlamaPath); // finds tok105.bin next to it

  it("tokenizer gives exactly promptTokens", () => {
    expect(new Tokenizer(model.vocab!).encode(g.prompt, { bos: g.addBos })).toEqual(g.promptTokens);
  });

  it("reference logits match within 1e-4 with the same argmax on every row", () => {
    const rows = new ReferenceTransformer(model).prefill(g.tokens.slice(0, g.rows), 0, new FullKvCache(kvLayoutOf(model.config)));
    const cmp = compareLogits(rows, g.logits, g.vocabSize);
    expect(cmp.rows).toBe(g.rows);
    expect(cmp.maxAbsDiff).toBeLessThan(1e-4);
    expect(cmp.argmaxMismatches).toEqual([]);
  });
});
