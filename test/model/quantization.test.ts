/**
 * F16 and Q8_0: the half-float conversions exhaustively, and models written from the real weights
 * reading back within the error the formats allow.
 */
import { describe, expect, test } from "vitest";
import { floatToHalf, GgmlType, halfToFloat, parseGguf } from "../../src/model/gguf.ts";
import { llamaFromGguf } from "../../src/model/gguf-llama.ts";
import { llamaToGguf } from "../../src/model/gguf-writer.ts";
import { loadModel } from "../../src/model/load.ts";
import { modelPath, namedWeights } from "./helpers.ts";

const model = loadModel(modelPath);

describe("half floats", () => {
  test("all 65536 halves survive halfToFloat → floatToHalf (NaNs stay NaN)", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const f = halfToFloat(h);
      if (Number.isNaN(f)) {
        if (!Number.isNaN(halfToFloat(floatToHalf(f)))) wrong.push(h);
      } else if (floatToHalf(f) !== h) {
        wrong.push(h);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("floatToHalf rounds to nearest, ties to even, between every pair of adjacent finite halves", () => {
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    const nudge = (x: number, ulps: number) => {
      f32[0] = x;
      bits[0]! += ulps; // adjacent float32 (x > 0)
      return f32[0]!;
    };
    const wrong: string[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (halfToFloat(h) + halfToFloat(h + 1)) / 2; // exact in float32
      const even = h % 2 === 0 ? h : h + 1;
      if (floatToHalf(mid) !== even) wrong.push(`tie ${h}`);
      if (h > 0 && floatToHalf(nudge(mid, -1)) !== h) wrong.push(`below ${h}`);
      if (floatToHalf(nudge(mid, 1)) !== h + 1) wrong.push(`above ${h}`);
      if (floatToHalf(-mid) !== (even | 0x8000)) wrong.push(`negative tie ${h}`);
    }
    expect(wrong).toEqual([]);
  });

  test("overflow and special values", () => {
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65519.99)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // the tie above the largest half rounds to infinity
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(floatToHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → even (0)
    expect(floatToHalf(2 ** -25 * 1.0001)).toBe(1);
  });
});

/** |x − f16(x)| ≤ half a unit in the last place: 2^-11·|x| for normal halves, 2^-25 for subnormals. */
const f16Bound = (x: number) => Math.max(Math.abs(x) * 2 ** -11, 2 ** -25);

/**
 * Q8_0 bound for one block with d = max|x|/127: x' = f16(d)·q where q = round(x/d), so
 * |x − x'| ≤ |x − d·q| + |q|·|d − f16(d)| ≤ d·(1/2 + 3e-5) + 127·f16Bound(d) (+ float32 output rounding).
 * The 3e-5 covers the float32 arithmetic of 1/d and x·(1/d), as in ggml. About 0.0044·max|x| in all.
 */
const q8Bound = (amax: number) => {
  const d = amax / 127;
  return d * (0.5 + 3e-5) + 127 * f16Bound(d) + amax * 2 ** -23;
};

describe("F16 and Q8_0 files written from the real weights", () => {
  test("F16: every matrix within half an f16 ulp of the original; norms stay F32 (exact)", () => {
    const bytes = llamaToGguf(model, { tensorType: "F16" });
    const file = parseGguf(bytes, "f16.gguf");
    for (const info of file.tensors.values()) expect(info.type).toBe(info.dims.length === 1 ? GgmlType.F32 : GgmlType.F16);
    const back = llamaFromGguf(file);
    expect(back.config).toEqual(model.config);
    const a = namedWeights(model);
    namedWeights(back).forEach(([name, t], i) => {
      const orig = a[i]![1];
      for (let j = 0; j < t.length; j++) {
        const x = orig[j]!;
        const want = name.endsWith("Norm") ? x : halfToFloat(floatToHalf(x)); // the nearest half
        if (t[j] !== want) throw new Error(`${name}[${j}]: read ${t[j]}, expected ${want}`);
        if (Math.abs(t[j]! - x) > f16Bound(x)) throw new Error(`${name}[${j}]: ${t[j]} vs ${x} over the bound`);
      }
    });
    expect(bytes.byteLength).toBeLessThan(0.6 * llamaToGguf(model, { tensorType: "F32" }).byteLength);
  });

  test("Q8_0: each 32-value block within its bound; rows of 172 fall back to F16; norms F32", () => {
    const file = parseGguf(llamaToGguf(model, { tensorType: "Q8_0" }), "q8.gguf");
    for (const info of file.tensors.values()) {
      const want = info.dims.length === 1 ? GgmlType.F32 : info.dims[0] === 172 ? GgmlType.F16 : GgmlType.Q8_0;
      expect(info.type, info.name).toBe(want);
    }
    const back = llamaFromGguf(file);
    const a = namedWeights(model);
    let worstRatio = 0;
    namedWeights(back).forEach(([name, t], i) => {
      const orig = a[i]![1];
      const isQ8 = !name.endsWith("Norm") && !name.endsWith(".w2");
      for (let b = 0; b < t.length / 32; b++) {
        const block = orig.subarray(32 * b, 32 * b + 32);
        const amax = Math.max(...block.map(Math.abs));
        for (let j = 0; j < 32; j++) {
          const x = block[j]!;
          const err = Math.abs(t[32 * b + j]! - x);
          const bound = isQ8 ? q8Bound(amax) : name.endsWith("Norm") ? 0 : f16Bound(x);
          if (err > bound) throw new Error(`${name}[${32 * b + j}]: error ${err} over bound ${bound}`);
          if (isQ8 && amax > 0) worstRatio = Math.max(worstRatio, err / q8Bound(amax));
        }
      }
    });
    // The bound is nearly reached (rounding to a 255-level grid really happens), so it is not vacuous.
    expect(worstRatio).toBeGreaterThan(0.8);
  });

  test("Q8_0 block layout is ggml's: f16 scale max|x|/127, then 32 int8 with max |q| = 127", () => {
    const file = parseGguf(llamaToGguf(model, { tensorType: "Q8_0" }), "q8.gguf");
    const info = file.tensors.get("token_embd.weight")!;
    const data = file.source.read(file.dataOffset + info.offset, info.byteSize);
    const view = new DataView(data.buffer, data.byteOffset, info.byteSize);
    expect(info.byteSize).toBe((info.elementCount / 32) * 34);
    const x = model.weights.tokenEmbedding;
    for (let b = 0; b < info.elementCount / 32; b++) {
      const amax = Math.max(...x.subarray(32 * b, 32 * b + 32).map(Math.abs));
      expect(view.getUint16(34 * b, true)).toBe(floatToHalf(Math.fround(amax / 127)));
      const qs = Array.from({ length: 32 }, (_, j) => view.getInt8(34 * b + 2 + j));
      expect(Math.max(...qs.map(Math.abs))).toBe(127);
    }
  });
});
