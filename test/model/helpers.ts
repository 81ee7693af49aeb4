/** Shared helpers for the model-file tests: fixture bytes, byte patching, error assertions, model invariants. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { InputError, ModelFileError } from "../../src/errors.ts";
import { validateConfig } from "../../src/model/config.ts";
import { type GgufFile, ggmlTypeName, readTensor } from "../../src/model/gguf.ts";
import type { GgufMetadataEntry, GgufTensorSpec, GgufTensorType } from "../../src/model/gguf-writer.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { llama2cPath } from "../support/llama2c.ts";
import { modelPath } from "../support/shared.ts";

export { llama2cPath, modelPath };
export const tokenizerPath = join(dirname(llama2cPath), "tok512.bin");

const cache = new Map<string, Uint8Array>();
/** The bytes of a shared model file (read once; callers must copy before mutating). */
export function fixture(path: string): Uint8Array {
  let b = cache.get(path);
  if (!b) {
    b = new Uint8Array(readFileSync(path));
    cache.set(path, b);
  }
  return b;
}

/** The project's seeded PRNG, so every fuzz variant can be reproduced from its seed. */
export { mulberry32 } from "../../src/random.ts";

/** Runs `fn`, expects a ModelFileError naming `path`, and checks the message contains every `parts`. */
export function expectModelFileError(fn: () => unknown, path: string, ...parts: string[]): ModelFileError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a ModelFileError").toBeInstanceOf(ModelFileError);
  const err = thrown as ModelFileError;
  expect(err.path).toBe(path);
  expect(err.message.startsWith(`${path}: `)).toBe(true);
  for (const p of parts) expect(err.message).toContain(p);
  return err;
}

/** Whether a thrown value is one of our "bad input" errors (and not a TypeError, RangeError, ...). */
export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** Bit-for-bit equality of two float arrays (so -0 ≠ 0 and NaN payloads count). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Offset of the first occurrence of an ASCII string in `bytes` at or after `from`; throws if absent. */
export function findAscii(bytes: Uint8Array, text: string, from = 0): number {
  const needle = Buffer.from(text, "latin1");
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle, from);
  if (at < 0) throw new Error(`"${text}" not found`);
  return at;
}

/** A copy of `bytes` with a little-endian integer written at `offset`. */
export function patched(bytes: Uint8Array, offset: number, kind: "u32" | "i32" | "u64", value: number | bigint): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (kind === "u64") view.setBigUint64(offset, BigInt(value), true);
  else if (kind === "u32") view.setUint32(offset, Number(value), true);
  else view.setInt32(offset, Number(value), true);
  return out;
}

/**
 * Metadata of a parsed GGUF as writer entries. The parser keeps values, not their wire types, so the
 * type is inferred: integers in u32 range → uint32, other integers → int32/int64, fractions → float32
 * when exact in float32 (else float64), typed arrays by their class. Enough for llama.cpp-style files,
 * and the byte-identical rewrite test proves the guess right for stories260K.
 */
export function entriesOf(file: GgufFile): GgufMetadataEntry[] {
  return [...file.metadata].map(([key, v]): GgufMetadataEntry => {
    if (typeof v === "string") return { key, type: "string", value: v };
    if (typeof v === "boolean") return { key, type: "bool", value: v };
    if (typeof v === "number") return { key, type: numberType(v), value: v };
    if (v instanceof Float32Array) return { key, type: "array", itemType: "float32", items: v };
    if (v instanceof Int32Array) return { key, type: "array", itemType: "int32", items: v };
    if (v instanceof Uint32Array) return { key, type: "array", itemType: "uint32", items: v };
    if (v.every((x) => typeof x === "string")) return { key, type: "array", itemType: "string", items: v as string[] };
    throw new Error(`entriesOf: cannot infer the type of "${key}"`);
  });
}

function numberType(v: number): "uint32" | "int32" | "int64" | "float32" | "float64" {
  if (Number.isInteger(v)) return v >= 0 && v <= 0xffffffff ? "uint32" : v >= -(2 ** 31) && v < 2 ** 31 ? "int32" : "int64";
  return Math.fround(v) === v ? "float32" : "float64";
}

/** Every tensor of a parsed GGUF, dequantized, as writer specs of the given type (default: its own). */
export function tensorsOf(file: GgufFile, type?: GgufTensorType): GgufTensorSpec[] {
  return [...file.tensors.values()].map((info) => ({
    name: info.name,
    dims: info.dims,
    type: type ?? (ggmlTypeName(info.type) as GgufTensorType),
    data: readTensor(file, info),
  }));
}

/** Named float tensors of a model, in a fixed order, for whole-model comparisons. */
export function namedWeights(m: LlamaModel): [string, Float32Array][] {
  const w = m.weights;
  const out: [string, Float32Array][] = [
    ["tokenEmbedding", w.tokenEmbedding],
    ["outputNorm", w.outputNorm],
    ["output", w.output],
  ];
  w.layers.forEach((l, i) => {
    // A fixed order (a GGUF model's matrices are getters, defined after the norms).
    const keys = ["attnNorm", "wq", "wk", "wv", "wo", "ffnNorm", "w1", "w2", "w3", "bq", "bk", "bv", "qNorm", "kNorm"] as const;
    for (const k of keys) if (l[k]) out.push([`layers.${i}.${k}`, l[k]]);
  });
  return out;
}

/**
 * What "a loaded model is valid" means for the fuzz and error tests — everything later code indexes by:
 * the config passes validateConfig unchanged; there are nLayers layers; every tensor is a Float32Array
 * with exactly the length the config implies; the vocab (if any) has vocabSize pieces (strings),
 * scores and types, and in-range BOS/EOS/UNK ids. Weight *values* are not checked: GGUF and llama2.c
 * have no checksums, so a corrupted tensor offset or type can load different (even non-finite) numbers.
 * Returns the problems found (empty when valid).
 */
export function modelProblems(m: LlamaModel): string[] {
  const problems: string[] = [];
  const c = m.config;
  try {
    const again = validateConfig({ ...c }, "check");
    if (JSON.stringify(again) !== JSON.stringify(c)) problems.push("config changes when validated again");
  } catch (e) {
    problems.push(`config: ${(e as Error).message}`);
    return problems;
  }
  const kv = c.nKvHeads * c.headDim;
  const q = c.nHeads * c.headDim;
  const expectLen = (name: string, a: unknown, n: number) => {
    if (!(a instanceof Float32Array)) problems.push(`${name} is not a Float32Array`);
    else if (a.length !== n) problems.push(`${name} has ${a.length} values, expected ${n}`);
  };
  const w = m.weights;
  expectLen("tokenEmbedding", w.tokenEmbedding, c.vocabSize * c.dim);
  expectLen("output", w.output, c.vocabSize * c.dim);
  expectLen("outputNorm", w.outputNorm, c.dim);
  if (w.layers.length !== c.nLayers) problems.push(`${w.layers.length} layers, expected ${c.nLayers}`);
  w.layers.forEach((l, i) => {
    const p = `layers.${i}.`;
    expectLen(`${p}attnNorm`, l.attnNorm, c.dim);
    expectLen(`${p}ffnNorm`, l.ffnNorm, c.dim);
    expectLen(`${p}wq`, l.wq, q * c.dim);
    expectLen(`${p}wk`, l.wk, kv * c.dim);
    expectLen(`${p}wv`, l.wv, kv * c.dim);
    expectLen(`${p}wo`, l.wo, c.dim * q);
    expectLen(`${p}w1`, l.w1, c.hiddenDim * c.dim);
    expectLen(`${p}w2`, l.w2, c.dim * c.hiddenDim);
    expectLen(`${p}w3`, l.w3, c.hiddenDim * c.dim);
  });
  const v = m.vocab;
  if (v) {
    const n = c.vocabSize;
    if (v.pieces.length !== n || v.pieces.some((p) => typeof p !== "string"))
      problems.push(`vocab pieces: ${v.pieces.length} (expected ${n} strings)`);
    if (!(v.scores instanceof Float32Array) || v.scores.length !== n) problems.push("vocab scores length");
    if (!(v.types instanceof Int32Array) || v.types.length !== n) problems.push("vocab types length");
    for (const [k, id] of [
      ["bos", v.bosId],
      ["eos", v.eosId],
      ["unk", v.unkId],
    ] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= n) problems.push(`${k} id ${id} out of range`);
    }
  }
  return problems;
}
