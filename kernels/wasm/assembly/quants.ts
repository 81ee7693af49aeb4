/**
 * Dequantizing the block types beyond F32/F16/Q8_0 (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, BF16 and the
 * K-quants Q2_K..Q6_K), and the product kernel that runs on them. Part of the kernels in index.ts.
 *
 * Matches: reference/quants.ts dequantize, bit for bit (each step the same float32 operation;
 * test/wasm/quants.test.ts compares the bytes). The block layouts are written out there.
 *
 * matmulPacked: out[t][i] = W[i]·x[t]. Each weight row is dequantized once per call into a
 * scratch group of rows (packedGroupRows, ~64 KiB per share of the thread pool, never a whole
 * matrix), then multiplied by matmul.ts's F32 kernels — THE ORDER of matmul.ts, so the result equals
 * the F32 product over the dequantized weights bit for bit; several rows at once give the
 * independent add chains one row cannot (decode), and the register tiles reuse each group for
 * every prompt row (prefill).
 *
 * matmulPackedQ8, for the types whose weights are a half scale times an int8 per block of 32 (Q4_0:
 * d·(q − 8), Q5_0: d·(q − 16), IQ4_NL: d·level[q]): each group of rows is re-encoded as Q8_0 blocks
 * (the same half, the same integers, so the same weights exactly) and multiplied by matmul-q8.ts's
 * integer kernels over the block-quantized input, whose results and error bound are Q8_0's.
 */
import { Q8_BLOCK_BYTES, halfToF32 } from "./convert";
import { matmmF32, matvecF32 } from "./matmul";
import { matmmQ8, matvecQ8, matvecQ8Of } from "./matmul-q8";
import { fusedDecode, matvecKQuant } from "./matvec-kquants";

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
@inline export function half(p: usize): f32 {
  return halfToF32(<u32>load<u16>(p));
}

// @ts-ignore: decorator
@inline function put(y: usize, i: i32, v: f32): void {
  store<f32>(y + (<usize>i << 2), v);
}

/** Q4_K/Q5_K scale (which = 0) or min (which = 1) of group g (reference/quants.ts kScaleMin). */
// @ts-ignore: decorator
@inline export function kScaleMin(s: usize, g: i32, which: i32): i32 {
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

/**
 * 16 weights from the u8 lanes of `q` (values < 256): y = (q − sub)·d, then + add where `hasAdd`;
 * four f32x4 stores at y. The same float32 steps as the scalar code (int → f32 is exact; one
 * multiply; one add), lane by lane, so bit for bit the reference's values (-0 stays -0 without add).
 */
// @ts-ignore: decorator
@inline function put16(y: usize, q: v128, sub: i32, d: f32, add: f32, hasAdd: bool): void {
  const lo = i16x8.extend_low_i8x16_u(q);
  const hi = i16x8.extend_high_i8x16_u(q);
  const s = i32x4.splat(sub);
  const dv = f32x4.splat(d);
  const av = f32x4.splat(add);
  let a = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(lo), s)), dv);
  let b = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(lo), s)), dv);
  let c = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(hi), s)), dv);
  let e = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(hi), s)), dv);
  if (hasAdd) {
    a = f32x4.add(a, av);
    b = f32x4.add(b, av);
    c = f32x4.add(c, av);
    e = f32x4.add(e, av);
  }
  v128.store(y, a);
  v128.store(y, b, 16);
  v128.store(y, c, 32);
  v128.store(y, e, 48);
}

/** The fifth bits of 16 weights: bit `first + j` of `qh` → 0x10 in byte lane j. */
// @ts-ignore: decorator
@inline function fifthBits(qh: u32, first: i32): v128 {
  const bits = i32x4.splat(<i32>(qh >> first)); // the 16 bits wanted are now bits 0..15
  const bytes = i8x16.swizzle(bits, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const mask = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return v128.and(v128.not(i8x16.eq(v128.and(bytes, mask), i8x16.splat(0))), i8x16.splat(0x10));
}

/** One block at `b` → float32 at y (the same steps as reference/quants.ts DEQUANTIZE[type]). */
function dequantBlock(type: i32, b: usize, y: usize): void {
  if (type == BF16) {
    store<u32>(y, <u32>load<u16>(b) << 16);
  } else if (type == Q4_0 || type == Q4_1) {
    // SIMD: the 16 low nibbles are weights 0..15, the high ones 16..31.
    const d = half(b);
    const m: f32 = type == Q4_1 ? half(b + 2) : 0;
    const v = v128.load(b + (type == Q4_1 ? 4 : 2));
    const sub = type == Q4_0 ? 8 : 0;
    put16(y, v128.and(v, i8x16.splat(0xf)), sub, d, m, type == Q4_1);
    put16(y + 64, i8x16.shr_u(v, 4), sub, d, m, type == Q4_1);
  } else if (type == IQ4_NL) {
    const d = half(b);
    for (let j = 0; j < 16; j++) {
      const q = <i32>load<u8>(b + 2 + j);
      put(y, j, d * <f32>unchecked(IQ4_NL_LEVELS[q & 0xf]));
      put(y, j + 16, d * <f32>unchecked(IQ4_NL_LEVELS[q >> 4]));
    }
  } else if (type == Q5_0 || type == Q5_1) {
    const d = half(b);
    const m: f32 = type == Q5_1 ? half(b + 2) : 0;
    const qh = load<u32>(b + (type == Q5_1 ? 4 : 2));
    const v = v128.load(b + (type == Q5_1 ? 8 : 6));
    const sub = type == Q5_0 ? 16 : 0;
    put16(y, v128.or(v128.and(v, i8x16.splat(0xf)), fifthBits(qh, 0)), sub, d, m, type == Q5_1);
    put16(y + 64, v128.or(i8x16.shr_u(v, 4), fifthBits(qh, 16)), sub, d, m, type == Q5_1);
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
    for (let pair = 0; pair < 4; pair++) {
      const qs = qs0 + 32 * pair;
      for (let nibble = 0; nibble < 2; nibble++) {
        const g = 2 * pair + nibble;
        const dl = d * <f32>kScaleMin(b + 4, g, 0);
        const ml = dmin * <f32>kScaleMin(b + 4, g, 1);
        const out = y + (<usize>(32 * g) << 2);
        for (let half16 = 0; half16 < 2; half16++) {
          const raw = v128.load(qs + 16 * half16);
          let q = nibble == 0 ? v128.and(raw, i8x16.splat(0xf)) : i8x16.shr_u(raw, 4);
          if (type == Q5_K) {
            // bit g of qh[l] for l in this half's 16 bytes, as 0x10
            const h = v128.load(b + 16 + 16 * half16);
            const m1: i32 = 1 << g;
            const bit = i8x16.splat(<i8>m1);
            q = v128.or(q, v128.and(v128.not(i8x16.eq(v128.and(h, bit), i8x16.splat(0))), i8x16.splat(0x10)));
          }
          put16(out + 64 * half16, q, 0, dl, -ml, true);
        }
      }
    }
  } else {
    // Q6_K, 16 weights per SIMD step (one scale each): weight l + 32k of a half has its low 4 bits
    // in ql[l + 32(k & 1)] (high nibble for k ≥ 2) and its high 2 bits at bit 2k of qh[l].
    const d = half(b + 208);
    const low4 = i8x16.splat(0xf);
    const two = i8x16.splat(3);
    for (let h = 0; h < 2; h++) {
      const ql = b + 64 * h;
      const qh = b + 128 + 32 * h;
      const sc = b + 192 + 8 * h;
      for (let part = 0; part < 2; part++) {
        const l = 16 * part;
        const a = v128.load(ql + l);
        const c = v128.load(ql + l + 32);
        const hb = v128.load(qh + l);
        const q0 = v128.or(v128.and(a, low4), i8x16.shl(v128.and(hb, two), 4));
        const q1 = v128.or(v128.and(c, low4), i8x16.shl(v128.and(i8x16.shr_u(hb, 2), two), 4));
        const q2 = v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(hb, 4), two), 4));
        const q3 = v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(hb, 6), 4));
        const o = y + (<usize>(128 * h + l) << 2);
        put16(o, q0, 32, d * <f32>load<i8>(sc + part), 0, false);
        put16(o + 128, q1, 32, d * <f32>load<i8>(sc + part + 2), 0, false);
        put16(o + 256, q2, 32, d * <f32>load<i8>(sc + part + 4), 0, false);
        put16(o + 384, q3, 32, d * <f32>load<i8>(sc + part + 6), 0, false);
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
 * Weight rows matmulPacked dequantizes together: ~64 KiB of float32, at least 4 rows (the four
 * independent chains of the matrix–vector kernel), a multiple of 4. The scratch of each share holds
 * packedGroupRows(n) · n floats.
 */
export function packedGroupRows(n: i32): i32 {
  return max<i32>(4, (16384 / n) & ~3);
}

/**
 * out[t][i] = W[i]·x[t] for weight rows [r0, r1) and `rows` input rows, W `[d][n]` of a packed type;
 * `scratch`: packedGroupRows(n) · n floats of this share's own. Each group of rows is dequantized
 * once, then multiplied by the F32 kernels of matmul.ts (several rows at once, and every input row
 * while the group is in cache) — the same sums, in the same order, as one dotF32 per element.
 */
export function matmulPacked(type: i32, out: usize, x: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32, scratch: usize): void {
  if (rows == 1 && fusedDecode(type)) {
    matvecKQuant(type, out, x, w, n, r0, r1); // the same bits without the scratch (matvec-kquants.ts)
    return;
  }
  const rb = packedRowBytes(type, n);
  const fb = <usize>n << 2;
  const g = packedGroupRows(n);
  for (let i0 = r0; i0 < r1; i0 += g) {
    const i1 = min<i32>(r1, i0 + g);
    for (let i = i0; i < i1; i++) dequantPackedRow(type, w + <usize>i * rb, n, scratch + <usize>(i - i0) * fb);
    // The group as a float32 matrix whose row i is at base + i·fb (u32 addresses wrap, so base may
    // lie "below" 0: only base + i·fb for i in [i0, i1) is ever read).
    const base = scratch - <usize>i0 * fb;
    if (rows == 1) matvecF32(out, x, base, n, i0, i1);
    else matmmF32(out, x, base, n, d, rows, i0, i1);
  }
}

/** Types whose blocks re-encode exactly as Q8_0 (an f16 scale and 32 int8 weights): matmulPackedQ8. */
export function packedAsQ8(type: i32): bool {
  return type == Q4_0 || type == Q5_0 || type == IQ4_NL;
}

/** The integers of weights 0..15 (`high` false) or 16..31 of a Q4_0, Q5_0 or IQ4_NL block at `b`, as int8 lanes. */
// @ts-ignore: decorator
@inline function q8Ints(type: i32, b: usize, high: bool): v128 {
  if (type == Q5_0) {
    // low nibbles are weights 0..15, high nibbles 16..31, their fifth bits in qh; q − 16
    // (nibble | bit·16) − 16 = nibble − 16 where the fifth bit is clear
    const v = v128.load(b + 6);
    const q = high ? i8x16.shr_u(v, 4) : v128.and(v, i8x16.splat(0xf));
    const qh = i32x4.splat(<i32>(load<u32>(b + 2) >> (high ? 16 : 0)));
    const bits = i8x16.swizzle(qh, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const clear = i8x16.eq(v128.and(bits, i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128)), i8x16.splat(0));
    return i8x16.sub(q, v128.and(clear, i8x16.splat(16)));
  }
  const v = v128.load(b + 2);
  const q = high ? i8x16.shr_u(v, 4) : v128.and(v, i8x16.splat(0xf));
  if (type == Q4_0) return i8x16.sub(q, i8x16.splat(8));
  // IQ4_NL: each nibble indexes the 16 levels (IQ4_NL_LEVELS), one table lookup per 16
  return i8x16.swizzle(i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113), q);
}

/** One Q4_0, Q5_0 or IQ4_NL block at `b` → a Q8_0 block at `y`: its half scale, its weights' integers. */
// @ts-ignore: decorator
@inline function toQ8Block(type: i32, b: usize, y: usize): void {
  store<u16>(y, load<u16>(b));
  v128.store(y + 2, q8Ints(type, b, false));
  v128.store(y + 18, q8Ints(type, b, true));
}

/** matmul-q8.ts q8dot on the block's integers in registers: the same exact int32 lanes as on its Q8_0 re-encoding. */
// @ts-ignore: decorator
@inline export function packedQ8dot(type: i32, b: usize, qb: usize): v128 {
  const lo = q8Ints(type, b, false);
  const hi = q8Ints(type, b, true);
  let acc = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(lo), v128.load(qb));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(lo), v128.load(qb, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(hi), v128.load(qb, 32)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(hi), v128.load(qb, 48)));
}

/** Weight rows matmulPackedQ8 re-encodes together: as many Q8_0 rows as the share's scratch (packedGroupRows) holds, a multiple of 4. */
export function packedQ8GroupRows(n: i32): i32 {
  const q8Row = (n >> 5) * Q8_BLOCK_BYTES;
  return max<i32>(4, (<i32>((packedGroupRows(n) * n * 4) / q8Row)) & ~3);
}

/**
 * out[t][i] = W[i]·x[t] for weight rows [r0, r1) of a packedAsQ8 type, over the input quantized by
 * quantizeQ16 (xq, xd), `rows` input rows; `scratch` as matmulPacked's. Each group of rows becomes
 * Q8_0 blocks once, then matvecQ8 (one row) or matmmQ8 (several): equal to matvecQ8/matmmQ8 over
 * the file re-encoded as Q8_0, bit for bit, so matmm equals matvec here too.
 */
export function matmulPackedQ8(
  type: i32, out: usize, xq: usize, xd: usize, w: usize, n: i32, d: i32, rows: i32, r0: i32, r1: i32, scratch: usize,
): void {
  const blocks = n >> 5;
  const bb = <usize>packedBlockBytes(type);
  const rb = <usize>blocks * bb;
  const qb = <usize>blocks * Q8_BLOCK_BYTES;
  if (rows == 1) {
    // decode: no re-encoded rows, the integers go from the packed blocks straight into the dot products
    if (type == Q5_0) matvecQ8Of(Q5_0, out, xq, xd, w, n, r0, r1);
    else if (type == Q4_0) matvecQ8Of(Q4_0, out, xq, xd, w, n, r0, r1);
    else matvecQ8Of(IQ4_NL, out, xq, xd, w, n, r0, r1);
    return;
  }
  const g = packedQ8GroupRows(n);
  for (let i0 = r0; i0 < r1; i0 += g) {
    const i1 = min<i32>(r1, i0 + g);
    for (let i = i0; i < i1; i++) {
      const src = w + <usize>i * rb;
      const dst = scratch + <usize>(i - i0) * qb;
      for (let k = 0; k < blocks; k++) toQ8Block(type, src + <usize>k * bb, dst + <usize>k * Q8_BLOCK_BYTES);
    }
    const base = scratch - <usize>i0 * qb; // row i at base + i·qb, as matmulPacked's base
    if (rows == 1) matvecQ8(out, xq, xd, base, n, i0, i1);
    else matmmQ8(out, xq, xd, base, n, d, rows, i0, i1);
  }
}

