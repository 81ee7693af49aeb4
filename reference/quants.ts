/**
 * ggml's tensor encodings and one readable dequantize per type (after llama2.c's runq.c and
 * ggml's block structs): the layout of each block is written out above its function. These are
 * the oracle for every kernel that works on packed blocks (kernels/wasm/assembly/quants.ts must
 * give the same float32 values, bit for bit; test/model/quants.test.ts).
 *
 * Arithmetic is float32 step by step (Math.fround where C's float rounds), so a value here is
 * the value ggml's `dequantize_row_*` computes. Blocks are little-endian. K-quants ("_K") are
 * super-blocks of QK_K = 256 weights; the others hold 32 (or 1 for the float types).
 *
 * This module imports nothing: the model readers, the reference and every backend may use it.
 */

/** ggml type ids (ggml.h `enum ggml_type`) of the encodings a weight matrix may have here. */
export const TENSOR_TYPES = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  IQ4_NL: 20,
  BF16: 30,
} as const;
export type TensorType = keyof typeof TENSOR_TYPES;
export const TENSOR_TYPE_NAMES = Object.keys(TENSOR_TYPES) as TensorType[];

const QK_K = 256;

/** Weights per block and bytes per block of each type. */
export const BLOCK_LAYOUT: Readonly<Record<TensorType, { readonly elements: number; readonly bytes: number }>> = {
  F32: { elements: 1, bytes: 4 },
  F16: { elements: 1, bytes: 2 },
  BF16: { elements: 1, bytes: 2 },
  Q4_0: { elements: 32, bytes: 2 + 16 },
  Q4_1: { elements: 32, bytes: 2 + 2 + 16 },
  Q5_0: { elements: 32, bytes: 2 + 4 + 16 },
  Q5_1: { elements: 32, bytes: 2 + 2 + 4 + 16 },
  Q8_0: { elements: 32, bytes: 2 + 32 },
  IQ4_NL: { elements: 32, bytes: 2 + 16 },
  Q2_K: { elements: QK_K, bytes: 16 + 64 + 2 + 2 },
  Q3_K: { elements: QK_K, bytes: 32 + 64 + 12 + 2 },
  Q4_K: { elements: QK_K, bytes: 2 + 2 + 12 + 128 },
  Q5_K: { elements: QK_K, bytes: 2 + 2 + 12 + 32 + 128 },
  Q6_K: { elements: QK_K, bytes: 128 + 64 + 16 + 2 },
};

/** The type of a ggml id, or undefined for an id not listed in TENSOR_TYPES. */
export function tensorTypeOf(id: number): TensorType | undefined {
  return TENSOR_TYPE_NAMES.find((t) => TENSOR_TYPES[t] === id);
}

/** Bytes of `count` weights of `type` (count a whole number of blocks). */
export function encodedBytes(type: TensorType, count: number): number {
  const b = BLOCK_LAYOUT[type];
  return (count / b.elements) * b.bytes;
}

/** IEEE 754 half → float (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 → float: the upper half of a float32's bits. */
export function bf16ToFloat(h: number): number {
  bfScratch[0] = h << 16;
  return bfFloat[0]!;
}
const bfScratch = new Uint32Array(1);
const bfFloat = new Float32Array(bfScratch.buffer);

const f = Math.fround;

/** IQ4_NL's 16 non-uniform levels (ggml `kvalues_iq4nl`). */
export const IQ4_NL_LEVELS = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] as const;

/** Dequantizes `count` weights of `type` from `bytes` (a whole number of blocks). */
export function dequantize(type: TensorType, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { elements, bytes: size } = BLOCK_LAYOUT[type];
  const blocks = count / elements;
  for (let b = 0; b < blocks; b++) DEQUANTIZE[type](view, b * size, out, b * elements);
  return out;
}

type BlockDequantize = (v: DataView, at: number, y: Float32Array, o: number) => void;

/** One function per type: block at byte `at` of `v` → y[o .. o + elements). */
const DEQUANTIZE: Readonly<Record<TensorType, BlockDequantize>> = {
  F32: (v, at, y, o) => {
    y[o] = v.getFloat32(at, true);
  },
  F16: (v, at, y, o) => {
    y[o] = halfToFloat(v.getUint16(at, true));
  },
  BF16: (v, at, y, o) => {
    y[o] = bf16ToFloat(v.getUint16(at, true));
  },

  // block_q8_0 { half d; int8 qs[32]; }  y = d · q
  Q8_0: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    for (let j = 0; j < 32; j++) y[o + j] = f(d * v.getInt8(at + 2 + j));
  },

  // block_q4_0 { half d; uint8 qs[16]; }  byte j holds weight j (low nibble) and j + 16 (high);
  // y = d · (q − 8)
  Q4_0: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 2 + j);
      y[o + j] = f(d * ((q & 0xf) - 8));
      y[o + j + 16] = f(d * ((q >> 4) - 8));
    }
  },

  // block_q4_1 { half d; half m; uint8 qs[16]; }  nibbles as Q4_0; y = d · q + m
  Q4_1: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    const m = halfToFloat(v.getUint16(at + 2, true));
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 4 + j);
      y[o + j] = f(f(d * (q & 0xf)) + m);
      y[o + j + 16] = f(f(d * (q >> 4)) + m);
    }
  },

  // block_q5_0 { half d; uint8 qh[4]; uint8 qs[16]; }  the fifth bit of weight j is bit j of the
  // 32-bit qh; the low four as Q4_0; y = d · (q − 16)
  Q5_0: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    const qh = v.getUint32(at + 2, true);
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 6 + j);
      const lo = (q & 0xf) | (((qh >>> j) & 1) << 4);
      const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      y[o + j] = f(d * (lo - 16));
      y[o + j + 16] = f(d * (hi - 16));
    }
  },

  // block_q5_1 { half d; half m; uint8 qh[4]; uint8 qs[16]; }  bits as Q5_0; y = d · q + m
  Q5_1: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    const m = halfToFloat(v.getUint16(at + 2, true));
    const qh = v.getUint32(at + 4, true);
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 8 + j);
      const lo = (q & 0xf) | (((qh >>> j) & 1) << 4);
      const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      y[o + j] = f(f(d * lo) + m);
      y[o + j + 16] = f(f(d * hi) + m);
    }
  },

  // block_iq4_nl { half d; uint8 qs[16]; }  nibbles as Q4_0, each an index into IQ4_NL_LEVELS;
  // y = d · level
  IQ4_NL: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    for (let j = 0; j < 16; j++) {
      const q = v.getUint8(at + 2 + j);
      y[o + j] = f(d * IQ4_NL_LEVELS[q & 0xf]!);
      y[o + j + 16] = f(d * IQ4_NL_LEVELS[q >> 4]!);
    }
  },

  // block_q2_K { uint8 scales[16]; uint8 qs[64]; half d; half dmin; }  16 groups of 16 weights;
  // scales[g] = scale (low nibble) | min (high nibble). Each half of 128 weights reads 32 bytes of
  // qs four times, two bits at a time (shift 0, 2, 4, 6), 16 bytes per group.
  // y = d · scale · q − dmin · min
  Q2_K: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at + 80, true));
    const dmin = halfToFloat(v.getUint16(at + 82, true));
    let g = 0;
    for (let half = 0; half < 2; half++) {
      const qs = at + 16 + 32 * half;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = v.getUint8(at + g++);
          const dl = f(d * (sc & 0xf));
          const ml = f(dmin * (sc >> 4));
          for (let l = 0; l < 16; l++) y[o++] = f(f(dl * ((v.getUint8(qs + 16 * part + l) >> shift) & 3)) - ml);
        }
      }
    }
  },

  // block_q3_K { uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d; }  16 groups of 16;
  // the 16 scales are 6-bit, stored as 16 low nibbles in bytes 0..7 then their 2 high bits in bytes
  // 8..11 (see q3kScale), biased by 32. The low 2 bits of a weight come from qs as in Q2_K; its
  // third bit from hmask (bit `bit` of byte l of the 32, one bit per pass of 32 weights), and a
  // clear bit subtracts 4. y = d · (scale − 32) · (q − (hbit ? 0 : 4))
  Q3_K: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at + 108, true));
    let g = 0;
    let bit = 0;
    for (let half = 0; half < 2; half++) {
      const qs = at + 32 + 32 * half;
      for (let shift = 0; shift < 8; shift += 2, bit++) {
        for (let part = 0; part < 2; part++) {
          const dl = f(d * (q3kScale(v, at + 96, g++) - 32));
          for (let l = 0; l < 16; l++) {
            const i = 16 * part + l;
            const low = (v.getUint8(qs + i) >> shift) & 3;
            const high = (v.getUint8(at + i) >> bit) & 1;
            y[o++] = f(dl * (low - (high ? 0 : 4)));
          }
        }
      }
    }
  },

  // block_q4_K { half d; half dmin; uint8 scales[12]; uint8 qs[128]; }  8 groups of 32 with a
  // 6-bit scale and a 6-bit min each (kScaleMin); each 32 bytes of qs hold two groups, low
  // nibbles first. y = d · scale · q − dmin · min
  Q4_K: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    const dmin = halfToFloat(v.getUint16(at + 2, true));
    for (let pair = 0; pair < 4; pair++) {
      const qs = at + 16 + 32 * pair;
      for (let nibble = 0; nibble < 2; nibble++) {
        const [sc, mn] = kScaleMin(v, at + 4, 2 * pair + nibble);
        const dl = f(d * sc);
        const ml = f(dmin * mn);
        for (let l = 0; l < 32; l++) y[o++] = f(f(dl * ((v.getUint8(qs + l) >> (4 * nibble)) & 0xf)) - ml);
      }
    }
  },

  // block_q5_K { half d; half dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; }  as Q4_K,
  // plus a fifth bit: weight l of group g has it in bit g of qh[l]. y = d · scale · q − dmin · min
  Q5_K: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at, true));
    const dmin = halfToFloat(v.getUint16(at + 2, true));
    for (let pair = 0; pair < 4; pair++) {
      const qs = at + 48 + 32 * pair;
      for (let nibble = 0; nibble < 2; nibble++) {
        const g = 2 * pair + nibble;
        const [sc, mn] = kScaleMin(v, at + 4, g);
        const dl = f(d * sc);
        const ml = f(dmin * mn);
        for (let l = 0; l < 32; l++) {
          const q = ((v.getUint8(qs + l) >> (4 * nibble)) & 0xf) | (((v.getUint8(at + 16 + l) >> g) & 1) << 4);
          y[o++] = f(f(dl * q) - ml);
        }
      }
    }
  },

  // block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; }  16 groups of 16 with an
  // int8 scale. Each half of 128 weights reads 64 bytes of ql and 32 of qh: weight l + 32k (k < 4)
  // has its low 4 bits in ql[l + 32·(k & 1)] (low nibble for k < 2, high for k ≥ 2) and its high 2
  // bits at bit 2k of qh[l]. y = d · scale · (q − 32)
  Q6_K: (v, at, y, o) => {
    const d = halfToFloat(v.getUint16(at + 208, true));
    for (let half = 0; half < 2; half++) {
      const ql = at + 64 * half;
      const qh = at + 128 + 32 * half;
      const sc = at + 192 + 8 * half;
      for (let l = 0; l < 32; l++) {
        const h = v.getUint8(qh + l);
        const a = v.getUint8(ql + l);
        const b = v.getUint8(ql + l + 32);
        const q = [
          (a & 0xf) | ((h & 3) << 4),
          (b & 0xf) | (((h >> 2) & 3) << 4),
          (a >> 4) | (((h >> 4) & 3) << 4),
          (b >> 4) | (((h >> 6) & 3) << 4),
        ];
        const g = l >> 4; // 16 weights per scale
        for (let k = 0; k < 4; k++) y[o + 32 * k + l] = f(f(d * v.getInt8(sc + g + 2 * k)) * (q[k]! - 32));
      }
      o += 128;
    }
  },
};

/**
 * Q3_K's scale g (0..15), 6 bits: the low 4 are nibble g of bytes 0..7 (g < 8: low nibble of byte
 * g; else high nibble of byte g − 8); the high 2 are bits 2·(g >> 2)..+1 of byte 8 + (g & 3).
 */
export function q3kScale(v: DataView, at: number, g: number): number {
  const low = g < 8 ? v.getUint8(at + g) & 0xf : v.getUint8(at + g - 8) >> 4;
  const high = (v.getUint8(at + 8 + (g & 3)) >> (2 * (g >> 2))) & 3;
  return low | (high << 4);
}

/**
 * Q4_K/Q5_K's scale and min of group g (0..7), 6 bits each, in 12 bytes: groups 0..3 take the low
 * 6 bits of bytes g (scale) and g + 4 (min); groups 4..7 take a nibble of byte g + 4 (low: scale,
 * high: min) and, as their high 2 bits, the top 2 bits of bytes g − 4 (scale) and g (min).
 * (ggml `get_scale_min_k4`.)
 */
export function kScaleMin(v: DataView, at: number, g: number): [number, number] {
  if (g < 4) return [v.getUint8(at + g) & 63, v.getUint8(at + g + 4) & 63];
  const b = v.getUint8(at + g + 4);
  return [(b & 0xf) | ((v.getUint8(at + g - 4) >> 6) << 4), (b >> 4) | ((v.getUint8(at + g) >> 6) << 4)];
}

/** Byte offsets, within a block, of the f16 scales that multiply its weights (checked finite when a file is read). */
export const SCALE_OFFSETS: Readonly<Record<TensorType, readonly number[]>> = {
  F32: [],
  F16: [],
  BF16: [],
  Q8_0: [0],
  Q4_0: [0],
  Q4_1: [0, 2],
  Q5_0: [0],
  Q5_1: [0, 2],
  IQ4_NL: [0],
  Q2_K: [80, 82],
  Q3_K: [108],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
};

/**
 * The minimum m of every block of a Q4_1 or Q5_1 matrix (w = d·q + m; both blocks start with
 * half d, half m), `[count / 32]`: ggml multiplies it by the input block's sum (activations.ts).
 */
export function blockMins(type: "Q4_1" | "Q5_1", bytes: Uint8Array, count: number): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = BLOCK_LAYOUT[type].bytes;
  return Float32Array.from({ length: count / 32 }, (_, b) => halfToFloat(v.getUint16(b * size + 2, true)));
}

/**
 * The first block of `count` weights whose scale is NaN or infinite (for a float type: the first
 * non-finite weight), as { index of its first weight, value }, or undefined.
 */
export function firstNonFiniteScale(type: TensorType, bytes: Uint8Array, count: number): { index: number; value: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { elements, bytes: size } = BLOCK_LAYOUT[type];
  if (type === "F32" || type === "F16" || type === "BF16") {
    for (let i = 0; i < count; i++) {
      const x =
        type === "F32"
          ? view.getFloat32(4 * i, true)
          : type === "F16"
            ? halfToFloat(view.getUint16(2 * i, true))
            : bf16ToFloat(view.getUint16(2 * i, true));
      if (x - x !== 0) return { index: i, value: x };
    }
    return undefined;
  }
  const offsets = SCALE_OFFSETS[type];
  for (let b = 0; b < count / elements; b++) {
    for (const s of offsets) {
      const h = view.getUint16(b * size + s, true);
      if ((h & 0x7c00) === 0x7c00) return { index: b * elements, value: halfToFloat(h) };
    }
  }
  return undefined;
}
