/**
 * `fastgen logits`: float32 little-endian logits, one row of vocabSize per fed token, for
 * differential testing. With a policy other than full, rows 0..N-1 come from the full cache
 * and the rest from the compressed cache (spec §12.12, `--prompt-length N`).
 */
import { z } from "zod";
import { InputError, printable } from "../../errors.ts";
import { compressionSettingsSchema, POLICY_NAMES } from "../../fastgen/settings.ts";
import { teacherForce } from "../../fastgen/pipeline.ts";
import { checkFiniteLogits } from "../../generation/sampler.ts";
import { resolveModelPath } from "../../model/load.ts";
import { checkDistinctPaths, checkOutputFile, writeOutputFile } from "../../output-file.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import { checkContext, COMPRESSION_FLAGS, encodePrompt, MODEL_FLAGS, modelFlagsSchema, openModel, tokenClassesFor } from "../common.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

export const LOGITS_FLAGS: FlagSpecs = {
  tokens: { kind: "string", help: "comma-separated token ids to feed, e.g. 1,403,407" },
  prompt: { kind: "string", help: "text to encode (with BOS) instead of --tokens", allowEmpty: true },
  out: { kind: "string", help: "output file: float32 LE [rows][vocabSize]" },
  "prompt-length": { kind: "number", help: "profile and compress after the first N tokens (needed with a compressing policy)" },
  ...MODEL_FLAGS,
  ...COMPRESSION_FLAGS,
  policy: { kind: "string", help: POLICY_NAMES.join(" | "), default: "full" },
};

const schema = modelFlagsSchema.extend(compressionSettingsSchema.omit({ policy: true }).shape).extend({
  tokens: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "tokens must be comma-separated non-negative integers")
    .optional(),
  prompt: z.string().optional(),
  out: z.string({ error: "--out FILE is required" }).min(1),
  promptLength: z.number().int("prompt-length must be a whole number").min(1, "prompt-length must be at least 1").optional(),
  policy: compressionSettingsSchema.shape.policy.default("full"),
  special: z.string().optional(),
  punct: z.string().optional(),
});

/** Largest logits file the command writes (float32 rows are held in memory until written). */
const MAX_OUTPUT_BYTES = 2 ** 30;

export async function logitsCommand(argv: readonly string[], io: CommandIO): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, LOGITS_FLAGS));
  if ((flags.tokens === undefined) === (flags.prompt === undefined)) throw new InputError("give exactly one of --tokens and --prompt");
  // The output is checked before the model runs: a bad path must not cost a whole forward pass.
  checkOutputFile(flags.out, "--out");
  checkDistinctPaths(
    [{ path: flags.out, what: "--out" }],
    [
      { path: resolveModelPath(flags.model), what: "the model (--model)" },
      ...(flags.tokenizer ? [{ path: flags.tokenizer, what: "the tokenizer (--tokenizer)" }] : []),
    ],
  );
  const { model, tokenizer, backend } = await openModel(flags);
  const tokens =
    flags.tokens !== undefined
      ? flags.tokens.split(",").map((t) => Number(t.trim()))
      : encodePrompt(model, tokenizer, flags.prompt!, "--prompt");
  const bad = tokens.find((t) => t >= model.config.vocabSize);
  if (bad !== undefined) throw new InputError(`--tokens: id ${bad} is outside the vocabulary (0..${model.config.vocabSize - 1})`);
  if (flags.promptLength !== undefined && flags.promptLength > tokens.length) {
    throw new InputError(`--prompt-length ${flags.promptLength} is longer than the ${tokens.length} tokens given`);
  }
  if (flags.policy !== "full" && flags.promptLength === undefined) {
    throw new InputError(
      `--policy ${flags.policy} needs --prompt-length N: the first N tokens are the prompt that is profiled and compressed`,
    );
  }
  checkContext(model, tokens.length, flags.tokens !== undefined ? "--tokens" : "--prompt", io.warn);
  // Every row is kept and written at once: refuse an output no machine running this would hold.
  const outputBytes = 4 * tokens.length * model.config.vocabSize;
  if (outputBytes > MAX_OUTPUT_BYTES) {
    throw new InputError(
      `${flags.tokens !== undefined ? "--tokens" : "--prompt"}: ${tokens.length} rows × ${model.config.vocabSize} ` +
        `logits is ${(outputBytes / 2 ** 30).toFixed(1)} GiB, over the ${MAX_OUTPUT_BYTES / 2 ** 30} GiB limit; feed fewer tokens`,
    );
  }
  const classes = tokenClassesFor(tokenizer, flags.special, flags.punct);
  const { rows, session } = teacherForce(backend, classes, { ...flags, policy: flags.policy }, tokens, flags.promptLength ?? tokens.length);
  // A NaN row is an error, not data: a differential test would compare NaN with NaN and learn nothing.
  rows.forEach((row, p) => checkFiniteLogits(row, `at position ${p}`));
  const V = model.config.vocabSize;
  const data = new Float32Array(rows.length * V);
  rows.forEach((r, i) => data.set(r, i * V));
  writeOutputFile(flags.out, new Uint8Array(data.buffer), false, "--out");
  const s = session.summary();
  io.warn(
    `wrote ${rows.length} rows × ${V} logits (float32 LE) to ${printable(flags.out)}; backend ${backend.name}, policy ${flags.policy}` +
      (flags.policy !== "full"
        ? `, compression after prompt ${(100 * s.afterPrefill).toFixed(1)}%, final ${(100 * s.final).toFixed(1)}%`
        : ""),
  );
  backend.dispose();
}
