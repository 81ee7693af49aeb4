/**
 * reference/activations.ts: the input rounding llama.cpp applies before a product, checked against
 * independent re-computations (the GGUF writer's half encoder, plain integer arithmetic), and the
 * wasm kernels that must equal it bit for bit (kernels/wasm/assembly/inputs.ts, quantizeInputQ8).
 */
import { describe, expect, it } from "vitest";
import { INPUT_FORMAT, type InputFormat, q8_1SumErrors, roundInput, roundToBf16, roundToHalf } from "../../reference/activations.ts";
import { TENSOR_TYPE_NAMES } from "../../reference/quants.ts";
import { FORMAT_CODES } from "../../kernels/wasm/share.mjs";
import { WasmHeap } from "../../kernels/wasm/runtime.ts";
import { floatToHalf, halfToFloat } from "../../src/model/gguf.ts";
import { mulberry32 } from "../../src/random.ts";

/** float32 values spread over many magnitudes and signs, with a few exact ties and zeros. */
function values(n: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, (_, i) => {
    if (i % 97 === 0) return 0;
    const magnitude = 2 ** (Math.floor(random() * 40) - 28);
    return (random() - 0.5) * 2 * magnitude;
  });
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("roundToHalf and roundToBf16", () => {
  it("roundToHalf equals the GGUF writer's half encoder (an independent bit-level one) on 20,000 values", () => {
    const x = values(20_000, 1);
    for (const v of x) expect(roundToHalf(v), `${v}`).toBe(halfToFloat(floatToHalf(v)));
  });

  it("ties go to the even half; past 65504 by half a step is infinity; subnormals and −0 keep their place", () => {
    expect(roundToHalf(1 + 2 ** -11)).toBe(1); // halfway between 1 and 1 + 2^-10
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToHalf(65519)).toBe(65504);
    expect(roundToHalf(65520)).toBe(Infinity);
    expect(roundToHalf(-65520)).toBe(-Infinity);
    expect(roundToHalf(2 ** -25)).toBe(0);
    expect(roundToHalf(3 * 2 ** -25)).toBe(2 ** -23);
    expect(Object.is(roundToHalf(-0), -0)).toBe(true);
  });

  it("roundToBf16 keeps the upper 16 bits, rounding ties to even", () => {
    expect(roundToBf16(1 + 2 ** -8)).toBe(1);
    expect(roundToBf16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundToBf16(-1 - 2 ** -7 - 2 ** -9)).toBe(-1 - 2 ** -7);
    expect(Number.isNaN(roundToBf16(NaN))).toBe(true);
    const x = values(2000, 2);
    for (const v of x) {
      const r = new Float32Array([roundToBf16(v)]);
      expect(new Uint32Array(r.buffer)[0]! & 0xffff).toBe(0);
      expect(Math.abs(r[0]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
    }
  });
});

describe("roundInput", () => {
  it("pairs every weight type with ggml's input format (vec_dot_type)", () => {
    expect(Object.keys(INPUT_FORMAT).sort()).toEqual([...TENSOR_TYPE_NAMES].sort());
    expect([INPUT_FORMAT.Q4_0, INPUT_FORMAT.Q8_0, INPUT_FORMAT.Q4_1, INPUT_FORMAT.Q4_K, INPUT_FORMAT.F16]).toEqual([
      "Q8_0",
      "Q8_0",
      "Q8_1",
      "Q8_K",
      "F16",
    ]);
  });

  it("F32 returns x itself", () => {
    const x = values(64, 3);
    expect(roundInput("F32", x, new Float32Array(64))).toBe(x);
  });

  it("Q8_0: per block of 32, half(amax/127) times integers in [−127, 127], the largest at ±127, within half a step", () => {
    const x = values(32 * 40, 4);
    const out = roundInput("Q8_0", x, new Float32Array(x.length));
    for (let b = 0; b < x.length; b += 32) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
      const d = halfToFloat(floatToHalf(Math.fround(amax / 127)));
      for (let j = 0; j < 32; j++) {
        const q = d === 0 ? 0 : out[b + j]! / d;
        expect(Math.abs(q - Math.round(q)), `block ${b / 32}`).toBeLessThan(1e-3); // a multiple of d (up to float32 rounding)
        expect(Math.abs(Math.round(q))).toBeLessThanOrEqual(127);
        if (Math.abs(x[b + j]!) === amax && amax > 0) expect(Math.abs(Math.round(q))).toBe(127);
        expect(Math.abs(out[b + j]! - x[b + j]!)).toBeLessThanOrEqual(0.5 * (amax / 127) + 127 * Math.abs(d - amax / 127) + 1e-7 * amax);
      }
    }
  });

  it("Q8_K: per block of 256, the first largest value comes back as itself (−127 · 1/iscale), the rest within half a step", () => {
    const x = values(256 * 6, 5);
    x[300] = -4; // a negative maximum in block 1
    const out = roundInput("Q8_K", x, new Float32Array(x.length));
    for (let b = 0; b < x.length; b += 256) {
      let at = b;
      for (let j = b; j < b + 256; j++) if (Math.abs(x[j]!) > Math.abs(x[at]!)) at = j;
      const iscale = Math.fround(-127 / x[at]!);
      const d = Math.fround(1 / iscale);
      expect(out[at]).toBe(Math.fround(d * -127));
      for (let j = b; j < b + 256; j++) expect(Math.abs(out[j]! - x[j]!)).toBeLessThanOrEqual(Math.abs(d) * 0.5000001);
    }
    expect(roundInput("Q8_K", new Float32Array(256), new Float32Array(256).fill(7))).toEqual(new Float32Array(256));
  });

  it("q8_1SumErrors: half(amax/127 · Σq) − Σ x̃ per block, recomputed from the quants", () => {
    const x = values(32 * 8, 6);
    const rounded = roundInput("Q8_1", x, new Float32Array(x.length));
    const errors = q8_1SumErrors(x, new Float32Array(8));
    for (let b = 0; b < 8; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const amax = Math.max(...block.map(Math.abs));
      const dh = halfToFloat(floatToHalf(Math.fround(amax / 127)));
      let sumQ = 0;
      let sumRounded = 0;
      for (let j = 0; j < 32; j++) {
        sumQ += dh === 0 ? 0 : Math.round(rounded[b * 32 + j]! / dh);
        sumRounded += rounded[b * 32 + j]!;
      }
      const s = halfToFloat(floatToHalf(Math.fround(Math.fround(amax / 127) * sumQ)));
      expect(errors[b]).toBe(Math.fround(s - sumRounded));
    }
  });
});

describe("the wasm kernels equal roundInput bit for bit", () => {
  const heap = new WasmHeap();
  const k = heap.kernels;
  const put = (a: Float32Array) => {
    const at = heap.alloc(a.byteLength);
    heap.f32.set(a, at >> 2);
    return at;
  };
  const get = (at: number, n: number) => heap.f32.slice(at >> 2, (at >> 2) + n);
  const rows = 3;
  const n = 512;
  const x = values(rows * n, 7);
  x[n + 5] = -9; // a negative maximum

  it.each(["F16", "BF16", "Q8_0", "Q8_K"] as const)("roundInput %s", (format: InputFormat) => {
    const out = heap.alloc(rows * n * 4);
    k.roundInput(FORMAT_CODES[format as keyof typeof FORMAT_CODES], put(x), n, rows, out);
    expect(bits(get(out, rows * n))).toEqual(bits(roundInput(format, x, new Float32Array(rows * n))));
  });

  it("quantizeInputQ8: q · scale is roundInput Q8_0's value (±0 alike), |q| ≤ 127", () => {
    const xq = heap.alloc(rows * n * 2);
    const xd = heap.alloc((rows * n) / 8);
    k.quantizeInputQ8(put(x), n, rows, xq, xd);
    const q = new Int16Array(heap.u8.buffer, xq, rows * n);
    const d = get(xd, (rows * n) / 32);
    const want = roundInput("Q8_0", x, new Float32Array(rows * n));
    const got = Float32Array.from(q, (v, i) => Math.fround(v * d[i >> 5]!));
    expect(bits(got)).toEqual(bits(want.map((v) => v + 0))); // an integer 0 has no sign: −0 reads +0
    expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
  });

  it("q8_1SumErrors", () => {
    const out = heap.alloc((rows * n) / 8);
    k.q8_1SumErrors(put(x), n, rows, out);
    const want = new Float32Array((rows * n) / 32);
    for (let r = 0; r < rows; r++) q8_1SumErrors(x.subarray(r * n, (r + 1) * n), want.subarray((r * n) / 32, ((r + 1) * n) / 32));
    expect(bits(get(out, (rows * n) / 32))).toEqual(bits(want));
  });
});
