/**
 * Issue 11: one flipped byte that turns a weight into NaN or Infinity used to load fine and give
 * all-NaN logits (and `generate` emitted token 0 forever). Now the loaders refuse it, naming the
 * tensor and the index of the first bad value; a forward pass that still overflows is stopped by
 * the sampler / the logits command; and strings from a corrupt file reach messages escaped.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { printable } from "../../src/errors.ts";
import { checkFiniteLogits, NonFiniteLogitsError, Sampler } from "../../src/generation/sampler.ts";
import { parseGguf } from "../../src/model/gguf.ts";
import { llamaToGguf, writeGguf } from "../../src/model/gguf-writer.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import { writeLlama2c } from "../../src/model/llama2c-writer.ts";
import { SYNTH_SHAPES, synthModel } from "../../src/model/synth.ts";
import { runCli } from "../support/run-cli.ts";
import { entriesOf, expectModelFileError, findAscii, tensorsOf } from "./helpers.ts";

const PATH = "bad/model.gguf";
const tiny = synthModel(SYNTH_SHAPES.tiny, 3);

/** Byte offset of element `index` of tensor `name` in a GGUF file (F32: 4 bytes per element). */
function dataAt(bytes: Uint8Array, name: string): number {
  const file = parseGguf(bytes, PATH);
  return file.dataOffset + file.tensors.get(name)!.offset;
}

describe("non-finite weights are refused at load time", () => {
  test.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
  ])("F32 %s names the tensor and the index", (label, value) => {
    const bytes = llamaToGguf(tiny, { tensorType: "F32" }).slice();
    new DataView(bytes.buffer).setFloat32(dataAt(bytes, "blk.1.attn_k.weight") + 4 * 37, value, true);
    expectModelFileError(
      () => loadModelFromBytes(bytes, PATH),
      PATH,
      `tensor "blk.1.attn_k.weight" (F32) has a non-finite weight (${label}) at index 37`,
    );
  });

  test("F16: a NaN half names the tensor and the index", () => {
    const bytes = llamaToGguf(tiny, { tensorType: "F16" }).slice();
    new DataView(bytes.buffer).setUint16(dataAt(bytes, "blk.0.ffn_down.weight") + 2 * 1000, 0x7e00, true);
    expectModelFileError(
      () => loadModelFromBytes(bytes, PATH),
      PATH,
      `tensor "blk.0.ffn_down.weight" (F16) has a non-finite weight (NaN) at index 1000`,
    );
  });

  test("Q8_0: an infinite or NaN block scale names the tensor, the block and its indices", () => {
    const bytes = llamaToGguf(tiny, { tensorType: "Q8_0" }).slice();
    const at = dataAt(bytes, "blk.0.attn_q.weight");
    new DataView(bytes.buffer).setUint16(at + 34 * 5, 0x7c00, true);
    expectModelFileError(
      () => loadModelFromBytes(bytes, PATH),
      PATH,
      `tensor "blk.0.attn_q.weight" (Q8_0) has a non-finite scale (Infinity) in block 5, the weights at index 160..191`,
    );
    new DataView(bytes.buffer).setUint16(at + 34 * 5, 0xfe01, true);
    expectModelFileError(() => loadModelFromBytes(bytes, PATH), PATH, "non-finite scale (NaN) in block 5");
  });

  test("the CLI refuses such a file in one line, exit 2, before generating (it used to emit token 0 forever)", async () => {
    const bytes = llamaToGguf(tiny, { tensorType: "F32" }).slice();
    new DataView(bytes.buffer).setFloat32(dataAt(bytes, "output_norm.weight") + 4 * 3, NaN, true);
    const dir = mkdtempSync(join(tmpdir(), "fastgen-nan-"));
    const path = join(dir, "nan.gguf");
    writeFileSync(path, bytes);
    const started = performance.now();
    const r = await runCli("generate", "--model", path, "--max-tokens", "100");
    expect(performance.now() - started).toBeLessThan(800);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `fastgen generate: ${path}: tensor "output_norm.weight" (F32) has a non-finite weight (NaN) at index 3; the file is corrupt\n`,
    );
  });

  test("llama2.c: a NaN weight names the tensor, its layer and the index", () => {
    const bin = writeLlama2c(tiny).slice();
    const c = tiny.config;
    // Header, token embedding, then the per-layer rms_att_weight (dim each), then wq of layer 0, 1.
    const wqLayer1 = 28 + 4 * (c.vocabSize * c.dim + c.nLayers * c.dim + c.dim * c.dim);
    new DataView(bin.buffer).setFloat32(wqLayer1 + 4 * 9, NaN, true);
    expectModelFileError(
      () => loadModelFromBytes(bin, "bad/model.bin"),
      "bad/model.bin",
      "wq of layer 1 has a non-finite weight (NaN) at index 9",
    );
  });
});

describe("non-finite logits stop generation and the logits command", () => {
  test("the sampler refuses NaN and +Infinity rows, greedy or not; -Infinity masks a token", () => {
    const row = new Float32Array([0.5, NaN, 1]);
    for (const temperature of [0, 1]) {
      expect(() => new Sampler({ temperature, topP: 0.9, seed: 1 }).next(row)).toThrow(NonFiniteLogitsError);
    }
    expect(() => new Sampler({ temperature: 0, topP: 1, seed: 1 }).next(new Float32Array([0, Infinity]))).toThrow(
      /non-finite logit \(Infinity for token id 1\)/,
    );
    expect(new Sampler({ temperature: 0, topP: 1, seed: 1 }).next(new Float32Array([-Infinity, 2, 1]))).toBe(1);
    expect(() => new Sampler({ temperature: 0, topP: 1, seed: 1 }).next(new Float32Array([-Infinity, -Infinity]))).toThrow(
      /every token is masked/,
    );
    expect(() => checkFiniteLogits(new Float32Array([0, -Infinity]), "at position 3")).toThrow(/-Infinity for token id 1\) at position 3/);
  });

  // Finite weights whose products overflow float32: the output norm's scale times the classifier.
  const overflowing = (() => {
    const m = synthModel(SYNTH_SHAPES.tiny, 3);
    m.weights.outputNorm.fill(3e38);
    const dir = mkdtempSync(join(tmpdir(), "fastgen-overflow-"));
    const path = join(dir, "overflow.gguf");
    writeFileSync(path, llamaToGguf(m, { tensorType: "F32" }));
    return { dir, path };
  })();

  test("generate exits 2 with a clear message instead of emitting token 0 forever", async () => {
    const r = await runCli("generate", "--model", overflowing.path, "--max-tokens", "50");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^fastgen generate: the model produced a non-finite logit \((-?Infinity|NaN) for token id \d+\); its weights overflow/m,
    );
  });

  test("eval (whose prompts run in worker threads) exits 2 with the same line and writes nothing", async () => {
    const prompts = join(overflowing.dir, "prompts.json");
    writeFileSync(prompts, JSON.stringify({ name: "t", description: "d", howMade: "h", prompts: [{ id: "a", tokens: [1, 260, 261] }] }));
    const out = join(overflowing.dir, "eval-out");
    const r = await runCli("eval", "--quick", "--png=false", "--model", overflowing.path, "--prompts", prompts, "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fastgen eval: the model produced a non-finite logit .* at position 0; its weights overflow/m);
    expect(readdirSync(overflowing.dir).sort()).toEqual(["overflow.gguf", "prompts.json"]);
  });

  test("logits exits 2 and leaves no output file", async () => {
    const out = join(overflowing.dir, "rows.f32");
    const r = await runCli("logits", "--model", overflowing.path, "--tokens", "1,260,261", "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fastgen logits: the model produced a non-finite logit .* at position 0/m);
    expect(readdirSync(overflowing.dir).filter((f) => f.startsWith("rows"))).toEqual([]);
  });
});

describe("files the loader cannot read in one piece", () => {
  test("a llama2.c file over Node's 2 GiB read limit is a ModelFileError, not a RangeError", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-big-"));
    const path = join(dir, "big.bin");
    // Sparse: 3 GiB long, no disk used; refused before a byte is read.
    writeFileSync(path, "LLAM");
    truncateSync(path, 3 * 1024 ** 3);
    const started = performance.now();
    const r = await runCli("generate", "--model", path);
    expect(performance.now() - started).toBeLessThan(800);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^fastgen generate: ${path}: cannot read: .*2 GiB`));
    rmSync(dir, { recursive: true });
  });
  test("a GGUF file over it is read on demand: its header is judged at once, not its size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-big-"));
    const path = join(dir, "big.gguf");
    writeFileSync(path, "GGUF");
    truncateSync(path, 3 * 1024 ** 3);
    const started = performance.now();
    const r = await runCli("generate", "--model", path);
    expect(performance.now() - started).toBeLessThan(800);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fastgen generate: ${path}: unsupported GGUF version 0 (this reader handles 2 and 3)\n`);
    rmSync(dir, { recursive: true });
  });
});

describe("strings from a corrupt file are escaped and cut short in messages", () => {
  test("printable escapes controls, bidi overrides and lone surrogates, and truncates", () => {
    expect(printable("a\x1b[2Jb\nc\u202ed\ud800e\x7f")).toBe("a\\x1b[2Jb\\nc\\u202ed\\ud800e\\x7f");
    expect(printable("ok ✓ ▁piece 😀")).toBe("ok ✓ ▁piece 😀");
    const long = printable("x".repeat(5000), 100);
    expect(long).toBe(`${"x".repeat(100)}… (5000 characters)`);
  });

  test("a metadata key or architecture string full of escape sequences reaches the message escaped and short", () => {
    const file = parseGguf(llamaToGguf(tiny, { tensorType: "F32" }), PATH);
    const evil = "\x1b]0;pwned\x07\x1b[2J\r\u202e" + "A".repeat(100_000);
    const entries = entriesOf(file).map((e) => (e.key === "general.architecture" ? { ...e, type: "string" as const, value: evil } : e));
    const bytes = writeGguf({ metadata: entries, tensors: tensorsOf(file) });
    const err = expectModelFileError(() => loadModelFromBytes(bytes, PATH), PATH, "is not supported");
    expect(err.message).not.toMatch(/[\x00-\x1f\x7f\u202e]/);
    expect(err.message).toContain("\\x1b]0;pwned\\x07\\x1b[2J\\r\\u202e");
    expect(err.message.length).toBeLessThan(300);

    // A key full of escapes whose bool value is neither 0 nor 1 (patched after writing).
    const key = `bad\x1b[31m${"k".repeat(10_000)}`;
    const keyed = writeGguf({ metadata: [...entriesOf(file), { key, type: "bool", value: true }], tensors: tensorsOf(file) });
    keyed[findAscii(keyed, "k".repeat(10_000)) + 10_000 + 4] = 7;
    const dup = expectModelFileError(() => loadModelFromBytes(keyed, PATH), PATH, 'metadata "bad\\x1b[31mkkk', "(10008 characters)");
    expect(dup.message).not.toMatch(/[\x00-\x1f]/);
    expect(dup.message.length).toBeLessThan(300);
  });

  test("the CLI prints a corrupt file's problem on one line without control bytes", async () => {
    const file = parseGguf(llamaToGguf(tiny, { tensorType: "F32" }), PATH);
    const entries = entriesOf(file).map((e) =>
      e.key === "general.architecture" ? { ...e, type: "string" as const, value: "ll\nama\x1b[2J\x00" } : e,
    );
    const dir = mkdtempSync(join(tmpdir(), "fastgen-evil-"));
    const path = join(dir, "evil.gguf");
    writeFileSync(path, writeGguf({ metadata: entries, tensors: tensorsOf(file) }));
    const r = await runCli("generate", "--model", path);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `fastgen generate: ${path}: architecture "ll\\nama\\x1b[2J\\x00" is not supported (supported: llama, qwen2, qwen3)\n`,
    );
  });
});
