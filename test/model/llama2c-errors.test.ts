/** Bad llama2.c checkpoints and tokenizer files, and unreadable paths: ModelFileErrors naming file and problem. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseLlama2c, parseLlama2cTokenizer } from "../../src/model/llama2c.ts";
import { loadModel, loadModelFromBytes } from "../../src/model/load.ts";
import { expectModelFileError, fixture, llama2cPath, patched, tokenizerPath } from "./helpers.ts";

const PATH = "bad/model.bin";
const TOK = "bad/tok.bin";
const good = fixture(llama2cPath);
const tok = fixture(tokenizerPath);
const FIELDS = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"] as const;
const withHeader = (values: Partial<Record<(typeof FIELDS)[number], number>>) =>
  Object.entries(values).reduce((b, [k, v]) => patched(b, 4 * FIELDS.indexOf(k as (typeof FIELDS)[number]), "i32", v), good);
const load = (bytes: Uint8Array) => () => parseLlama2c(bytes, PATH);

describe("llama2.c checkpoint header", () => {
  test.each<[string, Partial<Record<(typeof FIELDS)[number], number>>, string]>([
    ["zero dim", { dim: 0 }, "dim: Too small"],
    ["negative hidden_dim", { hidden_dim: -172 }, "hiddenDim: Too small"],
    ["zero layers", { n_layers: 0 }, "nLayers: Too small"],
    ["negative heads", { n_heads: -8 }, "nHeads: Too small"],
    ["zero KV heads", { n_kv_heads: 0 }, "nKvHeads: Too small"],
    ["zero vocab", { vocab_size: 0 }, "vocabSize: Too small"],
    ["negative seq_len", { seq_len: -1 }, "contextLength: Too small"],
    ["n_heads not dividing dim", { n_heads: 7 }, "dim 64 is not a multiple of n_heads 7"],
    ["n_kv_heads not dividing n_heads", { n_kv_heads: 3 }, "head count must be a multiple of the KV head count"],
    ["odd head size", { n_heads: 64, n_kv_heads: 64 }, "head dimension must be even"],
    ["dim over the limit", { dim: 2 ** 15 + 64, n_heads: 8 }, "dim: Too big"],
  ])("%s", (_, header, message) => {
    expectModelFileError(load(withHeader(header)), PATH, "invalid model hyperparameters", message);
  });

  test("a shape needing more than 8 GiB is refused without allocating", () => {
    const before = process.memoryUsage().arrayBuffers;
    const bytes = withHeader({ dim: 8192, hidden_dim: 131072, n_layers: 1024, n_heads: 64, n_kv_heads: 64 });
    expectModelFileError(load(bytes), PATH, "GiB of float32 weights, over the 8 GiB limit");
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 ** 2);
  });
});

describe("llama2.c checkpoint size", () => {
  test("shorter than the header", () => {
    expectModelFileError(load(good.subarray(0, 27)), PATH, "27 bytes, a llama2.c checkpoint header alone is 28");
  });
  test.each([28, 1000, good.length - 4])("truncated to %i bytes", (n) => {
    expectModelFileError(
      load(good.subarray(0, n)),
      PATH,
      `truncated: the header implies ${good.length} bytes of weights, the file has ${n}`,
    );
  });
  test("extra bytes after the weights", () => {
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expectModelFileError(load(longer), PATH, "4 unexpected bytes after the weights");
  });
  test("a negative vocab size (untied classifier) with no classifier in the file", () => {
    expectModelFileError(load(withHeader({ vocab_size: -512 })), PATH, "truncated: the header implies 1187612 bytes");
  });
  test("a tokenizer whose size does not match the checkpoint's vocab", () => {
    const vocab = parseLlama2cTokenizer(tok, TOK);
    const small = { ...vocab, pieces: vocab.pieces.slice(0, 500) };
    expectModelFileError(() => parseLlama2c(good, PATH, small), PATH, "tokenizer has 500 tokens but the checkpoint's vocab size is 512");
  });
});

describe("llama2.c tokenizer file", () => {
  const parse =
    (bytes: Uint8Array, vocabSize = 512) =>
    () =>
      parseLlama2cTokenizer(bytes, TOK, vocabSize);
  // Layout: i32 max_token_length at 0; token 0's f32 score at 4, i32 length at 8, bytes from 12.
  test.each([0, -1, 2 ** 20])("max_token_length %i", (n) => {
    expectModelFileError(parse(patched(tok, 0, "i32", n)), TOK, `max_token_length ${n} is not plausible`);
  });
  test("a negative token length", () => {
    expectModelFileError(parse(patched(tok, 8, "i32", -5)), TOK, "token 0 is -5 bytes long");
  });
  test("a token longer than max_token_length", () => {
    const maxLen = new DataView(tok.buffer, tok.byteOffset).getInt32(0, true);
    expectModelFileError(
      parse(patched(tok, 8, "i32", maxLen + 1)),
      TOK,
      `token 0 is ${maxLen + 1} bytes long, over max_token_length ${maxLen}`,
    );
  });
  test.each([6, 100, tok.length - 1])("truncated to %i bytes", (n) => {
    expectModelFileError(parse(tok.subarray(0, n)), TOK, "truncated");
  });
  test("bytes left over after the model's vocab", () => {
    const longer = new Uint8Array(tok.length + 3);
    longer.set(tok);
    expectModelFileError(parse(longer), TOK, "3 bytes left after 512 tokens");
    expectModelFileError(parse(tok, 511), TOK, "bytes left after 511 tokens");
  });
  test("fewer than 3 tokens", () => {
    const twoTokens = tok.subarray(0, 4 + 2 * (8 + 5)); // "<unk>" and "\n<s>\n", 5 bytes each
    expectModelFileError(() => parseLlama2cTokenizer(twoTokens, TOK), TOK, "only 2 tokens");
  });
  test("errors from a tokenizer passed with the checkpoint name it as the tokenizer", () => {
    expectModelFileError(() => loadModelFromBytes(good, PATH, tok.subarray(0, 100)), `${PATH} (tokenizer)`, "truncated");
  });
});

describe("loading from disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "fastgen-model-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a missing file, a folder, and a truncated file each name the path", () => {
    const missing = join(dir, "nope.gguf");
    expectModelFileError(() => loadModel(missing), missing, "cannot read");
    expectModelFileError(() => loadModel(dir), dir, "not a regular file");
    const cut = join(dir, "cut.bin");
    writeFileSync(cut, good.subarray(0, 500));
    expectModelFileError(() => loadModel(cut), cut, "truncated");
  });
});
