/** The GGUF writer: exact round trips, every metadata type, and misuse errors. */
import { describe, expect, test } from "vitest";
import { parseGguf, readTensor } from "../../src/model/gguf.ts";
import { llamaFromGguf } from "../../src/model/gguf-llama.ts";
import { type GgufMetadataEntry, type GgufTensorSpec, llamaToGguf, writeGguf } from "../../src/model/gguf-writer.ts";
import { loadModel } from "../../src/model/load.ts";
import { entriesOf, fixture, llama2cPath, modelPath, namedWeights, sameBits, tensorsOf } from "./helpers.ts";

const original = fixture(modelPath);
const parsed = parseGguf(original, modelPath);

describe("GGUF round trip", () => {
  test("parse → write reproduces stories260K.gguf byte for byte", () => {
    const rewritten = writeGguf({ metadata: entriesOf(parsed), tensors: tensorsOf(parsed) });
    expect(rewritten.byteLength).toBe(original.byteLength);
    expect(Buffer.compare(Buffer.from(rewritten), Buffer.from(original))).toBe(0);
  });

  test("parse → write → parse gives identical metadata and tensors", () => {
    const again = parseGguf(writeGguf({ metadata: entriesOf(parsed), tensors: tensorsOf(parsed) }), "again.gguf");
    expect(again.metadata).toEqual(parsed.metadata);
    expect([...again.tensors.keys()]).toEqual([...parsed.tensors.keys()]);
    for (const [name, info] of parsed.tensors) {
      const other = again.tensors.get(name)!;
      expect(other.dims).toEqual(info.dims);
      expect(sameBits(readTensor(again, other), readTensor(parsed, info)), name).toBe(true);
    }
  });

  test("every metadata value type, nested arrays included, reads back", () => {
    const metadata: GgufMetadataEntry[] = [
      { key: "t.u8", type: "uint8", value: 255 },
      { key: "t.i8", type: "int8", value: -128 },
      { key: "t.u16", type: "uint16", value: 65535 },
      { key: "t.i16", type: "int16", value: -32768 },
      { key: "t.u32", type: "uint32", value: 4294967295 },
      { key: "t.i32", type: "int32", value: -2147483648 },
      { key: "t.u64", type: "uint64", value: 2n ** 53n - 1n },
      { key: "t.i64", type: "int64", value: -(2 ** 53) + 1 },
      { key: "t.f32", type: "float32", value: 0.1 },
      { key: "t.f64", type: "float64", value: 0.1 },
      { key: "t.true", type: "bool", value: true },
      { key: "t.false", type: "bool", value: false },
      { key: "t.str", type: "string", value: "▁Once upon a time — 日本語 🙂" },
      { key: "t.empty", type: "string", value: "" },
      { key: "a.u8", type: "array", itemType: "uint8", items: [0, 1, 255] },
      { key: "a.i16", type: "array", itemType: "int16", items: [-1, 2] },
      { key: "a.i32", type: "array", itemType: "int32", items: [-5, 7] },
      { key: "a.u32", type: "array", itemType: "uint32", items: [0, 4294967295] },
      { key: "a.f32", type: "array", itemType: "float32", items: [1.5, -0.1] },
      { key: "a.f64", type: "array", itemType: "float64", items: [0.1, -1e300] },
      { key: "a.i64", type: "array", itemType: "int64", items: [-3n, 2 ** 40] },
      { key: "a.bool", type: "array", itemType: "bool", items: [true, false] },
      { key: "a.str", type: "array", itemType: "string", items: ["a", "", "▁b"] },
      { key: "a.empty", type: "array", itemType: "uint64", items: [] },
      {
        key: "a.nested",
        type: "array",
        itemType: "array",
        items: [
          { itemType: "uint8", items: [1, 2] },
          { itemType: "string", items: ["x"] },
          { itemType: "array", items: [{ itemType: "bool", items: [true] }] },
        ],
      },
    ];
    const file = parseGguf(writeGguf({ metadata, tensors: [] }), "types.gguf");
    const m = file.metadata;
    expect([...m.keys()]).toEqual(metadata.map((e) => e.key));
    expect([m.get("t.u8"), m.get("t.i8"), m.get("t.u16"), m.get("t.i16"), m.get("t.u32"), m.get("t.i32")]).toEqual([
      255, -128, 65535, -32768, 4294967295, -2147483648,
    ]);
    expect([m.get("t.u64"), m.get("t.i64")]).toEqual([2 ** 53 - 1, -(2 ** 53) + 1]);
    expect(m.get("t.f32")).toBe(Math.fround(0.1));
    expect(m.get("t.f64")).toBe(0.1);
    expect([m.get("t.true"), m.get("t.false")]).toEqual([true, false]);
    expect([m.get("t.str"), m.get("t.empty")]).toEqual(["▁Once upon a time — 日本語 🙂", ""]);
    expect(m.get("a.u8")).toEqual([0, 1, 255]);
    expect(m.get("a.i16")).toEqual([-1, 2]);
    expect(m.get("a.i32")).toEqual(new Int32Array([-5, 7]));
    expect(m.get("a.u32")).toEqual(new Uint32Array([0, 4294967295]));
    expect(m.get("a.f32")).toEqual(new Float32Array([1.5, -0.1]));
    expect(m.get("a.f64")).toEqual([0.1, -1e300]);
    expect(m.get("a.i64")).toEqual([-3, 2 ** 40]);
    expect(m.get("a.bool")).toEqual([true, false]);
    expect(m.get("a.str")).toEqual(["a", "", "▁b"]);
    expect(m.get("a.empty")).toEqual([]);
    expect(m.get("a.nested")).toEqual([[1, 2], ["x"], [[true]]]);
  });

  test("alignment: tensors start at multiples of it, and a non-default one is declared in the metadata", () => {
    const tensors: GgufTensorSpec[] = [
      { name: "a", dims: [3], type: "F32", data: new Float32Array([1, 2, 3]) },
      { name: "b", dims: [2, 2], type: "F16", data: new Float32Array([0.5, -2, 3, 4]) },
    ];
    for (const alignment of [1, 8, 32, 256]) {
      const file = parseGguf(writeGguf({ metadata: [], tensors, alignment }), "aligned.gguf");
      expect(file.alignment).toBe(alignment);
      expect(file.metadata.get("general.alignment")).toBe(alignment === 32 ? undefined : alignment);
      expect(file.dataOffset % alignment).toBe(0);
      for (const info of file.tensors.values()) expect(info.offset % alignment).toBe(0);
      expect(Array.from(readTensor(file, file.tensors.get("b")!))).toEqual([0.5, -2, 3, 4]);
    }
  });
});

describe("llamaToGguf", () => {
  const fromGguf = llamaFromGguf(parsed);
  const fromL2c = loadModel(llama2cPath);

  test.each([
    ["GGUF", fromGguf],
    ["llama2.c", fromL2c],
  ] as const)("F32 from the %s model reads back bit-identical", (_, model) => {
    const back = llamaFromGguf(parseGguf(llamaToGguf(model, { tensorType: "F32" }), "out.gguf"));
    expect(back.config).toEqual(model.config);
    expect(back.vocab).toEqual(model.vocab);
    const a = namedWeights(model);
    const b = namedWeights(back);
    expect(b.filter(([, t], i) => !sameBits(t, a[i]![1])).map(([n]) => n)).toEqual([]);
    // Tied stays tied (no output.weight written); the GGUF's separate output.weight stays separate.
    expect(back.weights.output === back.weights.tokenEmbedding).toBe(model.weights.output === model.weights.tokenEmbedding);
  });

  test("a model without a vocab writes no tokenizer and reads back without one", () => {
    const { vocab: _, ...bare } = fromL2c;
    const file = parseGguf(llamaToGguf(bare, { tensorType: "F32" }), "bare.gguf");
    expect([...file.metadata.keys()].some((k) => k.startsWith("tokenizer."))).toBe(false);
    expect(llamaFromGguf(file).vocab).toBeUndefined();
  });
});

describe("writer misuse is refused with a message naming the entry", () => {
  const t = (over: Partial<GgufTensorSpec>): GgufTensorSpec => ({
    name: "t",
    dims: [32],
    type: "F32",
    data: new Float32Array(32),
    ...over,
  });
  test.each<[string, () => unknown, string]>([
    [
      "uint8 out of range",
      () => writeGguf({ metadata: [{ key: "k", type: "uint8", value: 256 }], tensors: [] }),
      `"k": uint8 value 256 is out of range`,
    ],
    ["negative uint32", () => writeGguf({ metadata: [{ key: "k", type: "uint32", value: -1 }], tensors: [] }), "out of range"],
    ["fractional int", () => writeGguf({ metadata: [{ key: "k", type: "int32", value: 1.5 }], tensors: [] }), "not a safe integer"],
    [
      "bad array item",
      () => writeGguf({ metadata: [{ key: "k", type: "array", itemType: "int8", items: [1, 200] }], tensors: [] }),
      `"k"[1]`,
    ],
    [
      "duplicate key",
      () =>
        writeGguf({
          metadata: [
            { key: "k", type: "bool", value: true },
            { key: "k", type: "bool", value: false },
          ],
          tensors: [],
        }),
      "duplicate key",
    ],
    ["duplicate tensor", () => writeGguf({ metadata: [], tensors: [t({}), t({})] }), `"t": duplicate name`],
    ["data/dims mismatch", () => writeGguf({ metadata: [], tensors: [t({ dims: [4, 4] })] }), "need 16 values, data has 32"],
    ["Q8_0 row not whole blocks", () => writeGguf({ metadata: [], tensors: [t({ dims: [16, 2], type: "Q8_0" })] }), "multiple of 32"],
    [
      "Q8_0 scale overflow",
      () => writeGguf({ metadata: [], tensors: [t({ type: "Q8_0", data: new Float32Array(32).fill(1e7) })] }),
      "cannot store",
    ],
    ["name over 64 bytes", () => writeGguf({ metadata: [], tensors: [t({ name: "x".repeat(65) })] }), "name must be 1 to 64 bytes"],
    ["alignment not a power of two", () => writeGguf({ metadata: [], tensors: [], alignment: 24 }), "power of two"],
    [
      "alignment contradicting metadata",
      () => writeGguf({ metadata: [{ key: "general.alignment", type: "uint32", value: 64 }], tensors: [], alignment: 16 }),
      "contradicts",
    ],
  ])("%s", (_, fn, message) => {
    expect(fn).toThrow(message);
  });
});
