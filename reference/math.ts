/**
 * The few numeric building blocks of a Llama forward pass, in plain float32 TypeScript.
 * Sums are accumulated in a JS number (double) and stored as float32.
 */

/** out = weight ⊙ x / rms(x), with rms(x) = sqrt(mean(x²) + eps). */
export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  const n = weight.length;
  let ss = 0;
  for (let j = 0; j < n; j++) ss += x[j]! * x[j]!;
  const scale = 1 / Math.sqrt(ss / n + eps);
  for (let j = 0; j < n; j++) out[j] = weight[j]! * (scale * x[j]!);
}

/** out[d] = W[d,:] · x, for a row-major W of shape `[d][n]`. */
export function matmul(out: Float32Array, x: Float32Array, w: Float32Array, n: number, d: number): void {
  for (let i = 0; i < d; i++) {
    let sum = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) sum += w[row + j]! * x[j]!;
    out[i] = sum;
  }
}

/** In-place softmax over the first `n` entries (the max is subtracted for stability). */
export function softmax(x: Float32Array, n = x.length): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x[i] = Math.exp(x[i]! - max);
    sum += x[i]!;
  }
  for (let i = 0; i < n; i++) x[i] = x[i]! / sum;
}

/** How RoPE pairs dimensions, and the optional per-pair frequency divisors (Llama 3.1+). */
export interface RopeOptions {
  /** Rotate (x[j], x[j + headDim/2]) — llama.cpp's NEOX style (Qwen) — instead of (x[2j], x[2j+1]). */
  readonly neox?: boolean;
  /** `[headDim/2]` divisors of each pair's angle (GGUF `rope_freqs.weight`). */
  readonly freqs?: Float32Array;
}

/**
 * Rotary position embedding of each head: pair j (of headDim/2) turns by position · θ^(−2j/headDim)
 * (divided by freqs[j] where given). The pairs are adjacent (x[2j], x[2j+1]) as in llama2.c and
 * llama.cpp's "normal" RoPE, or (x[j], x[j + headDim/2]) with `neox`. The angle is computed in
 * float32 like the C reference does.
 */
export function rope(x: Float32Array, nHeads: number, headDim: number, position: number, theta: number, options: RopeOptions = {}): void {
  const half = headDim / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let j = 0; j < half; j++) {
      const freq = Math.fround(1 / Math.fround(Math.pow(theta, (2 * j) / headDim)));
      let angle = Math.fround(position * freq);
      if (options.freqs) angle = Math.fround(angle / options.freqs[j]!);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const a = h * headDim + (options.neox ? j : 2 * j);
      const b = options.neox ? a + half : a + 1;
      const x0 = x[a]!;
      const x1 = x[b]!;
      x[a] = x0 * cos - x1 * sin;
      x[b] = x0 * sin + x1 * cos;
    }
  }
}

/** SiLU(x) = x·σ(x), the gate nonlinearity of SwiGLU. */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}
