/** Turning logits into the next token: greedy, or temperature + top-p (nucleus) sampling with a seeded PRNG. */
import { z } from "zod";
import { mulberry32 } from "../random.ts";
import { InputError } from "../errors.ts";

/** The smallest positive temperature: anything lower is greedy in all but name, and far lower overflows. */
export const MIN_TEMPERATURE = 1e-3;

export const samplingSchema = z.object({
  // Below MIN_TEMPERATURE, logits / temperature overflow float64 and every probability is NaN.
  temperature: z
    .number()
    .min(0, "temperature must be ≥ 0")
    .max(100)
    .refine((t) => t === 0 || t >= MIN_TEMPERATURE, `temperature must be 0 (greedy) or at least ${MIN_TEMPERATURE}`)
    .default(0),
  topP: z.number().gt(0, "top-p must be in (0, 1]").max(1, "top-p must be in (0, 1]").default(0.9),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(42),
});
export type SamplingOptions = z.infer<typeof samplingSchema>;

export function argmax(x: ArrayLike<number>): number {
  // The first index of the largest value (NaN never wins; a NaN at 0 returns 0, as a plain scan
  // that starts from x[0] does). It runs over the whole vocabulary every step: four running maxima
  // over interleaved indices, then the best of the four (ties → the smaller index), twice as fast
  // as one. test/generation/argmax.test.ts holds it to the plain scan.
  const n = x.length;
  if (Number.isNaN(x[0]!)) return 0;
  let m0 = -Infinity,
    m1 = -Infinity,
    m2 = -Infinity,
    m3 = -Infinity;
  let b0 = -1,
    b1 = -1,
    b2 = -1,
    b3 = -1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v0 = x[i]!,
      v1 = x[i + 1]!,
      v2 = x[i + 2]!,
      v3 = x[i + 3]!;
    if (v0 > m0) {
      m0 = v0;
      b0 = i;
    }
    if (v1 > m1) {
      m1 = v1;
      b1 = i + 1;
    }
    if (v2 > m2) {
      m2 = v2;
      b2 = i + 2;
    }
    if (v3 > m3) {
      m3 = v3;
      b3 = i + 3;
    }
  }
  for (; i < n; i++) {
    const v = x[i]!;
    if (v > m0) {
      m0 = v;
      b0 = i;
    }
  }
  // The best of the four lanes: the larger maximum, on a tie the smaller index (an unset lane has b = -1).
  let best = b0;
  let max = m0;
  if (m1 > max || (m1 === max && b1 >= 0 && (best < 0 || b1 < best))) {
    max = m1;
    best = b1;
  }
  if (m2 > max || (m2 === max && b2 >= 0 && (best < 0 || b2 < best))) {
    max = m2;
    best = b2;
  }
  if (m3 > max || (m3 === max && b3 >= 0 && (best < 0 || b3 < best))) best = b3;
  return Math.max(best, 0);
}

/** Softmax in float64 (a distribution to sample from, or to compare in evaluation). */
export function softmaxF64(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const p = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp(logits[i]! / temperature - max);
    sum += p[i]!;
  }
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / sum;
  return p;
}

/**
 * A forward pass gave a NaN or infinite logit. Load-time checks refuse non-finite weights, so this
 * means finite weights whose products overflow float32: the model file is corrupt or badly
 * converted. Nothing sensible can be sampled or compared from such a row (argmax of all-NaN is 0,
 * which is how a broken model used to emit token 0 forever), so the run stops.
 */
export class NonFiniteLogitsError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteLogitsError";
  }
}

/**
 * Throws {@link NonFiniteLogitsError} if `logits` holds a NaN or ±Infinity; `where` says which row
 * (e.g. "at position 12"). With `allowMasked`, -Infinity is allowed (a caller's mask: the token
 * must never be sampled) as long as some token is left.
 */
export function checkFiniteLogits(logits: Float32Array, where = "", allowMasked = false): void {
  let bad = -1;
  let finite = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v - v === 0) finite++;
    else if (!(allowMasked && v === -Infinity)) {
      bad = i;
      break;
    }
  }
  const at = where ? ` ${where}` : "";
  if (bad >= 0) {
    throw new NonFiniteLogitsError(
      `the model produced a non-finite logit (${logits[bad]} for token id ${bad})${at}; its weights overflow float32 ` +
        `arithmetic, so the model file is likely corrupt`,
    );
  }
  if (finite === 0) throw new NonFiniteLogitsError(`every token is masked out${at}; there is nothing to sample`);
}

export class Sampler {
  private readonly random: () => number;
  readonly options: SamplingOptions;

  constructor(options: SamplingOptions) {
    this.options = options;
    this.random = mulberry32(options.seed);
  }

  /** The next token from one row of logits; a row holding NaN or +Infinity is an error, never a token (-Infinity masks a token). */
  next(logits: Float32Array): number {
    checkFiniteLogits(logits, "", true);
    const { temperature, topP } = this.options;
    if (temperature === 0) return argmax(logits);
    const probs = softmaxF64(logits, temperature);
    const r = this.random();
    if (topP >= 1) return sampleFrom(probs, r);
    return sampleTopP(probs, topP, r);
  }
}

function sampleFrom(probs: Float64Array, r: number): number {
  let cdf = 0;
  for (let i = 0; i < probs.length; i++) {
    cdf += probs[i]!;
    if (r < cdf) return i;
  }
  return probs.length - 1;
}

/** Nucleus sampling: the smallest set of most likely tokens whose mass exceeds topP, renormalised. */
function sampleTopP(probs: Float64Array, topP: number, r: number): number {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let mass = 0;
  let last = order.length - 1;
  for (let i = 0; i < order.length; i++) {
    mass += probs[order[i]!]!;
    if (mass > topP) {
      last = i;
      break;
    }
  }
  let cdf = 0;
  const target = r * mass;
  for (let i = 0; i <= last; i++) {
    cdf += probs[order[i]!]!;
    if (target < cdf) return order[i]!;
  }
  return order[last]!;
}
