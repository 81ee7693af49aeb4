/**
 * Seeded corruption of the real model files. Every variant must either be refused with an
 * InputError (ModelFileError) whose message names the file, or load a model that passes
 * `modelProblems` (helpers.ts: config valid, every tensor and the vocab of the right size).
 * Never a TypeError, RangeError or other crash. A failure prints the variant's name, which
 * includes its index: rerun with that index to reproduce.
 */
import { describe, expect, test } from "vitest";
import { parseGguf } from "../../src/model/gguf.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import { fixture, isInputError, llama2cPath, modelPath, modelProblems, mulberry32, tokenizerPath } from "./helpers.ts";

const SEED = 0x5eed2604;
const PATH = "fuzz/model";

interface Variant {
  readonly name: string;
  readonly model: Uint8Array;
  readonly tokenizer?: Uint8Array;
}

/** Mutations of `bytes`, all inside [0, regionEnd) except truncation, which cuts anywhere. */
function mutator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const HUGE_U64 = [2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 60n, 2n ** 64n - 1n];
  const ODD_I32 = [0, 1, -1, 2, 3, 7, 64, 512, 2 ** 31 - 1, -(2 ** 31)];
  return {
    flip(bytes: Uint8Array, regionEnd: number): [string, Uint8Array] {
      const out = bytes.slice();
      const where: number[] = [];
      for (let k = 1 + int(8); k > 0; k--) {
        const at = int(regionEnd);
        out[at]! ^= 1 + int(255);
        where.push(at);
      }
      return [`flip@${where.join(",")}`, out];
    },
    u64(bytes: Uint8Array, regionEnd: number): [string, Uint8Array] {
      const out = bytes.slice();
      const at = int(regionEnd - 8);
      const value = rand() < 0.8 ? pick(HUGE_U64) : BigInt(int(2 ** 32)) * 2n ** 32n + BigInt(int(2 ** 32));
      new DataView(out.buffer).setBigUint64(at, value, true);
      return [`u64@${at}=${value}`, out];
    },
    i32(bytes: Uint8Array, regionEnd: number): [string, Uint8Array] {
      const out = bytes.slice();
      const at = int(regionEnd - 4);
      const value = rand() < 0.7 ? pick(ODD_I32) : int(2 ** 32) | 0;
      new DataView(out.buffer).setInt32(at, value, true);
      return [`i32@${at}=${value}`, out];
    },
    truncate(bytes: Uint8Array): [string, Uint8Array] {
      const n = int(bytes.length);
      return [`truncate@${n}`, bytes.subarray(0, n)];
    },
  };
}

function variants(): Variant[] {
  const rand = mulberry32(SEED);
  const m = mutator(rand);
  const gguf = fixture(modelPath);
  const headerEnd = parseGguf(gguf, modelPath).dataOffset; // header + metadata + tensor infos
  const bin = fixture(llama2cPath);
  const tok = fixture(tokenizerPath);
  const out: Variant[] = [];
  const add = (n: number, make: () => [string, Uint8Array], wrap: (b: Uint8Array) => Omit<Variant, "name">) => {
    for (let i = 0; i < n; i++) {
      const [what, bytes] = make();
      out.push({ name: `#${out.length} ${what}`, ...wrap(bytes) });
    }
  };
  const asGguf = (b: Uint8Array) => ({ model: b });
  const asCheckpoint = (b: Uint8Array) => ({ model: b, tokenizer: tok });
  const asTokenizer = (b: Uint8Array) => ({ model: bin, tokenizer: b });
  add(90, () => m.flip(gguf, headerEnd), asGguf);
  add(50, () => m.u64(gguf, headerEnd), asGguf);
  add(30, () => m.i32(gguf, headerEnd), asGguf);
  add(40, () => m.truncate(gguf), asGguf);
  add(25, () => m.i32(bin, 28), asCheckpoint);
  add(20, () => m.flip(bin, 28), asCheckpoint);
  add(15, () => m.truncate(bin), asCheckpoint);
  add(30, () => m.flip(tok, tok.length), asTokenizer);
  add(20, () => m.i32(tok, tok.length), asTokenizer);
  add(15, () => m.truncate(tok), asTokenizer);
  return out;
}

describe("fuzz: corrupted model files", () => {
  test("every variant is refused with an InputError naming the file, or loads a valid model", () => {
    const all = variants();
    expect(all.length).toBeGreaterThanOrEqual(300);
    const failures: string[] = [];
    let loaded = 0;
    let refused = 0;
    for (const v of all) {
      try {
        const model = loadModelFromBytes(v.model, PATH, v.tokenizer);
        const problems = modelProblems(model);
        if (problems.length > 0) failures.push(`${v.name}: loaded an invalid model: ${problems.slice(0, 3).join("; ")}`);
        loaded++;
      } catch (e) {
        if (!isInputError(e)) failures.push(`${v.name}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
        else if (!e.message.startsWith(PATH)) failures.push(`${v.name}: message does not name the file: ${e.message}`);
        refused++;
      }
    }
    expect(failures).toEqual([]);
    // Both outcomes really happen, so the test exercises the loaders and the validity check.
    expect(loaded).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(100);
  }, 20_000);
});
