/**
 * Float32 → each packed type of reference/quants.ts, for writing files (synth, conversions).
 *
 * These are plain round-to-nearest quantizers, not llama.cpp's (whose K-quant search minimizes a
 * weighted error): any valid encoding serves a file whose weights are random anyway, and every
 * reader dequantizes what is stored, not what was meant. Q8_0 and F16 are in gguf-writer.ts
 * (ggml's `quantize_row_q8_0_ref` bit for bit). What holds here: dequantize(quantize(x)) is close
 * to x (test/model/quants.test.ts bounds the error per type) and every scale is a finite half.
 * Q8_0 is ggml's `quantize_row_q8_0_ref` bit for bit: per block of 32, d = max|x| / 127 (float32),
 * q = roundf(x · (1/d)) (half away from zero), d stored as f16.
 */
import { BLOCK_LAYOUT, IQ4_NL_LEVELS, type TensorType } from "../../reference/quants.ts";
import { floatToHalf, halfToFloat } from "./gguf.ts";

const f = Math.fround;

/** x rounded to a half and back (what a stored f16 scale reads as). */
function asHalf(x: number): [bits: number, value: number] {
  const h = floatToHalf(x);
  return [h, halfToFloat(h)];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Round half away from zero (C roundf). */
const round = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/**
 * Encodes `x` (a whole number of blocks of `type`) into a new byte array. A block whose scale
 * cannot be a finite half is an Error naming `what` (e.g. the tensor) and the block.
 */
export function quantize(type: TensorType, x: Float32Array, what = "values"): Uint8Array {
  const { elements, bytes } = BLOCK_LAYOUT[type];
  if (x.length % elements !== 0) throw new RangeError(`${type} needs a multiple of ${elements} values, got ${x.length}`);
  const out = new Uint8Array((x.length / elements) * bytes);
  const v = new DataView(out.buffer);
  for (let b = 0; b < x.length / elements; b++) {
    const block = x.subarray(b * elements, (b + 1) * elements);
    ENCODE[type](block, v, b * bytes);
    if (type === "Q8_0" && !Number.isFinite(halfToFloat(v.getUint16(b * bytes, true)))) {
      let amax = 0;
      for (const a of block) amax = Math.max(amax, Math.abs(a));
      throw new Error(`${what}: block ${b} has max |x| = ${amax}, which Q8_0 cannot store (its f16 scale would overflow or be NaN)`);
    }
  }
  return out;
}

type Encode = (x: Float32Array, v: DataView, at: number) => void;

const bf16Float = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Float.buffer);

/** Symmetric blocks of 32 (Q4_0, Q5_0, IQ4_NL): scale from the value of largest magnitude, as ggml's _ref quantizers. */
function symmetric32(bits: 4 | 5, levels?: readonly number[]): Encode {
  return (x, v, at) => {
    let max = 0;
    for (const a of x) if (Math.abs(a) > Math.abs(max)) max = a;
    const top = levels ? levels[0]! : -(1 << (bits - 1)); // the most negative level takes the extreme value
    const [h, d] = asHalf(f(max / top));
    v.setUint16(at, h, true);
    const level = (a: number) => {
      if (levels) {
        if (d === 0) return 8;
        let best = 0;
        for (let i = 1; i < 16; i++) if (Math.abs(a - d * levels[i]!) < Math.abs(a - d * levels[best]!)) best = i;
        return best;
      }
      const off = 1 << (bits - 1);
      return clamp(d === 0 ? off : round(a / d) + off, 0, (1 << bits) - 1);
    };
    packLevels(x, level, v, at + 2, bits === 5);
  };
}

/**
 * The 32 levels of a legacy block: byte j of qs holds weight j (low nibble) and j + 16 (high);
 * with `fifth`, a 32-bit qh at `at` holds their fifth bits (bit j, bit j + 16) and qs follows it.
 */
function packLevels(x: Float32Array, level: (a: number) => number, v: DataView, at: number, fifth: boolean): void {
  const qs = at + (fifth ? 4 : 0);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const lo = level(x[j]!);
    const hi = level(x[j + 16]!);
    v.setUint8(qs + j, (lo & 0xf) | ((hi & 0xf) << 4));
    qh |= ((lo >> 4) & 1) << j;
    qh |= ((hi >> 4) & 1) << (j + 16);
  }
  if (fifth) v.setUint32(at, qh >>> 0, true);
}

/** Blocks of 32 with a scale and a minimum (Q4_1, Q5_1): y = d·q + m. */
function affine32(bits: 4 | 5): Encode {
  return (x, v, at) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const a of x) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
    const [hd, d] = asHalf(f((hi - lo) / ((1 << bits) - 1)));
    const [hm, m] = asHalf(lo);
    v.setUint16(at, hd, true);
    v.setUint16(at + 2, hm, true);
    const level = (a: number) => clamp(d === 0 ? 0 : round((a - m) / d), 0, (1 << bits) - 1);
    packLevels(x, level, v, at + 4, bits === 5);
  };
}

/**
 * The groups of a K-quant super-block with a scale and a min each: group g covers x[g·size ..),
 * y = d·sc·q − dmin·mn with sc, mn ∈ [0, scaleMax] and q ∈ [0, qMax]. Returns the stored integers.
 */
function affineGroups(x: Float32Array, size: number, qMax: number, scaleMax: number) {
  const groups = x.length / size;
  const scales: number[] = [];
  const mins: number[] = [];
  for (let g = 0; g < groups; g++) {
    let lo = 0; // the min is kept ≤ 0 so that mn ≥ 0, as in ggml
    let hi = -Infinity;
    for (let l = 0; l < size; l++) {
      lo = Math.min(lo, x[g * size + l]!);
      hi = Math.max(hi, x[g * size + l]!);
    }
    scales.push((hi - lo) / qMax);
    mins.push(-lo);
  }
  const [hd, d] = asHalf(Math.max(...scales) / scaleMax);
  const [hm, dmin] = asHalf(Math.max(...mins) / scaleMax);
  const sc = scales.map((s) => (d === 0 ? 0 : clamp(Math.round(s / d), 0, scaleMax)));
  const mn = mins.map((m) => (dmin === 0 ? 0 : clamp(Math.round(m / dmin), 0, scaleMax)));
  const q = Array.from(x, (a, i) => {
    const g = Math.floor(i / size);
    const step = f(d * sc[g]!);
    return step === 0 ? 0 : clamp(Math.round((a + f(dmin * mn[g]!)) / step), 0, qMax);
  });
  return { hd, hm, sc, mn, q };
}

/** Q4_K/Q5_K's 12 bytes of eight 6-bit scales and mins (the inverse of reference/quants.ts kScaleMin). */
function packScaleMin(v: DataView, at: number, sc: readonly number[], mn: readonly number[]): void {
  for (let g = 0; g < 4; g++) {
    v.setUint8(at + g, (sc[g]! & 63) | ((sc[g + 4]! >> 4) << 6));
    v.setUint8(at + g + 4, (mn[g]! & 63) | ((mn[g + 4]! >> 4) << 6));
    v.setUint8(at + g + 8, (sc[g + 4]! & 0xf) | ((mn[g + 4]! & 0xf) << 4));
  }
}

const ENCODE: Readonly<Record<TensorType, Encode>> = {
  F32: (x, v, at) => v.setFloat32(at, x[0]!, true),
  F16: (x, v, at) => v.setUint16(at, floatToHalf(x[0]!), true),
  BF16: (x, v, at) => {
    // Round to nearest even on the dropped 16 bits.
    bf16Float[0] = x[0]!;
    const bits = bf16Bits[0]!;
    v.setUint16(at, (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16, true);
  },
  Q8_0: (x, v, at) => {
    // ggml quantize_row_q8_0_ref: the quants use the float32 d (not its half) and its float32 inverse.
    let amax = 0;
    for (const a of x) amax = Math.max(amax, Math.abs(a));
    const d = f(amax / 127);
    v.setUint16(at, floatToHalf(d), true);
    const id = d === 0 ? 0 : f(1 / d);
    for (let j = 0; j < 32; j++) v.setInt8(at + 2 + j, round(f(x[j]! * id)));
  },
  Q4_0: symmetric32(4),
  Q5_0: symmetric32(5),
  IQ4_NL: symmetric32(4, IQ4_NL_LEVELS),
  Q4_1: affine32(4),
  Q5_1: affine32(5),

  Q2_K: (x, v, at) => {
    const { hd, hm, sc, mn, q } = affineGroups(x, 16, 3, 15);
    for (let g = 0; g < 16; g++) v.setUint8(at + g, sc[g]! | (mn[g]! << 4));
    // Weight i: half h = i >> 7, shift pass s = (i >> 5) & 3, byte 32h + (i & 31) (reference/quants.ts Q2_K).
    for (let i = 0; i < 256; i++) {
      const byte = at + 16 + 32 * (i >> 7) + (i & 31);
      v.setUint8(byte, v.getUint8(byte) | (q[i]! << (2 * ((i >> 5) & 3))));
    }
    v.setUint16(at + 80, hd, true);
    v.setUint16(at + 82, hm, true);
  },

  Q3_K: (x, v, at) => {
    // Symmetric groups of 16: y = d·(sc − 32)·q with q ∈ [−4, 3] and sc − 32 ∈ [−32, 31].
    const groupMax = Array.from({ length: 16 }, (_, g) => {
      let m = 0;
      for (let l = 0; l < 16; l++) if (Math.abs(x[16 * g + l]!) > Math.abs(m)) m = x[16 * g + l]!;
      return m / -4;
    });
    let big = 0;
    for (const s of groupMax) if (Math.abs(s) > Math.abs(big)) big = s;
    const [hd, d] = asHalf(big / -32);
    const sc = groupMax.map((s) => (d === 0 ? 0 : clamp(Math.round(s / d), -32, 31)));
    for (let g = 0; g < 16; g++) {
      const s = sc[g]! + 32;
      const low = g < 8 ? at + 96 + g : at + 96 + g - 8;
      v.setUint8(low, v.getUint8(low) | ((s & 0xf) << (g < 8 ? 0 : 4)));
      const high = at + 96 + 8 + (g & 3);
      v.setUint8(high, v.getUint8(high) | ((s >> 4) << (2 * (g >> 2))));
    }
    for (let i = 0; i < 256; i++) {
      const step = f(d * sc[i >> 4]!);
      const q = step === 0 ? 0 : clamp(Math.round(x[i]! / step), -4, 3) + 4; // 0..7
      const byte = at + 32 + 32 * (i >> 7) + (i & 31);
      v.setUint8(byte, v.getUint8(byte) | ((q & 3) << (2 * ((i >> 5) & 3))));
      if (q & 4) v.setUint8(at + (i & 31), v.getUint8(at + (i & 31)) | (1 << (i >> 5))); // set bit: no −4
    }
    v.setUint16(at + 108, hd, true);
  },

  Q4_K: (x, v, at) => {
    const { hd, hm, sc, mn, q } = affineGroups(x, 32, 15, 63);
    v.setUint16(at, hd, true);
    v.setUint16(at + 2, hm, true);
    packScaleMin(v, at + 4, sc, mn);
    for (let i = 0; i < 256; i++) {
      const g = i >> 5;
      const byte = at + 16 + 32 * (g >> 1) + (i & 31);
      v.setUint8(byte, v.getUint8(byte) | (q[i]! << (4 * (g & 1))));
    }
  },

  Q5_K: (x, v, at) => {
    const { hd, hm, sc, mn, q } = affineGroups(x, 32, 31, 63);
    v.setUint16(at, hd, true);
    v.setUint16(at + 2, hm, true);
    packScaleMin(v, at + 4, sc, mn);
    for (let i = 0; i < 256; i++) {
      const g = i >> 5;
      const byte = at + 48 + 32 * (g >> 1) + (i & 31);
      v.setUint8(byte, v.getUint8(byte) | ((q[i]! & 0xf) << (4 * (g & 1))));
      if (q[i]! & 16) v.setUint8(at + 16 + (i & 31), v.getUint8(at + 16 + (i & 31)) | (1 << g));
    }
  },

  Q6_K: (x, v, at) => {
    // Symmetric groups of 16 with int8 scales: y = d·sc·q, q ∈ [−32, 31].
    const groupMax = Array.from({ length: 16 }, (_, g) => {
      let m = 0;
      for (let l = 0; l < 16; l++) m = Math.max(m, Math.abs(x[16 * g + l]!));
      return m / 31;
    });
    const [hd, d] = asHalf(Math.max(...groupMax) / 127);
    const sc = groupMax.map((s) => (d === 0 ? 0 : clamp(Math.round(s / d), -128, 127)));
    for (let g = 0; g < 16; g++) v.setInt8(at + 192 + g, sc[g]!);
    for (let i = 0; i < 256; i++) {
      const step = f(d * sc[i >> 4]!);
      const q = (step === 0 ? 0 : clamp(Math.round(x[i]! / step), -32, 31)) + 32; // 0..63
      // Weight i = 128h + 32k + l: low nibble in ql[64h + l + 32(k & 1)] (high nibble for k ≥ 2),
      // high 2 bits at bit 2k of qh[32h + l] (reference/quants.ts Q6_K).
      const h = i >> 7;
      const k = (i >> 5) & 3;
      const l = i & 31;
      const ql = at + 64 * h + l + 32 * (k & 1);
      v.setUint8(ql, v.getUint8(ql) | ((q & 0xf) << (k >= 2 ? 4 : 0)));
      const qh = at + 128 + 32 * h + l;
      v.setUint8(qh, v.getUint8(qh) | ((q >> 4) << (2 * k)));
    }
    v.setUint16(at + 208, hd, true);
  },
};
