/** Bad GGUF files: each is refused with a ModelFileError naming the file and the problem. */
import { describe, expect, test } from "vitest";
import { parseGguf } from "../../src/model/gguf.ts";
import { llamaFromGguf } from "../../src/model/gguf-llama.ts";
import { type GgufMetadataEntry, type GgufTensorSpec, writeGguf } from "../../src/model/gguf-writer.ts";
import { entriesOf, expectModelFileError, findAscii, fixture, modelPath, patched, tensorsOf } from "./helpers.ts";

const PATH = "bad/model.gguf";
const good = fixture(modelPath);
const goodFile = parseGguf(good, modelPath);
const load = (bytes: Uint8Array) => () => llamaFromGguf(parseGguf(bytes, PATH));

/** Byte offsets of the fields of one tensor info (name string, n_dims, dims, type, offset). */
function infoFields(name: string) {
  const nameAt = findAscii(good, name);
  const nDimsAt = nameAt + name.length;
  const nDims = new DataView(good.buffer, good.byteOffset).getUint32(nDimsAt, true);
  const dimsAt = nDimsAt + 4;
  return { nameLengthAt: nameAt - 8, dimsAt, typeAt: dimsAt + 8 * nDims, offsetAt: dimsAt + 8 * nDims + 4 };
}
/** Offset of a metadata key's value (just after its u32 type). */
const valueAt = (key: string) => findAscii(good, key) + key.length + 4;
const tokensCountAt = valueAt("tokenizer.ggml.tokens") + 4; // after the array's item type
const firstInfoAt = infoFields("token_embd.weight").nameLengthAt;

/** The real file rewritten with metadata and tensor edits. */
function rewrite(edit: { set?: GgufMetadataEntry[]; drop?: string[]; tensors?: (t: GgufTensorSpec[]) => GgufTensorSpec[] }): Uint8Array {
  const set = edit.set ?? [];
  const metadata = entriesOf(goodFile)
    .filter((e) => !edit.drop?.includes(e.key) && !set.some((s) => s.key === e.key))
    .concat(set);
  const tensors = tensorsOf(goodFile);
  return writeGguf({ metadata, tensors: edit.tensors ? edit.tensors(tensors) : tensors });
}
const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: "uint32", value });

describe("GGUF header", () => {
  test("wrong magic", () => {
    const bytes = good.slice();
    bytes[3] = 0x58; // "GGUX"
    expectModelFileError(load(bytes), PATH, "not a GGUF file", '"GGUF"');
  });

  test.each([1, 4])("unsupported version %i", (version) => {
    expectModelFileError(load(patched(good, 4, "u32", version)), PATH, `unsupported GGUF version ${version}`);
  });

  test("truncated at many offsets: header, metadata, tensor infos, tensor data", () => {
    const cuts = [0, 3, 4, 7, 8, 15, 16, 23, 24, 31, 40, 57, tokensCountAt + 3, tokensCountAt + 8, tokensCountAt + 20];
    for (let i = 1; i < 40; i++) cuts.push(Math.floor((i / 40) * goodFile.dataOffset)); // through metadata and infos
    cuts.push(firstInfoAt, firstInfoAt + 5, firstInfoAt + 30, goodFile.dataOffset - 1, goodFile.dataOffset);
    for (let i = 0; i < 20; i++) cuts.push(goodFile.dataOffset + Math.floor((i / 20) * (good.length - goodFile.dataOffset)));
    cuts.push(good.length - 1);
    for (const cut of cuts) {
      const err = expectModelFileError(load(good.subarray(0, cut)), PATH, "truncated");
      expect(err.message.length).toBeLessThan(300);
    }
  });
});

describe("GGUF tensors", () => {
  test("an unsupported tensor type is named (IQ2_XXS), as is an unknown one; a K-quant needs rows of 256", () => {
    const { typeAt } = infoFields("blk.0.attn_q.weight");
    expectModelFileError(load(patched(good, typeAt, "u32", 16)), PATH, '"blk.0.attn_q.weight"', "IQ2_XXS", "supported types are F32, F16");
    expectModelFileError(
      load(patched(good, typeAt, "u32", 12)),
      PATH,
      '"blk.0.attn_q.weight"',
      "rows of 64 elements",
      "Q4_K block size 256",
    );
    expectModelFileError(load(patched(good, typeAt, "u32", 99)), PATH, "unknown type 99");
  });

  test("a tensor shape inconsistent with the metadata", () => {
    const { dimsAt } = infoFields("blk.2.ffn_up.weight");
    expectModelFileError(
      load(patched(good, dimsAt + 8, "u64", 171)),
      PATH,
      'tensor "blk.2.ffn_up.weight" has shape [64, 171], metadata implies [64, 172]',
    );
    expectModelFileError(
      load(rewrite({ set: [u32("llama.feed_forward_length", 160)] })),
      PATH,
      '"blk.0.ffn_gate.weight" has shape [64, 172], metadata implies [64, 160]',
    );
  });

  test("a missing tensor", () => {
    const without = (name: string) => rewrite({ tensors: (ts) => ts.filter((t) => t.name !== name) });
    expectModelFileError(load(without("blk.4.ffn_norm.weight")), PATH, 'missing tensor "blk.4.ffn_norm.weight"');
    expectModelFileError(load(without("token_embd.weight")), PATH, 'missing tensor "token_embd.weight"');
  });

  test("a misaligned tensor offset", () => {
    const { offsetAt } = infoFields("output_norm.weight");
    expectModelFileError(load(patched(good, offsetAt, "u64", 131072 + 4)), PATH, "not aligned to 32");
  });
});

describe("GGUF metadata", () => {
  test("a non-llama architecture, or none", () => {
    const gpt2: GgufMetadataEntry = { key: "general.architecture", type: "string", value: "gpt2" };
    expectModelFileError(load(rewrite({ set: [gpt2] })), PATH, 'architecture "gpt2" is not supported (supported: llama, qwen2, qwen3)');
    expectModelFileError(load(rewrite({ drop: ["general.architecture"] })), PATH, 'architecture "undefined"');
  });

  test("missing or mistyped hyperparameters", () => {
    expectModelFileError(load(rewrite({ drop: ["llama.block_count"] })), PATH, 'missing metadata "llama.block_count"');
    const str: GgufMetadataEntry = { key: "llama.embedding_length", type: "string", value: "64" };
    expectModelFileError(load(rewrite({ set: [str] })), PATH, '"llama.embedding_length" should be a number, got the string "64"');
    expectModelFileError(
      load(rewrite({ set: [u32("llama.attention.head_count", 7)] })),
      PATH,
      "embedding_length 64 is not a multiple of head_count 7",
    );
    expectModelFileError(load(rewrite({ set: [u32("llama.attention.head_count_kv", 3)] })), PATH, "multiple of the KV head count");
    expectModelFileError(load(rewrite({ set: [u32("llama.rope.dimension_count", 4)] })), PATH, "partial RoPE");
  });

  test("tokenizer metadata that does not fit the model", () => {
    const model: GgufMetadataEntry = { key: "tokenizer.ggml.model", type: "string", value: "bert" };
    expectModelFileError(load(rewrite({ set: [model] })), PATH, 'tokenizer model "bert" is not supported');
    const gpt2: GgufMetadataEntry = { key: "tokenizer.ggml.model", type: "string", value: "gpt2" };
    expectModelFileError(load(rewrite({ set: [gpt2] })), PATH, "a gpt2 tokenizer needs tokenizer.ggml.merges");
    expectModelFileError(
      load(rewrite({ set: [u32("tokenizer.ggml.bos_token_id", 512)] })),
      PATH,
      "tokenizer.ggml.bos_token_id = 512 is not a token id",
    );
    const scores: GgufMetadataEntry = { key: "tokenizer.ggml.scores", type: "array", itemType: "float32", items: new Float32Array(10) };
    expectModelFileError(load(rewrite({ set: [scores] })), PATH, "tokenizer.ggml.scores must be 512 float32 values");
    expectModelFileError(
      load(rewrite({ set: [u32("llama.vocab_size", 500)] })),
      PATH,
      "tokenizer has 512 tokens but the model's vocab size is 500",
    );
  });

  test("a bool that is neither 0 nor 1, and an unknown value type", () => {
    const bytes = writeGguf({ metadata: [{ key: "flag", type: "bool", value: true }], tensors: [] });
    // header (24) + key length (8) + "flag" (4): the type u32 is at 36, the value byte at 40.
    const two = bytes.slice();
    two[40] = 2;
    expectModelFileError(() => parseGguf(two, PATH), PATH, '"flag": bool value 2 is neither 0 nor 1');
    expectModelFileError(() => parseGguf(patched(bytes, 36, "u32", 13), PATH), PATH, '"flag": unknown value type 13');
  });
});

/** Runs a load that must fail, and checks it failed fast without allocating memory for the absurd size. */
function expectCheapFailure(bytes: Uint8Array, ...parts: string[]) {
  const before = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  expectModelFileError(load(bytes), PATH, ...parts);
  expect(performance.now() - start).toBeLessThan(500);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 ** 2);
}

describe("absurd sizes are refused before anything is allocated", () => {
  const big = 2n ** 60n;
  test("a string length of 2^60 (and 2^50)", () => {
    expectCheapFailure(patched(good, 24, "u64", big), "metadata key 0 length is 1152921504606846976, too large to be real");
    expectCheapFailure(patched(good, 24, "u64", 2n ** 50n), "truncated: metadata key 0 claims 1125899906842624 bytes");
  });
  test("an array count of 2^60 (and 2^40)", () => {
    expectCheapFailure(patched(good, tokensCountAt, "u64", big), '"tokenizer.ggml.tokens" array length', "too large to be real");
    expectCheapFailure(patched(good, tokensCountAt, "u64", 2n ** 40n), '"tokenizer.ggml.tokens" claims 1099511627776 elements');
  });
  test("a tensor dimension of 2^60 (and a 2^40 × 2^20 shape)", () => {
    const { dimsAt } = infoFields("token_embd.weight");
    expectCheapFailure(patched(good, dimsAt, "u64", big), 'tensor "token_embd.weight" dimension 0 is 1152921504606846976');
    const wide = patched(patched(good, dimsAt, "u64", 2n ** 40n), dimsAt + 8, "u64", 2n ** 20n);
    expectCheapFailure(wide, 'tensor "token_embd.weight" has an absurd shape');
  });
  test("a tensor count (and a metadata count) of 2^40", () => {
    expectCheapFailure(patched(good, 8, "u64", 2n ** 40n), "1099511627776 tensors cannot fit");
    expectCheapFailure(patched(good, 16, "u64", 2n ** 40n), "1099511627776 metadata entries cannot fit");
  });
  test("hyperparameters far beyond the tensors in the file (a GGUF's weights are bounded by its size, not its header)", () => {
    const huge = rewrite({ set: [u32("llama.feed_forward_length", 131072), u32("llama.block_count", 1024)] });
    expectCheapFailure(huge, 'tensor "blk.0.ffn_gate.weight" has shape [64, 172], metadata implies [64, 131072]');
  });
});
