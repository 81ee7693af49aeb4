/** Flags and set-up shared by the commands that run the model. */
import { z } from "zod";
import { type OpenedModel, openLoadedModel } from "../api/open-model.ts";
import { BACKEND_NAMES, GPU_MODES, MAX_THREADS } from "../create-backend.ts";
import { InputError } from "../errors.ts";
import { POLICY_NAMES } from "../fastgen/settings.ts";
import { computeTokenClasses, type TokenClasses } from "../fastgen/token-classes.ts";
import { loadModel, resolveModelPath } from "../model/load.ts";
import type { LlamaModel } from "../model/types.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import type { FlagSpecs } from "./args.ts";

export const MODEL_FLAGS: FlagSpecs = {
  model: { kind: "string", help: "GGUF file or llama2.c checkpoint (else $FASTGEN_MODEL, else the search path)" },
  tokenizer: { kind: "string", help: "llama2.c tokenizer file (default: tok<vocab>.bin next to the checkpoint)" },
  backend: {
    kind: "string",
    help: `${BACKEND_NAMES.join(" | ")} (auto: wasm, the fastest here; reference: the float32 oracle)`,
    default: "auto",
  },
  "gpu-mode": { kind: "string", help: `gpu.js mode for --backend gpu: ${GPU_MODES.join(" | ")}`, default: "auto" },
  threads: {
    kind: "number",
    help: "threads for the wasm backend (results are identical for every count)",
    default: "this machine's cores; 1 for a model under 2 M multiply-adds per token",
  },
  activations: {
    kind: "string",
    help: "float | ggml: ggml rounds each product's input as llama.cpp does for the weight type (quantized GGUF files)",
    default: "float",
  },
};

export const modelFlagsSchema = z.object({
  model: z.string().min(1).optional(),
  tokenizer: z.string().min(1).optional(),
  backend: z.enum(BACKEND_NAMES, { error: `backend must be one of ${BACKEND_NAMES.join(", ")}` }).default("auto"),
  gpuMode: z.enum(GPU_MODES, { error: `gpu-mode must be one of ${GPU_MODES.join(", ")}` }).default("auto"),
  threads: z
    .number()
    .int({ error: "threads must be a whole number" })
    .min(1, { error: "threads must be at least 1" })
    .max(MAX_THREADS, { error: `threads must be at most ${MAX_THREADS}` })
    .optional(),
  activations: z.enum(["float", "ggml"], { error: "activations must be float or ggml" }).default("float"),
});

export const COMPRESSION_FLAGS: FlagSpecs = {
  policy: { kind: "string", help: `${POLICY_NAMES.join(" | ")}` },
  threshold: { kind: "number", help: "FastGen recovery threshold T in [0, 1]", default: "0.95" },
  "r-local": { kind: "number", help: "local window ratio of the prompt length, (0, 1]", default: "0.3" },
  "r-frequent": { kind: "number", help: "heavy-hitter ratio of the current length, (0, 1]", default: "0.3" },
  gqa: { kind: "string", help: "reduce recoveries over a KV head's query heads: min | mean", default: "min" },
  sinks: { kind: "number", help: "attention sinks kept by --policy streaming", default: "4" },
  compression: {
    kind: "number",
    help: "budgeted, snapkv, pyramidkv, adakv, tova, knorm: share of KV entries to prune, [0, 1)",
    default: "0.5",
  },
  observe: {
    kind: "number",
    help: "fastgen/budgeted: recovery over the last W prompt rows only (default: all rows); snapkv/pyramidkv/adakv: window (default 32)",
  },
  special: { kind: "string", help: "extra special tokens, comma-separated ids or pieces (pieces containing a comma by id)" },
  punct: { kind: "string", help: 'replace the punctuation set: comma-separated ids or pieces ("," is id 432 in stories260K)' },
};

export type { OpenedModel } from "../api/open-model.ts";

export async function openModel(flags: z.infer<typeof modelFlagsSchema>): Promise<OpenedModel> {
  const path = resolveModelPath(flags.model);
  const model = loadModel(path, flags.tokenizer ? { tokenizerPath: flags.tokenizer } : {});
  return openLoadedModel(model, path, flags, "pass --tokenizer PATH (a llama2.c tokenizer file)");
}

/** Token classes with the user's --special / --punct overrides. */
export function tokenClassesFor(tokenizer: Tokenizer, special?: string, punct?: string): TokenClasses {
  const list = (s: string, flag: string) => {
    const parts = s.split(",");
    if (parts.every((x) => x.length === 0))
      throw new InputError(`--${flag} "${s}" names no token; give ids (a piece with a comma in it, like ",", only by id)`);
    // "1,,2" is a typo, not a list of two: an empty item is refused rather than dropped.
    if (parts.some((x) => x.length === 0))
      throw new InputError(
        `--${flag} "${s}" has an empty item; give ids or pieces separated by single commas (",", the piece, only by id)`,
      );
    // An id may have spaces around it ("1, 2"); a piece is taken exactly as written.
    return parts.map((x) => {
      if (!/^\s*\d+\s*$/.test(x)) return x;
      const id = Number(x);
      // Past 2^53 the number would be rounded, and the message would name another id; the range is checked with the pieces.
      if (!Number.isSafeInteger(id))
        throw new InputError(`--${flag}: token id ${x.trim()} is outside the vocabulary (0..${tokenizer.vocab.pieces.length - 1})`);
      return id;
    });
  };
  return computeTokenClasses(tokenizer.vocab, {
    ...(special ? { extraSpecial: list(special, "special") } : {}),
    ...(punct ? { punctuation: list(punct, "punct") } : {}),
  });
}

/** Positions past the trained context are allowed, but worth a warning (spec §12.14). */
export function warnContext(model: LlamaModel, length: number, warn: (s: string) => void): void {
  const limit = model.config.trainedContextLength;
  if (length > limit) warn(`warning: ${length} positions exceed the model's trained context of ${limit}; quality will degrade past it`);
}

/**
 * Refuses a run of more positions than the model's declared context length (an error, before any
 * work: past it the run is meaningless and, with the cache growing, can take hours), and warns past
 * the trained context. `what` says where the count comes from, e.g. "--lengths 600".
 */
export function checkContext(model: LlamaModel, positions: number, what: string, warn: (s: string) => void): void {
  const limit = model.config.contextLength;
  if (positions > limit) {
    throw new InputError(`${what}: ${positions} positions exceed the model's context length of ${limit}`);
  }
  warnContext(model, positions, warn);
}

/**
 * Refuses a prompt given on the command line that cannot fit the model's context, before it is
 * tokenized: every token covers at most the longest piece's characters, so a text with more than
 * that many characters per position of context cannot fit, and encoding megabytes of text
 * (seconds) would be wasted before the context check could say so.
 */
export function checkPromptFits(model: LlamaModel, tokenizer: Tokenizer, text: string, what: string): void {
  // A loop, not Math.max(...pieces): spreading 150K arguments overflows the stack.
  let longestPiece = 1;
  for (const p of tokenizer.vocab.pieces) longestPiece = Math.max(longestPiece, p.length);
  const chars = [...text].length;
  const fewest = Math.ceil((chars + 1) / longestPiece);
  if (fewest > model.config.contextLength) {
    throw new InputError(
      `${what}: a text of ${chars} characters is at least ${fewest} tokens, more than the model's context length of ` +
        `${model.config.contextLength}`,
    );
  }
}

/** A command-line prompt's tokens ({@link checkPromptFits} first; "" is BOS alone). */
export function encodePrompt(model: LlamaModel, tokenizer: Tokenizer, text: string, what: string): number[] {
  checkPromptFits(model, tokenizer, text, what);
  return tokenizer.promptTokens(text);
}
