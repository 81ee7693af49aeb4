import { z } from "zod";
import { ModelFileError } from "../errors.ts";
import type { LlamaConfig } from "./types.ts";

/**
 * Upper bounds that keep a hostile header from making us allocate absurd memory.
 * They are far above any model this project runs on a CPU (Llama-2 70B: dim 8192, 80 layers, vocab 32000).
 */
export const LIMITS = {
  maxDim: 1 << 15,
  maxHiddenDim: 1 << 17,
  maxLayers: 1024,
  maxHeads: 1024,
  maxVocab: 1 << 20,
  maxContext: 1 << 24,
  /** Bytes of float32 weights we are willing to hold (8 GiB). */
  maxWeightBytes: 8 * 1024 ** 3,
} as const;

const positiveInt = (max: number) => z.number().int().positive().max(max);

const configSchema = z
  .object({
    dim: positiveInt(LIMITS.maxDim),
    hiddenDim: positiveInt(LIMITS.maxHiddenDim),
    nLayers: positiveInt(LIMITS.maxLayers),
    nHeads: positiveInt(LIMITS.maxHeads),
    nKvHeads: positiveInt(LIMITS.maxHeads),
    vocabSize: positiveInt(LIMITS.maxVocab),
    contextLength: positiveInt(LIMITS.maxContext),
    trainedContextLength: positiveInt(LIMITS.maxContext),
    headDim: positiveInt(LIMITS.maxDim),
    ropeTheta: z.number().finite().positive(),
    normEps: z.number().finite().positive().max(1),
    ropeStyle: z.enum(["adjacent", "neox"]).optional(),
  })
  .refine((c) => c.nHeads % c.nKvHeads === 0, {
    message: "head count must be a multiple of the KV head count (grouped-query attention)",
  })
  .refine((c) => c.headDim % 2 === 0, { message: "head dimension must be even (RoPE rotates pairs)" });

/**
 * Validates hyperparameters read from a file; the error names the file and every bad field.
 * `float32Limit`: refuse shapes whose float32 weights exceed LIMITS.maxWeightBytes (formats that
 * are always expanded to float32; a GGUF file's packed weights are bounded by its size instead).
 */
export function validateConfig(raw: Record<string, unknown>, path: string, float32Limit = true): LlamaConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
    throw new ModelFileError(path, `invalid model hyperparameters (${problems})`);
  }
  const c = parsed.data as LlamaConfig;
  const bytes = 4 * weightCount(c);
  if (float32Limit && bytes > LIMITS.maxWeightBytes) {
    throw new ModelFileError(
      path,
      `model would need ${(bytes / 1024 ** 3).toFixed(1)} GiB of float32 weights, over the ${LIMITS.maxWeightBytes / 1024 ** 3} GiB limit`,
    );
  }
  return c;
}

/** Number of float32 parameters of a model with this shape (untied classifier counted once more). */
export function weightCount(c: LlamaConfig, tied = true): number {
  const kvDim = c.nKvHeads * c.headDim;
  const qDim = c.nHeads * c.headDim;
  const perLayer = 2 * c.dim + c.dim * qDim * 2 + 2 * c.dim * kvDim + 3 * c.dim * c.hiddenDim;
  return c.vocabSize * c.dim * (tied ? 1 : 2) + c.nLayers * perLayer + c.dim;
}
