/** `fastgen sample-prompts`: a prompt set sampled from the model itself (see prompts/README.md). */
import { z } from "zod";
import { InputError, printable } from "../../errors.ts";
import { type PromptSet, promptSetSchema } from "../../eval/prompts.ts";
import { samplePromptTokens } from "../../eval/sample-prompts.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import { MIN_TEMPERATURE } from "../../generation/sampler.ts";
import { checkContext, MODEL_FLAGS, modelFlagsSchema, openModel } from "../common.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";
import { checkDistinctPaths, checkOutputFile, writeOutputFile } from "../../output-file.ts";
import { Progress } from "../../eval/progress.ts";
import { resolveModelPath } from "../../model/load.ts";

export const SAMPLE_PROMPTS_FLAGS: FlagSpecs = {
  out: { kind: "string", help: "output prompt set (JSON)" },
  count: { kind: "number", help: "number of prompts", default: "50" },
  lengths: { kind: "string", help: "prompt lengths in tokens (BOS included), used in turn", default: "12,24,48,96,160,240,300" },
  temperature: { kind: "number", help: "sampling temperature (> 0)", default: "1" },
  "top-p": { kind: "number", help: "nucleus mass, (0, 1]; 1 = plain temperature sampling", default: "1" },
  seed: { kind: "number", help: "seed of prompt 1; prompt i uses seed + i - 1", default: "1" },
  name: { kind: "string", help: "name of the set", default: "sampled" },
  ...MODEL_FLAGS,
};

const schema = modelFlagsSchema.extend({
  out: z.string({ error: "--out FILE is required" }).min(1),
  count: z.number().int("count must be a whole number").min(1).max(10_000).default(50),
  lengths: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "lengths must be comma-separated whole numbers")
    // The upper bound is the model's context length, checked once the model's header is read;
    // here only a number too large to count exactly (e.g. 400 nines, which is Infinity) is refused.
    .transform((s, ctx) => {
      const lengths = s.split(",").map((x) => Number(x.trim()));
      const huge = lengths.find((n) => !Number.isSafeInteger(n));
      if (huge !== undefined) ctx.addIssue({ code: "custom", message: `a length of ${huge} positions cannot be sampled` });
      return lengths;
    })
    .pipe(z.array(z.number().min(2, "a length must be at least 2 (BOS and one token)")))
    .default([12, 24, 48, 96, 160, 240, 300]),
  temperature: z.number().min(MIN_TEMPERATURE, `temperature must be at least ${MIN_TEMPERATURE}`).max(100).default(1),
  topP: z.number().gt(0, "top-p must be in (0, 1]").max(1, "top-p must be in (0, 1]").default(1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  // The name prefixes every prompt id ("<name>-01"), and an id is at most 100 characters.
  name: z
    .string()
    .max(80, "name must be at most 80 characters (it prefixes every prompt id)")
    .regex(/^[\w.-]+$/, "name may hold only letters, digits, _, . and - (it prefixes every prompt id, which --attention-prompt names)")
    .default("sampled"),
});

/** Forward passes above which the run shows progress (a few seconds of the reference backend on stories260K). */
const PROGRESS_FROM = 2000;
/** Tokens one run may sample: about half an hour on stories260K, and 160 times the documented prompt set. */
const MAX_TOKENS = 1_000_000;

export async function samplePromptsCommand(argv: readonly string[], io: CommandIO): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, SAMPLE_PROMPTS_FLAGS));
  checkOutputFile(flags.out, "--out");
  checkDistinctPaths(
    [{ path: flags.out, what: "--out" }],
    [
      { path: resolveModelPath(flags.model), what: "the model (--model)" },
      ...(flags.tokenizer ? [{ path: flags.tokenizer, what: "the tokenizer (--tokenizer)" }] : []),
    ],
  );
  const { model, tokenizer, backend } = await openModel(flags);
  const longest = Math.max(...flags.lengths);
  // Counted as the prompt's tokens, since evaluating the prompt feeds all of them.
  // The warning is held back until the run is known to go ahead: an error alone is one clear line.
  const warnings: string[] = [];
  checkContext(model, longest, `--lengths ${longest}`, (w) => warnings.push(w));
  // Forward passes in all: prompt i runs lengths[i mod k] - 1 of them.
  const total = Array.from({ length: flags.count }, (_, i) => flags.lengths[i % flags.lengths.length]! - 1).reduce((a, b) => a + b, 0);
  if (total > MAX_TOKENS) {
    throw new InputError(
      `--count ${flags.count} × --lengths: ${total} tokens to sample, over the limit of ${MAX_TOKENS} (hours of ` +
        `work); sample fewer or shorter prompts`,
    );
  }
  for (const w of warnings) io.warn(w);
  const { bosId, eosId } = tokenizer.vocab;
  const progress =
    total >= PROGRESS_FROM ? new Progress(total, `sample-prompts: ${flags.count} prompts, ${total} tokens`, { line: io.warn }) : undefined;
  const sets = samplePromptTokens(backend, { bos: bosId, eos: eosId }, flags, progress && (() => progress.tick()));
  progress?.finish();
  backend.dispose();
  const command = `npm run fastgen -- sample-prompts ${argv.join(" ")}`;
  const set: PromptSet = promptSetSchema.parse({
    name: flags.name,
    description:
      `${flags.count} prompts sampled from the model itself, ` +
      `${Math.min(...flags.lengths)}–${Math.max(...flags.lengths)} tokens with BOS.`,
    howMade:
      `Sampled from BOS with the full cache at temperature ${flags.temperature}, top-p ${flags.topP}, seed ` +
      `${flags.seed} + i for prompt i (counting from 0), BOS and EOS never sampled, lengths ` +
      `${flags.lengths.join(", ")} in turn; the exact token ids are stored (text is their decoding). Made by: ${command}`,
    generator: { command, seed: flags.seed, temperature: flags.temperature, topP: flags.topP, lengths: flags.lengths },
    prompts: sets.map((tokens, i) => ({ id: `${flags.name}-${String(i + 1).padStart(2, "0")}`, text: tokenizer.decode(tokens), tokens })),
  });
  // Indented, but each list of numbers on one line.
  const json = JSON.stringify(set, null, 2).replace(
    /\[\s+([-\d.,\s]+?)\s+\]/g,
    (_, inner: string) => `[${inner.split(/,\s*/).join(", ")}]`,
  );
  writeOutputFile(flags.out, json + "\n", false, "--out");
  io.warn(`wrote ${set.prompts.length} prompts to ${printable(flags.out)}`);
}
