/**
 * Dequantizing the block types beyond F32/F16/Q8_0 (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, BF16 and the
 * K-quants Q2_K..Q6_K), and the product kernel that runs on them. Part of the kernels in index.ts.
 *
 * Matches: reference/quants.ts dequantize, bit for bit (each step the same float32 operation;
 * test/wasm/quants.test.ts compares the bytes). The block layouts are written out there.
 *
 * matmulPacked: out[t][i] = W[i]·x[t]. Each weight row is dequantized once per call into a
 * scratch row of n floats (one per share of the thread pool, never a whole matrix), then summed
 * against every input row by dotF32 — THE ORDER of matmul.ts, so the result equals the F32 product
 * over the dequantized weights bit for bit. Speed on these types is the next step (issue 20): dot
 * products on the packed blocks, without the scratch row.
 */
import { halfToF32 } from "./convert";
import { dotF32 } from "./matmul";

export const BF16: i32 = 30;
export const Q4_0: i32 = 2;
export const Q4_1: i32 = 3;
export const Q5_0: i32 = 6;
export const Q5_1: i32 = 7;
export const Q2_K: i32 = 10;
export const Q3_K: i32 = 11;
export const Q4_K: i32 = 12;
export const Q5_K: i32 = 13;
export const Q6_K: i32 = 14;
export const IQ4_NL: i32 = 20;

/** Weights per block of a packed type (1 for BF16). */
export function packedBlockElements(type: i32): i32 {
  return type == BF16 ? 1 : type >= Q2_K && type <= Q6_K ? 256 : 32;
}

/** Bytes per block of a packed type. */
export function packedBlockBytes(type: i32): i32 {
  switch (type) {
    case BF16: return 2;
    case Q4_0: return 18;
    case Q4_1: return 20;
    case Q5_0: return 22;
    case Q5_1: return 24;
    case IQ4_NL: return 18;
    case Q2_K: return 84;
    case Q3_K: return 110;
    case Q4_K: return 144;
    case Q5_K: return 176;
    default: return 210; // Q6_K
  }
}

const IQ4_NL_LEVELS: StaticArray<i8> = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

// @ts-ignore: decorator
@inline function half(p: usize): f32 {
  return halfToF32(<u32>load<u16>(p));
}

// @ts-ignore: decorator
@inline function put(y: usize, i: i32, v: f32): void {
  store<f32>(y + (<usize>i << 2), v);
}

/** Q4_K/Q5_K scale (which = 0) or min (which = 1) of group g (reference/quants.ts kScaleMin). */
// @ts-ignore: decorator
@inline function kScaleMin(s: usize, g: i32, which: i32): i32 {
  if (g < 4) return <i32>load<u8>(s + g + 4 * which) & 63;
  const b = <i32>load<u8>(s + g + 4);
  return which == 0 ? (b & 0xf) | ((<i32>load<u8>(s + g - 4) >> 6) << 4) : (b >> 4) | ((<i32>load<u8>(s + g) >> 6) << 4);
}

/** Q3_K's 6-bit scale of group g (reference/quants.ts q3kScale). */
// @ts-ignore: decorator
@inline function q3kScale(s: usize, g: i32): i32 {
  const low = g < 8 ? <i32>load<u8>(s + g) & 0xf : <i32>load<u8>(s + g - 8) >> 4;
  const high = (<i32>load<u8>(s + 8 + (g & 3)) >> (2 * (g >> 2))) & 3;
  return low | (high << 4);
}

/** One block at `b` → float32 at y (the same steps as reference/quants.ts DEQUANTIZE[type]). */
function dequantBlock(type: i32, b: usize, y: usize): void {
  if (type == BF16) {
    store<u32>(y, <u32>load<u16>(b) << 16);
  } else if (type == Q4_0 || type == IQ4_NL) {
    const d = half(b);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(b + 2 + j);
      if (type == Q4_0) {
        put(y, j, d * <f32>((q & 0xf) - 8));
        put(y, j + 16, d * <f32>((q >> 4) - 8));
      } else {
        put(y, j, d * <f32>unchecked(IQ4_NL_LEVELS[q & 0xf]));
        put(y, j + 16, d * <f32>unchecked(IQ4_NL_LEVELS[q >> 4]));
      }
    }
  } else if (type == Q4_1) {
    const d = half(b);
    const m = half(b + 2);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(b + 4 + j);
      put(y, j, d * <f32>(q & 0xf) + m);
      put(y, j + 16, d * <f32>(q >> 4) + m);
    }
  } else if (type == Q5_0 || type == Q5_1) {
    const d = half(b);
    const m: f32 = type == Q5_1 ? half(b + 2) : 0;
    const qh = load<u32>(b + (type == Q5_1 ? 4 : 2));
    const qs = b + (type == Q5_1 ? 8 : 6);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(qs + j);
      const lo = (q & 0xf) | (<i32>((qh >> j) & 1) << 4);
      const hi = (q >> 4) | (<i32>((qh >> (j + 16)) & 1) << 4);
      if (type == Q5_0) {
        put(y, j, d * <f32>(lo - 16));
        put(y, j + 16, d * <f32>(hi - 16));
      } else {
        put(y, j, d * <f32>lo + m);
        put(y, j + 16, d * <f32>hi + m);
      }
    }
  } else if (type == Q2_K) {
    const d = half(b + 80);
    const dmin = half(b + 82);
    let g = 0;
    let o = 0;
    for (let h = 0; h < 2; h++) {
      const qs = b + 16 + 32 * h;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = <i32>load<u8>(b + g++);
          const dl = d * <f32>(sc & 0xf);
          const ml = dmin * <f32>(sc >> 4);
          for (let l = 0; l < 16; l++) put(y, o++, dl * <f32>((<i32>load<u8>(qs + 16 * part + l) >> shift) & 3) - ml);
        }
      }
    }
  } else if (type == Q3_K) {
    const d = half(b + 108);
    let g = 0;
    let bit = 0;
    let o = 0;
    for (let h = 0; h < 2; h++) {
      const qs = b + 32 + 32 * h;
      for (let shift = 0; shift < 8; shift += 2, bit++) {
        for (let part = 0; part < 2; part++) {
          const dl = d * <f32>(q3kScale(b + 96, g++) - 32);
          for (let l = 0; l < 16; l++) {
            const i = 16 * part + l;
            const low = (<i32>load<u8>(qs + i) >> shift) & 3;
            const high = (<i32>load<u8>(b + i) >> bit) & 1;
            put(y, o++, dl * <f32>(low - (high ? 0 : 4)));
          }
        }
      }
    }
  } else if (type == Q4_K || type == Q5_K) {
    const d = half(b);
    const dmin = half(b + 2);
    const qs0 = b + (type == Q5_K ? 48 : 16);
    let o = 0;
    for (let pair = 0; pair < 4; pair++) {
      const qs = qs0 + 32 * pair;
      for (let nibble = 0; nibble < 2; nibble++) {
        const g = 2 * pair + nibble;
        const dl = d * <f32>kScaleMin(b + 4, g, 0);
        const ml = dmin * <f32>kScaleMin(b + 4, g, 1);
        for (let l = 0; l < 32; l++) {
          let q = (<i32>load<u8>(qs + l) >> (4 * nibble)) & 0xf;
          if (type == Q5_K) q |= ((<i32>load<u8>(b + 16 + l) >> g) & 1) << 4;
          put(y, o++, dl * <f32>q - ml);
        }
      }
    }
  } else {
    // Q6_K
    const d = half(b + 208);
    for (let h = 0; h < 2; h++) {
      const ql = b + 64 * h;
      const qh = b + 128 + 32 * h;
      const sc = b + 192 + 8 * h;
      const o = 128 * h;
      for (let l = 0; l < 32; l++) {
        const hb = <i32>load<u8>(qh + l);
        const a = <i32>load<u8>(ql + l);
        const c = <i32>load<u8>(ql + l + 32);
        const g = l >> 4;
        put(y, o + l, d * <f32>load<i8>(sc + g) * <f32>(((a & 0xf) | ((hb & 3) << 4)) - 32));
        put(y, o + l + 32, d * <f32>load<i8>(sc + g + 2) * <f32>(((c & 0xf) | (((hb >> 2) & 3) << 4)) - 32));
        put(y, o + l + 64, d * <f32>load<i8>(sc + g + 4) * <f32>(((a >> 4) | (((hb >> 4) & 3) << 4)) - 32));
        put(y, o + l + 96, d * <f32>load<i8>(sc + g + 6) * <f32>(((c >> 4) | (((hb >> 6) & 3) << 4)) - 32));
      }
    }
  }
}

/** `n` weights of a packed row at `p` → float32 at `out`. */
export function dequantPackedRow(type: i32, p: usize, n: i32, out: usize): void {
  const e = packedBlockElements(type);
  const bb = <usize>packedBlockBytes(type);
  for (let i = 0; i < n / e; i++) dequantBlock(type, p + <usize>i * bb, out + (<usize>(i * e) << 2));
}

/** Bytes of a packed row of n weights. */
export function packedRowBytes(type: i32, n: i32): usize {
  return <usize>(n / packedBlockElements(type)) * <usize>packedBlockBytes(type);
}

/**
 * out[t][i] = W[i]·x[t] for weight rows [r0, r1) and `rows` input rows, W `[d][n]` of a packed type;
 * `scratch`: n floats of this share's own.
 */
export function matmulPacked(type: i32, out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32, scratch: usize): void {
  const rb = packedRowBytes(type, n);
  for (let i = r0; i < r1; i++) {
    dequantPackedRow(type, w + <usize>i * rb, n, scratch);
    for (let t = 0; t < rows; t++) {
      store<f32>(out + (<usize>(t * d + i) << 2), dotF32(scratch, x + (<usize>(t * n) << 2), n));
    }
  }
}
