/**
 * GGUF files read from disk on demand (src/model/load.ts `fileSource`): the header from a prefix
 * read longer until it holds the header, each tensor when it is used, so a model's packed bytes
 * sit in memory once (in the backend). The model must be exactly the one read from memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { synthLike } from "../../src/model/families.ts";
import { loadModelFromBytes } from "../../src/model/from-bytes.ts";
import { parseGguf } from "../../src/model/gguf.ts";
import { fileSource, loadModel } from "../../src/model/load.ts";
import type { LlamaModel } from "../../src/model/types.ts";

const dir = mkdtempSync(join(tmpdir(), "fastgen-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = synthLike("qwen3-0.6b", { layers: 2, vocabSize: 1024, type: "Q4_K_M", seed: 5, narrow: true });
const path = join(dir, "q.gguf");
writeFileSync(path, bytes);

function logits(model: LlamaModel, tokens: readonly number[]): Float32Array[] {
  const backend = new WasmBackend(model, { threads: 1 });
  const rows = backend.prefill(tokens, 0, new FullKvCache(kvLayoutOf(model.config))).map((r) => Float32Array.from(r));
  backend.dispose();
  return rows;
}

describe("a GGUF read from disk on demand", () => {
  it("is the model read from memory: same metadata, same packed bytes, same logits", () => {
    const fromFile = loadModel(path);
    const fromMemory = loadModelFromBytes(bytes, path);
    expect(fromFile.config).toEqual(fromMemory.config);
    expect(fromFile.vocab).toEqual(fromMemory.vocab);
    const a = fromFile.packed!.layers[1]!.w2;
    expect(a.bytes).toEqual(fromMemory.packed!.layers[1]!.w2.bytes);
    // Read again at each use, not held: two reads are two arrays.
    expect(a.bytes).not.toBe(a.bytes);
    const tokens = [3, 100, 7, 512, 9];
    expect(logits(fromFile, tokens)).toEqual(logits(fromMemory, tokens));
  });
  it("parses a header longer than the first prefix read (the prefix is read again, longer)", () => {
    const source = fileSource(path, bytes.byteLength);
    const short = parseGguf(source, path, 64);
    const whole = parseGguf(bytes, path);
    expect(short.dataOffset).toBe(whole.dataOffset);
    expect([...short.metadata.keys()]).toEqual([...whole.metadata.keys()]);
    expect([...short.tensors.values()]).toEqual([...whole.tensors.values()]);
  });
  it("names a truncated header as the in-memory reader does", () => {
    const cut = join(dir, "cut.gguf");
    writeFileSync(cut, bytes.subarray(0, 5000));
    const fromFile = () => loadModel(cut);
    const fromMemory = () => loadModelFromBytes(bytes.subarray(0, 5000), cut);
    expect(fromFile).toThrow();
    let message = "";
    try {
      fromMemory();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/truncated/);
    expect(fromFile).toThrow(message);
  });
});
