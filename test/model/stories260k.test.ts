/** stories260K read from its GGUF and from its llama2.c checkpoint + tokenizer must be the same model. */
import { describe, expect, test } from "vitest";
import { parseGguf } from "../../src/model/gguf.ts";
import { parseLlama2cTokenizer } from "../../src/model/llama2c.ts";
import { loadModel } from "../../src/model/load.ts";
import { TokenType } from "../../src/model/types.ts";
import { fixture, llama2cPath, modelPath, namedWeights, sameBits, tokenizerPath } from "./helpers.ts";

const gguf = loadModel(modelPath);
const l2c = loadModel(llama2cPath); // finds tok512.bin next to it

describe("stories260K: GGUF vs llama2.c", () => {
  test("the GGUF holds the 48 F32 tensors and the shape the README states", () => {
    const file = parseGguf(fixture(modelPath), modelPath);
    expect(file.version).toBe(3);
    expect(file.tensors.size).toBe(48);
    expect([...file.tensors.values()].every((t) => t.type === 0)).toBe(true);
    const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, ropeTheta } = gguf.config;
    expect({ dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, ropeTheta }).toEqual({
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      headDim: 8,
      vocabSize: 512,
      ropeTheta: 10000,
    });
  });

  test("same config except the declared context (GGUF 2048, llama2.c 512); both trained on 512", () => {
    expect(gguf.config.contextLength).toBe(2048);
    expect(l2c.config.contextLength).toBe(512);
    expect(gguf.config.trainedContextLength).toBe(512);
    expect(l2c.config.trainedContextLength).toBe(512);
    expect({ ...gguf.config, contextLength: 0 }).toEqual({ ...l2c.config, contextLength: 0 });
    // Both are the float32 1e-5 (GGUF stores f32; run.c uses 1e-5f).
    expect(gguf.config.normEps).toBe(Math.fround(1e-5));
  });

  test("every tensor is bit-identical", () => {
    const a = namedWeights(gguf);
    const b = namedWeights(l2c);
    expect(a.map(([n]) => n)).toEqual(b.map(([n]) => n));
    expect(a.length).toBe(3 + 5 * 9);
    const differing = a.filter(([, t], i) => !sameBits(t, b[i]![1])).map(([name]) => name);
    expect(differing).toEqual([]);
  });

  test("the GGUF's separate output.weight equals the tied llama2.c classifier", () => {
    expect(gguf.weights.output).not.toBe(gguf.weights.tokenEmbedding);
    expect(sameBits(gguf.weights.output, gguf.weights.tokenEmbedding)).toBe(true);
    expect(l2c.weights.output).toBe(l2c.weights.tokenEmbedding);
  });

  test("same vocab from the GGUF metadata and from tok512.bin", () => {
    const a = gguf.vocab!;
    const b = l2c.vocab!;
    expect(b).toBeDefined();
    expect(b.pieces).toEqual(a.pieces);
    expect(sameBits(b.scores, a.scores)).toBe(true);
    expect(Array.from(b.types)).toEqual(Array.from(a.types));
    expect([b.bosId, b.eosId, b.unkId, b.addBos]).toEqual([a.bosId, a.eosId, a.unkId, a.addBos]);
    expect([a.bosId, a.eosId, a.unkId]).toEqual([1, 2, 0]);
    expect(a.pieces.slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(Array.from(a.types.slice(0, 4))).toEqual([TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL, TokenType.BYTE]);
    expect(a.pieces.filter((p) => p.startsWith("▁")).length).toBeGreaterThan(50);
  });

  test("the tokenizer file reads the same with and without the vocab size", () => {
    const bytes = fixture(tokenizerPath);
    const sized = parseLlama2cTokenizer(bytes, tokenizerPath, 512);
    const unsized = parseLlama2cTokenizer(bytes, tokenizerPath);
    expect(unsized.pieces).toEqual(sized.pieces);
    expect(sized.pieces).toEqual(l2c.vocab!.pieces);
  });
});
