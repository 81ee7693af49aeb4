/**
 * Issue 11: a seeded fuzz of more than 10,000 corrupted GGUF files (header, metadata, tensor infos
 * and tensor data) of a tiny synthetic model in F32, F16 and Q8_0. Every variant must end in one
 * of three ways:
 *   - refused at load time with a ModelFileError whose message names the file;
 *   - loaded, then its forward pass refused with a NonFiniteLogitsError (finite weights that
 *     overflow float32: refused with a clear message, never passed on as NaN);
 *   - loaded, with finite logits for a few tokens on the reference backend and a tokenizer that
 *     encodes and decodes a short text.
 * Anything else (a TypeError, a RangeError, a plain Error, a NaN logit, a case that takes more than
 * a second) is a failure, reported with the variant's name: `#<index> <type> <mutation>@<offset>`,
 * reproducible from SEED.
 */
import { describe, expect, test } from "vitest";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { InputError, ModelFileError } from "../../src/errors.ts";
import { checkFiniteLogits, NonFiniteLogitsError } from "../../src/generation/sampler.ts";
import { mulberry32 } from "../../src/random.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { parseGguf } from "../../src/model/gguf.ts";
import { llamaToGguf, type GgufTensorType } from "../../src/model/gguf-writer.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import { SYNTH_SHAPES, synthModel } from "../../src/model/synth.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { firstNonFinite } from "../../src/model/reader.ts";
import { findAscii, namedWeights } from "./helpers.ts";

const SEED = 0x11f022e;
const PATH = "fuzz/tiny.gguf";
const PER_TYPE = 3400;
const TYPES: readonly GgufTensorType[] = ["F32", "F16", "Q8_0"];

/** Where the parts of a GGUF file lie: [start, end) of each region. */
interface Layout {
  readonly bytes: Uint8Array;
  readonly header: readonly [number, number];
  readonly metadata: readonly [number, number];
  readonly infos: readonly [number, number];
  readonly data: readonly [number, number];
  /** Start of each tensor's data and its type, to aim value mutations at real elements and Q8_0 scales. */
  readonly tensors: readonly { readonly at: number; readonly bytes: number; readonly type: number }[];
}

function layoutOf(bytes: Uint8Array): Layout {
  const file = parseGguf(bytes, PATH);
  const first = [...file.tensors.keys()][0]!;
  // Tensor infos start with the first tensor's name, after its u64 length.
  const infosStart = findAscii(bytes, first, 24) - 8;
  return {
    bytes,
    header: [0, 24],
    metadata: [24, infosStart],
    infos: [infosStart, file.dataOffset],
    data: [file.dataOffset, bytes.length],
    tensors: [...file.tensors.values()].map((t) => ({ at: file.dataOffset + t.offset, bytes: t.byteSize, type: t.type })),
  };
}

/** Seeded mutations; each returns a name for the failure report and the corrupted bytes. */
function mutator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const within = ([a, b]: readonly [number, number], width = 1) => a + int(Math.max(1, b - a - width + 1));
  const HUGE_U64 = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
  const ODD_U32 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 31, 32, 33, 255, 0x7fffffff, 0x80000000, 0xffffffff];
  const F32_SPECIAL = [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, 1e20, 65504, 1e-45, -0];
  const F16_SPECIAL = [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff, 0x7bff, 0xfbff, 0x0001, 0x8000];
  return {
    flip(l: Layout, region: readonly [number, number]): [string, Uint8Array] {
      const out = l.bytes.slice();
      const where: number[] = [];
      for (let k = 1 + int(4); k > 0; k--) {
        const at = within(region);
        out[at]! ^= 1 + int(255);
        where.push(at);
      }
      return [`flip@${where.join(",")}`, out];
    },
    u64(l: Layout, region: readonly [number, number]): [string, Uint8Array] {
      const out = l.bytes.slice();
      const at = within(region, 8);
      const value = rand() < 0.8 ? pick(HUGE_U64) : BigInt(int(2 ** 32)) * 2n ** 32n + BigInt(int(2 ** 32));
      new DataView(out.buffer).setBigUint64(at, value, true);
      return [`u64@${at}=${value}`, out];
    },
    u32(l: Layout, region: readonly [number, number]): [string, Uint8Array] {
      const out = l.bytes.slice();
      const at = within(region, 4);
      const value = rand() < 0.8 ? pick(ODD_U32) : int(2 ** 32);
      new DataView(out.buffer).setUint32(at, value, true);
      return [`u32@${at}=${value}`, out];
    },
    /** Bytes inserted or removed inside a region: everything after it shifts. */
    shift(l: Layout, region: readonly [number, number]): [string, Uint8Array] {
      const at = within(region);
      const n = 1 + int(16);
      if (rand() < 0.5) {
        const out = new Uint8Array(l.bytes.length - n);
        out.set(l.bytes.subarray(0, at));
        out.set(l.bytes.subarray(Math.min(l.bytes.length, at + n)), at);
        return [`delete@${at}+${n}`, out];
      }
      const out = new Uint8Array(l.bytes.length + n);
      out.set(l.bytes.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = int(256);
      out.set(l.bytes.subarray(at), at + n);
      return [`insert@${at}+${n}`, out];
    },
    truncate(l: Layout): [string, Uint8Array] {
      const n = int(l.bytes.length);
      return [`truncate@${n}`, l.bytes.subarray(0, n)];
    },
    /** A special value written over a real weight (F32, F16) or a Q8_0 block scale. */
    value(l: Layout): [string, Uint8Array] {
      const out = l.bytes.slice();
      const view = new DataView(out.buffer);
      const t = pick(l.tensors);
      if (t.type === 0) {
        const at = t.at + 4 * int(t.bytes / 4);
        const v = pick(F32_SPECIAL);
        view.setFloat32(at, v, true);
        return [`f32@${at}=${v}`, out];
      }
      const at = t.type === 1 ? t.at + 2 * int(t.bytes / 2) : t.at + 34 * int(t.bytes / 34);
      const v = pick(F16_SPECIAL);
      view.setUint16(at, v, true);
      return [`${t.type === 1 ? "f16" : "q8scale"}@${at}=0x${v.toString(16)}`, out];
    },
  };
}

interface Variant {
  readonly name: string;
  readonly bytes: Uint8Array;
}

function variants(): Variant[] {
  const rand = mulberry32(SEED);
  const m = mutator(rand);
  const model = synthModel(SYNTH_SHAPES.tiny, 7);
  const out: Variant[] = [];
  for (const type of TYPES) {
    const l = layoutOf(llamaToGguf(model, { tensorType: type, name: `fuzz-${type}` }));
    // Mostly the parts a reader interprets (header, metadata, tensor infos), a good share of tensor data.
    const plan: [number, () => [string, Uint8Array]][] = [
      [0.06, () => pick2(m.flip, m.u32, m.u64)(l, l.header)],
      [0.3, () => pick2(m.flip, m.u32, m.u64, m.shift)(l, l.metadata)],
      [0.24, () => pick2(m.flip, m.u32, m.u64, m.shift)(l, l.infos)],
      [0.14, () => m.flip(l, l.data)],
      [0.2, () => m.value(l)],
      [0.06, () => m.truncate(l)],
    ];
    function pick2(...fs: ((l: Layout, r: readonly [number, number]) => [string, Uint8Array])[]) {
      return fs[Math.floor(rand() * fs.length)]!;
    }
    for (let i = 0; i < PER_TYPE; i++) {
      let r = rand();
      const [, make] = plan.find(([p]) => (r -= p) < 0) ?? plan[plan.length - 1]!;
      const [what, bytes] = make();
      out.push({ name: `#${out.length} ${type} ${what}`, bytes });
    }
  }
  return out;
}

type Outcome = "refused" | "overflow" | "ok";

/** Loads a variant and runs a few tokens; throws on anything that is not one of the three allowed ends. */
function exercise(v: Variant): Outcome {
  let model: LlamaModel;
  try {
    model = loadModelFromBytes(v.bytes, PATH);
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw new Error(`load threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (!e.message.startsWith(`${PATH}: `) || e.message.length <= PATH.length + 2) throw new Error(`unclear message: ${e.message}`);
    if (/[\x00-\x1f\x7f]/.test(e.message)) throw new Error(`raw control bytes in the message: ${JSON.stringify(e.message)}`);
    return "refused";
  }
  // A NaN or infinite weight must be refused at load time, not left for the forward pass to meet.
  const bad = namedWeights(model).find(([, w]) => firstNonFinite(w) >= 0);
  if (bad) throw new Error(`loaded a non-finite weight in ${bad[0]}`);
  const c = model.config;
  const backend = new ReferenceTransformer(model);
  const cache = new FullKvCache(kvLayoutOf(c));
  const tokens = [1, 5, 260, 3].map((t) => Math.min(t, c.vocabSize - 1));
  try {
    tokens.forEach((t, p) => checkFiniteLogits(backend.forward(t, p, cache), `at position ${p}`));
  } catch (e) {
    if (e instanceof NonFiniteLogitsError) return "overflow";
    throw new Error(`forward threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
  if (model.vocab) {
    try {
      const tokenizer = new Tokenizer(model.vocab);
      const ids = tokenizer.encode("Once upon a time, t300 t301");
      if (ids.some((t) => !Number.isInteger(t) || t < 0 || t >= model.vocab!.pieces.length))
        throw new Error(`encode gave ids outside the vocab: ${ids.join(",")}`);
      tokenizer.decode(ids);
    } catch (e) {
      if (!(e instanceof InputError)) throw new Error(`tokenizer threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
  return "ok";
}

describe("fuzz: 10,200 corrupted GGUF files of a tiny model (F32, F16, Q8_0)", () => {
  test("each is refused with a ModelFileError, refused at the forward pass, or gives finite logits", () => {
    const started = performance.now();
    const all = variants();
    expect(all.length).toBeGreaterThanOrEqual(10_000);
    const counts: Record<Outcome, number> = { refused: 0, overflow: 0, ok: 0 };
    const failures: string[] = [];
    let slowest = { ms: 0, name: "" };
    for (const v of all) {
      const t0 = performance.now();
      try {
        counts[exercise(v)]++;
      } catch (e) {
        failures.push(`${v.name}: ${(e as Error).message}`);
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, name: v.name };
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `fuzz-gguf: ${all.length} variants in ${seconds.toFixed(1)} s: ${counts.refused} refused at load, ` +
        `${counts.overflow} refused at the forward pass, ${counts.ok} loaded with finite logits; slowest ` +
        `${slowest.ms.toFixed(0)} ms (${slowest.name})`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    // No variant hangs: the slowest is far under a second (a clean load and forward take about a millisecond).
    expect(slowest.ms).toBeLessThan(1000);
    // All three ends really happen, so the loaders, the guards and the forward pass are all exercised.
    expect(counts.refused).toBeGreaterThan(3000);
    expect(counts.ok).toBeGreaterThan(1000);
    expect(counts.overflow).toBeGreaterThan(0);
  }, 120_000);
});
