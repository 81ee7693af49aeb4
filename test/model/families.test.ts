/**
 * `synth --like` files (src/model/families.ts) read back as their family: architecture branches,
 * per-tensor types of the mixes, and the packed weights kept packed on the wasm backend.
 * Their numbers are held to llama.cpp in test/peer/llama-cpp.test.ts.
 */
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { InputError } from "../../src/errors.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { FAMILIES, FAMILY_NAMES, llama3RopeFactors, synthLike, tensorTypeFor } from "../../src/model/families.ts";
import { loadModelFromBytes } from "../../src/model/from-bytes.ts";
import { FAMILY_TOKENIZERS, familyVocab } from "../../src/model/family-vocab.ts";
import { BPE_PRE_TOKENIZERS } from "../../src/model/gguf-vocab.ts";
import { PRE_TOKENIZERS } from "../../src/tokenizer/pretokenize.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";

describe.each(FAMILY_NAMES)("%s", (family) => {
  const f = FAMILIES[family];
  const model = loadModelFromBytes(synthLike(family, { layers: 2, vocabSize: 512, type: "Q4_K_M", seed: 1 }), `${family}.gguf`);

  it("reads back with the family's shape and its architecture's parts", () => {
    const c = model.config;
    const want = [f.dim, f.hiddenDim, f.nHeads, f.nKvHeads, f.headDim, 2, 512];
    expect([c.dim, c.hiddenDim, c.nHeads, c.nKvHeads, c.headDim, c.nLayers, c.vocabSize]).toEqual(want);
    expect(c.ropeStyle ?? "adjacent").toBe(f.architecture === "llama" ? "adjacent" : "neox");
    const layer = model.weights.layers[0]!;
    expect(layer.bq !== undefined).toBe(f.architecture === "qwen2");
    expect(layer.qNorm !== undefined).toBe(f.architecture === "qwen3");
    expect(model.weights.ropeFreqs !== undefined).toBe(family === "llama-3.2-1b");
    expect(model.packed!.output === model.packed!.tokenEmbedding).toBe(f.tied);
  });

  it("the wasm backend runs on the packed bytes and never dequantizes a matrix to float32", () => {
    const backend = new WasmBackend(model);
    const rows = backend.prefill([1, 5, 9], 0, new FullKvCache(kvLayoutOf(model.config)));
    backend.dispose();
    expect(rows.every((r) => r.every(Number.isFinite))).toBe(true);
    for (const key of ["wq", "w2"] as const) expect(Object.getOwnPropertyDescriptor(model.weights.layers[0], key)?.get).toBeDefined();
    expect(Object.getOwnPropertyDescriptor(model.weights, "tokenEmbedding")?.get).toBeDefined();
  });
});

describe("llama.cpp's mix rules (llama_tensor_get_type, main cases)", () => {
  it("Q4_K_M: Q6_K classifier, Q6_K attn_v/ffn_down on the use_more_bits layers, Q4_K elsewhere", () => {
    expect(tensorTypeFor("Q4_K_M", "output", 0, 16, 2048)).toBe("Q6_K");
    expect(tensorTypeFor("Q4_K_M", "attn_v", 0, 16, 2048)).toBe("Q6_K"); // first eighth
    expect(tensorTypeFor("Q4_K_M", "attn_v", 3, 16, 2048)).toBe("Q4_K");
    expect(tensorTypeFor("Q4_K_M", "ffn_down", 4, 16, 8192)).toBe("Q6_K"); // (4 - 2) % 3 == 2
    expect(tensorTypeFor("Q4_K_M", "attn_q", 0, 16, 2048)).toBe("Q4_K");
  });
  it("rows that are not a multiple of 256 fall back (SmolLM2's 576): Q4_K → Q5_0, Q6_K → Q8_0, Q3_K → IQ4_NL", () => {
    expect(tensorTypeFor("Q4_K_M", "attn_q", 5, 30, 576)).toBe("Q5_0");
    expect(tensorTypeFor("Q4_K_M", "output", 0, 30, 576)).toBe("Q8_0");
    expect(tensorTypeFor("Q3_K_S", "attn_q", 5, 30, 576)).toBe("IQ4_NL");
    expect(tensorTypeFor("Q5_K_S", "attn_q", 5, 30, 576)).toBe("Q5_1");
  });
  it("Llama 3.1's RoPE factors: 1 for short wavelengths, the factor for long ones, smooth between", () => {
    const r = llama3RopeFactors(64, 500000, { factor: 32, low: 1, high: 4, original: 8192 });
    expect(r[0]).toBe(1);
    expect(r[31]).toBe(32);
    expect(r.every((x, i) => i === 0 || x >= r[i - 1]!)).toBe(true);
  });
});

describe("each family's synthetic vocabulary", () => {
  it.each(FAMILY_NAMES)("%s: written, read back, and encodes text that decodes to itself", (family) => {
    const bytes = synthLike(family, { layers: 1, vocabSize: 2048, type: "F32", seed: 1, narrow: true });
    const vocab = loadModelFromBytes(bytes, `${family}.gguf`).vocab!;
    const bpe = FAMILY_TOKENIZERS[FAMILIES[family].tokenizer].kind === "bpe";
    expect(vocab.model ?? "spm").toBe(bpe ? "bpe" : "spm");
    expect(vocab.chatTemplate).toMatch(/add_generation_prompt/);
    const tokenizer = new Tokenizer(vocab);
    const text = "The quick brown fox, 12 times.\n  Then: café!";
    const ids = tokenizer.encode(text, { bos: false });
    expect(tokenizer.decode(ids)).toBe(text);
    // Merges are used: fewer tokens than bytes.
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length * 0.8);
    if (bpe) {
      // The end-of-turn piece is a control token that stops generation and is split out only when asked.
      const eos = vocab.pieces[vocab.eosId]!;
      expect(vocab.stopIds).toContain(vocab.eosId);
      expect(tokenizer.encode(eos, { bos: false, special: true })).toEqual([vocab.eosId]);
      expect(tokenizer.encode(eos, { bos: false })).not.toContain(vocab.eosId);
    }
  });
  it("a pre-tokenizer fastgen-ts does not know is refused when the file is read, on one line", () => {
    const v = familyVocab(FAMILY_TOKENIZERS.smollm2, 512);
    const bytes = synthLike("smollm2-135m", { layers: 1, type: "F32", seed: 1, narrow: true, vocab: { ...v, pre: "falcon" } });
    expect(() => loadModelFromBytes(bytes, "bpe.gguf")).toThrow(InputError);
    expect(() => loadModelFromBytes(bytes, "bpe.gguf")).toThrow(
      /pre-tokenizer "falcon" is not supported \(supported: default, gpt-2, llama-bpe/,
    );
  });
  it("the GGUF reader's pre-tokenizer list is the tokenizer's", () => {
    expect([...BPE_PRE_TOKENIZERS].sort()).toEqual(Object.keys(PRE_TOKENIZERS).sort());
  });
});
