/**
 * A product's input rounded as llama.cpp rounds it for the weight type (reference/activations.ts,
 * which this matches bit for bit: test/wasm/kernels.test.ts). Part of the kernels described in
 * index.ts. The integer products' own Q8_0 input is quantizeInputQ8 (matmul-q8.ts).
 */
import { halfToF32, roundToBf16, roundToHalf } from "./convert";

/** Input format codes (kernels/wasm/share.mjs FORMAT_CODES). */
export const INPUT_F16: i32 = 1;
export const INPUT_BF16: i32 = 2;
export const INPUT_Q8_0: i32 = 3;
export const INPUT_Q8_K: i32 = 4;

/**
 * `rows` rows of n float32 at x, rounded to `format` and written as float32 to `out`
 * (reference/activations.ts roundInput): F16 and BF16 value by value; Q8_0 per block of 32,
 * half(amax / 127) · round-half-even(x · 127 / amax); Q8_K per block of 256, with `max` the first
 * value of largest magnitude, iscale = −127 / max, (1 / iscale) · min(127, nearest(iscale · x)).
 */
export function roundInput(format: i32, x: usize, n: i32, rows: i32, out: usize): void {
  const count = n * rows;
  if (format == INPUT_F16) {
    for (let i = 0; i < count; i++) store<f32>(out + (<usize>i << 2), roundToHalf(load<f32>(x + (<usize>i << 2))));
  } else if (format == INPUT_BF16) {
    for (let i = 0; i < count; i++) store<f32>(out + (<usize>i << 2), roundToBf16(load<f32>(x + (<usize>i << 2))));
  } else if (format == INPUT_Q8_0) {
    for (let b = 0; b < count; b += 32) {
      const xb = x + (<usize>b << 2);
      let amax: f32 = 0;
      for (let j = 0; j < 32; j++) amax = max<f32>(amax, abs<f32>(load<f32>(xb + (<usize>j << 2))));
      const d = roundToHalf(amax / 127);
      const id: f32 = amax == 0 ? 0 : <f32>127 / amax;
      const ob = out + (<usize>b << 2);
      for (let j = 0; j < 32; j++) store<f32>(ob + (<usize>j << 2), d * nearest<f32>(load<f32>(xb + (<usize>j << 2)) * id));
    }
  } else if (format == INPUT_Q8_K) {
    for (let b = 0; b < count; b += 256) {
      const xb = x + (<usize>b << 2);
      const ob = out + (<usize>b << 2);
      let amax: f32 = 0;
      let mx: f32 = 0;
      for (let j = 0; j < 256; j++) {
        const v = load<f32>(xb + (<usize>j << 2));
        if (abs<f32>(v) > amax) {
          amax = abs<f32>(v);
          mx = v;
        }
      }
      if (amax == 0) {
        memory.fill(ob, 0, 1024);
        continue;
      }
      const iscale: f32 = <f32>-127 / mx;
      const d: f32 = <f32>1 / iscale;
      for (let j = 0; j < 256; j++) {
        store<f32>(ob + (<usize>j << 2), d * min<f32>(127, nearest<f32>(iscale * load<f32>(xb + (<usize>j << 2)))));
      }
    }
  } else {
    unreachable();
  }
}

/**
 * The Q8_1 input's block sums (reference/activations.ts q8_1SumErrors): for each block of 32 of
 * `rows` rows of n float32 at x, half((amax / 127) · Σq) − Σ half(amax / 127)·q, as float32, to
 * `out` (`[rows][n / 32]`).
 */
export function q8_1SumErrors(x: usize, n: i32, rows: i32, out: usize): void {
  const count = n * rows;
  for (let b = 0; b < count; b += 32) {
    const xb = x + (<usize>b << 2);
    let amax: f32 = 0;
    for (let j = 0; j < 32; j++) amax = max<f32>(amax, abs<f32>(load<f32>(xb + (<usize>j << 2))));
    const d: f32 = amax / 127;
    const dh = roundToHalf(d);
    const id: f32 = amax == 0 ? 0 : <f32>127 / amax;
    let sumQ: f64 = 0;
    let sumRounded: f64 = 0;
    for (let j = 0; j < 32; j++) {
      const q = nearest<f32>(load<f32>(xb + (<usize>j << 2)) * id);
      sumQ += <f64>q;
      sumRounded += <f64>(dh * q);
    }
    store<f32>(out + (<usize>(b >> 5) << 2), <f32>(<f64>roundToHalf(<f32>(<f64>d * sumQ)) - sumRounded));
  }
}

/**
 * out[t][i] += Σ_b m[i][b] · errors[t][b] for weight rows [0, d) of a Q4_1 or Q5_1 matrix at w
 * (`blockBytes` 20 or 24; each block's half minimum m at byte 2), n columns, `rows` input rows:
 * ggml's minimum term over the stored block sum instead of Σx̃ (reference/transformer.ts product).
 * The sum is a float64, as the reference's.
 */
export function addMinTerms(out: usize, errors: usize, w: usize, blockBytes: i32, n: i32, d: i32, rows: i32): void {
  const blocks = n >> 5;
  for (let t = 0; t < rows; t++) {
    const e = errors + (<usize>(t * blocks) << 2);
    const o = out + (<usize>(t * d) << 2);
    for (let i = 0; i < d; i++) {
      const row = w + <usize>i * <usize>blocks * <usize>blockBytes;
      let sum: f64 = 0;
      for (let b = 0; b < blocks; b++) {
        const m = halfToF32(<u32>load<u16>(row + <usize>b * <usize>blockBytes + 2));
        sum += <f64>m * <f64>load<f32>(e + (<usize>b << 2));
      }
      store<f32>(o + (<usize>i << 2), <f32>(<f64>load<f32>(o + (<usize>i << 2)) + sum));
    }
  }
}
