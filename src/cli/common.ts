/** Flags and set-up shared by the commands that run the model. */
import { z } from "zod";
import type { Backend } from "../interfaces.ts";
import { BACKEND_NAMES, createBackend, GPU_MODES } from "../create-backend.ts";
import { InputError } from "../errors.ts";
import { METHOD_NAMES } from "../fastgen/methods.ts";
import { computeTokenClasses, type TokenClasses } from "../fastgen/token-classes.ts";
import { loadModel, resolveModelPath } from "../model/load.ts";
import type { LlamaModel } from "../model/types.ts";
import { Tokenizer } from "../tokenizer/tokenizer.ts";
import type { FlagSpecs } from "./args.ts";

export const MODEL_FLAGS: FlagSpecs = {
  model: { kind: "string", help: "GGUF file or llama2.c checkpoint (else $FASTGEN_MODEL, else the search path)" },
  tokenizer: { kind: "string", help: "llama2.c tokenizer file (default: tok<vocab>.bin next to the checkpoint)" },
  backend: { kind: "string", help: `${BACKEND_NAMES.join(" | ")}`, default: "reference" },
  "gpu-mode": { kind: "string", help: `gpu.js mode for --backend gpu: ${GPU_MODES.join(" | ")}`, default: "auto" },
};

export const modelFlagsSchema = z.object({
  model: z.string().min(1).optional(),
  tokenizer: z.string().min(1).optional(),
  backend: z.enum(BACKEND_NAMES, { error: `backend must be one of ${BACKEND_NAMES.join(", ")}` }).default("reference"),
  gpuMode: z.enum(GPU_MODES, { error: `gpu-mode must be one of ${GPU_MODES.join(", ")}` }).default("auto"),
});

export const COMPRESSION_FLAGS: FlagSpecs = {
  policy: { kind: "string", help: `${METHOD_NAMES.join(" | ")}` },
  threshold: { kind: "number", help: "FastGen recovery threshold T in [0, 1]", default: "0.95" },
  "r-local": { kind: "number", help: "local window ratio of the prompt length, (0, 1]", default: "0.3" },
  "r-frequent": { kind: "number", help: "heavy-hitter ratio of the current length, (0, 1]", default: "0.3" },
  gqa: { kind: "string", help: "reduce recoveries over a KV head's query heads: min | mean", default: "min" },
  sinks: { kind: "number", help: "attention sinks kept by --policy streaming", default: "4" },
  special: { kind: "string", help: "extra special tokens, comma-separated ids or pieces (pieces containing a comma by id)" },
  punct: { kind: "string", help: "replace the punctuation set: comma-separated ids or pieces (\",\" is id 432 in stories260K)" },
};

export interface OpenedModel {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly backend: Backend;
}

export async function openModel(flags: z.infer<typeof modelFlagsSchema>): Promise<OpenedModel> {
  const path = resolveModelPath(flags.model);
  const model = loadModel(path, flags.tokenizer ? { tokenizerPath: flags.tokenizer } : {});
  if (!model.vocab) throw new InputError(`${path}: no tokenizer found; pass --tokenizer PATH (a llama2.c tokenizer file)`);
  const backend = await createBackend(model, { backend: flags.backend, gpuMode: flags.gpuMode });
  return { model, tokenizer: new Tokenizer(model.vocab), backend };
}

/** Token classes with the user's --special / --punct overrides. */
export function tokenClassesFor(tokenizer: Tokenizer, special?: string, punct?: string): TokenClasses {
  const list = (s: string, flag: string) => {
    const items = s.split(",").filter((x) => x.length > 0).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    if (items.length === 0) throw new InputError(`--${flag} "${s}" names no token; give ids (a piece with a comma in it, like ",", only by id)`);
    return items;
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
