/**
 * Prompt sets: a JSON file (validated with zod) holding prompts as text (tokenized with BOS at
 * evaluation time) or as exact token ids (model-sampled sets). Lengths are planned so that the
 * prompt and the forced tokens fit the trained context (spec §12.14).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { InputError, printable, readProblem } from "../errors.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";

const promptSchema = z
  .object({
    id: z
      .string()
      .min(1, "id must not be empty")
      .max(100)
      // Ids go to the terminal, the report and the JSON: a newline or an escape in one is refused.
      .refine((id) => printable(id, Number.POSITIVE_INFINITY) === id, "id must be printable (no control or invisible characters)"),
    text: z.string().min(1, "text must not be empty").optional(),
    tokens: z
      .array(z.number().int("token ids are whole numbers").min(0, "token ids are ≥ 0"))
      .min(1, "tokens must not be empty")
      .optional(),
  })
  .strict()
  .refine((p) => p.text !== undefined || p.tokens !== undefined, "a prompt needs text or tokens");

export const promptSetSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    /** How the set was made, for the report. */
    howMade: z.string().min(1),
    /** For generated sets: the command and settings that made them. */
    generator: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.number())])).optional(),
    prompts: z.array(promptSchema).min(1, "a prompt set needs at least one prompt"),
  })
  .strict()
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.prompts.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: "custom", path: ["prompts", i, "id"], message: `duplicate id "${p.id}"` });
      seen.add(p.id);
    });
  });
export type PromptSet = z.infer<typeof promptSetSchema>;

/** Problems shown in the one-line message (the rest are counted). */
const SHOWN_ISSUES = 3;

/**
 * Parses and validates a prompt set; every problem names its place in the file, all on one line
 * (the first few, and how many more). A byte-order mark, as some editors write, is skipped.
 */
export function parsePromptSet(json: string, source: string): PromptSet {
  let data: unknown;
  try {
    data = JSON.parse(json.startsWith("\ufeff") ? json.slice(1) : json);
  } catch (e) {
    throw new InputError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const result = promptSetSchema.safeParse(data);
  if (result.success) return result.data;
  const where = (path: readonly PropertyKey[]) =>
    path
      .map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`))
      .join("")
      .replace(/^\./, "");
  // zod says "Invalid input: expected string, received undefined" for a key that is not there.
  const said = (message: string) => message.replace(/^Invalid input: expected (\w+), received undefined$/, "missing (a $1 is needed)");
  const issues = result.error.issues.map((i) => `${where(i.path) || "(top)"}: ${said(i.message)}`);
  const more = issues.length > SHOWN_ISSUES ? `; and ${issues.length - SHOWN_ISSUES} more` : "";
  throw new InputError(`${source}: not a valid prompt set: ${issues.slice(0, SHOWN_ISSUES).join("; ")}${more}`);
}

export function loadPromptSet(path: string): PromptSet {
  let json: string;
  try {
    json = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`--prompts: cannot read ${printable(path, 300)}: ${readProblem(e)}`);
  }
  return parsePromptSet(json, path);
}

export interface EvalPrompt {
  readonly id: string;
  readonly tokens: readonly number[];
  /** Forced tokens N for this prompt (clipped to the context). */
  readonly forced: number;
}

export interface PromptPlan {
  readonly prompts: EvalPrompt[];
  /** One line per prompt that was clipped or skipped. */
  readonly notes: string[];
  /** Prompts left out because they leave no room in the context for a single forced token. */
  readonly skipped: SkippedPrompt[];
}

export interface SkippedPrompt {
  readonly id: string;
  /** Its length in tokens (BOS included). */
  readonly tokens: number;
}

/**
 * Tokenizes the first `limit` prompts and plans N: prompt + N ≤ context (positions 0..n+N-1);
 * N is clipped where needed, and a prompt with no room left is skipped.
 */
export function planPrompts(set: PromptSet, tokenizer: Tokenizer, options: { limit: number; forced: number; context: number }): PromptPlan {
  const prompts: EvalPrompt[] = [];
  const notes: string[] = [];
  const skipped: SkippedPrompt[] = [];
  for (const p of set.prompts.slice(0, options.limit)) {
    const tokens = p.tokens ?? tokenizer.encode(p.text!);
    const bad = tokens.find((t) => t >= tokenizer.vocabSize);
    if (bad !== undefined)
      throw new InputError(`prompt ${p.id}: token id ${bad} is outside the vocabulary (0..${tokenizer.vocabSize - 1})`);
    const room = options.context - tokens.length;
    if (room < 1) {
      notes.push(`${p.id}: skipped, its ${tokens.length} tokens leave no room in the ${options.context}-token context`);
      skipped.push({ id: p.id, tokens: tokens.length });
      continue;
    }
    const forced = Math.min(options.forced, room);
    if (forced < options.forced) notes.push(`${p.id}: ${tokens.length} prompt tokens, so N clipped from ${options.forced} to ${forced}`);
    prompts.push({ id: p.id, tokens, forced });
  }
  return { prompts, notes, skipped };
}
