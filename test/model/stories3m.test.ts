/**
 * stories3M in llama2.c's int8 "ak42" format (../shared/models; README there): its header facts,
 * the greedy story the README gives from an independent forward pass, and the format's errors.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { argmax } from "../../src/generation/sampler.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { parseLlama2cQ80 } from "../../src/model/llama2c-q80.ts";
import { loadModel } from "../../src/model/load.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { hasStories3M, stories3MPath } from "../support/shared.ts";
import { expectModelFileError } from "./helpers.ts";

if (!hasStories3M) console.warn(`stories3M not found at ${stories3MPath}: its tests are skipped (FASTGEN_STORIES3M=path runs them)`);

/** The README's greedy continuation of BOS + "Once upon a time" (independent numpy forward pass). */
const README_STORY =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she went to the park " +
  "with her mom. They saw a big tree with lots of leaves.";

describe.skipIf(!hasStories3M)("stories3M (llama2.c int8 ak42)", () => {
  const model = hasStories3M ? loadModel(stories3MPath) : undefined!;

  test("the header's shape: dim 192, 6 layers, 6 heads over 2 KV heads of size 32, vocab 4096, context 512", () => {
    const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength } = model.config;
    expect({ dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength }).toEqual({
      dim: 192,
      hiddenDim: 512,
      nLayers: 6,
      nHeads: 6,
      nKvHeads: 2,
      headDim: 32,
      vocabSize: 4096,
      contextLength: 512,
    });
    expect(model.source.format).toBe("llama2c-q80");
    expect(model.vocab?.pieces.length).toBe(4096); // tok4096.bin found beside it
    expect(model.weights.output).toBe(model.weights.tokenEmbedding); // shared classifier
  });

  for (const name of ["reference", "wasm"] as const) {
    test(`greedy from BOS + "Once upon a time" is the README's story (${name})`, () => {
      const backend = name === "reference" ? new ReferenceTransformer(model) : new WasmBackend(model);
      const tok = new Tokenizer(model.vocab!);
      const tokens = tok.encode("Once upon a time");
      const cache = new FullKvCache(kvLayoutOf(model.config));
      let logits = backend.prefill(tokens, 0, cache).at(-1)!;
      const out = [...tokens];
      while (tok.decode(out).length < README_STORY.length + 10) {
        const next = argmax(logits);
        logits = backend.forward(next, out.length, cache);
        out.push(next);
      }
      backend.dispose();
      expect(tok.decode(out).startsWith(README_STORY)).toBe(true);
    });
  }

  const bytes = hasStories3M ? new Uint8Array(readFileSync(stories3MPath)) : new Uint8Array(0);
  const PATH = "bad-ak42.bin";
  test("a truncated file, a wrong version, a bad group size and a non-finite scale are named", () => {
    expectModelFileError(() => parseLlama2cQ80(bytes.slice(0, bytes.length - 1), PATH), PATH, "truncated");
    expectModelFileError(() => parseLlama2cQ80(bytes.slice(0, 100), PATH), PATH, "truncated");
    const v3 = bytes.slice();
    new DataView(v3.buffer).setInt32(4, 3, true);
    expectModelFileError(() => parseLlama2cQ80(v3, PATH), PATH, "version 3");
    const group = bytes.slice();
    new DataView(group.buffer).setInt32(37, 48, true); // group_size after the 8 ints and the shared byte
    expectModelFileError(() => parseLlama2cQ80(group, PATH), PATH, "group_size 48");
    // The first scale of the token embedding: after the norms and the embedding's int8 values.
    const c = model.config;
    const scaleAt = 256 + 4 * (2 * c.nLayers * c.dim + c.dim) + c.vocabSize * c.dim;
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(scaleAt, Number.NaN, true);
    expectModelFileError(() => parseLlama2cQ80(nan, PATH), PATH, "token_embedding_table scales", "non-finite");
  });
});
