/**
 * `fastgen synth`: write a GGUF with seeded random weights, at one of our named shapes (--shape)
 * or shaped like a model family people download (--like, src/model/families.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { InputError, printable, readProblem } from "../../errors.ts";
import { vocabFromTokenizerJson } from "../../model/hf-tokenizer.ts";
import { llamaToGguf } from "../../model/gguf-writer.ts";
import { checkOutputFile, writeOutputFile } from "../../output-file.ts";
import { SYNTH_SHAPES, synthModel, type SynthShapeName } from "../../model/synth.ts";
import { FAMILIES, FAMILY_NAMES, type FamilyName, SYNTH_TYPES, synthLike } from "../../model/families.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

const SHAPES = Object.keys(SYNTH_SHAPES) as [SynthShapeName, ...SynthShapeName[]];

export const SYNTH_FLAGS: FlagSpecs = {
  shape: { kind: "string", help: SHAPES.join(" | "), default: "260K" },
  like: { kind: "string", help: `a family's shape and architecture instead of --shape: ${FAMILY_NAMES.join(" | ")}` },
  layers: { kind: "number", help: "--like: layers (default the family's)" },
  vocab: { kind: "number", help: "--like: vocabulary size (default the family's; a synthetic vocabulary)" },
  "tokenizer-json": {
    kind: "string",
    help: "--like: a Hugging Face tokenizer.json to embed (with the chat template of the tokenizer_config.json beside it)",
  },

  type: { kind: "string", help: `tensor type (--shape: F32 | F16 | Q8_0; --like: any of ${SYNTH_TYPES.join(", ")})`, default: "F32" },
  seed: { kind: "number", help: "weight seed", default: "1" },
  out: { kind: "string", help: "output GGUF file" },
};

const FAMILY_ENUM = FAMILY_NAMES as [FamilyName, ...FamilyName[]];
const schema = z.object({
  shape: z.enum(SHAPES, { error: `shape must be one of ${SHAPES.join(", ")}` }).default("260K"),
  like: z.enum(FAMILY_ENUM, { error: `--like must be one of ${FAMILY_NAMES.join(", ")}` }).optional(),
  layers: z.number().int().min(1, "--layers must be at least 1").max(256).optional(),
  vocab: z
    .number()
    .int()
    .min(259, "--vocab must be at least 259 (3 control pieces and 256 bytes)")
    .max(1 << 20)
    .optional(),
  tokenizerJson: z.string().min(1).optional(),
  type: z.string().default("F32"),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  out: z.string({ error: "--out FILE is required" }).min(1),
});

export async function synthCommand(argv: readonly string[], io: CommandIO): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, SYNTH_FLAGS));
  if (flags.like) return synthLikeCommand(flags.like, flags, io);
  if (flags.layers !== undefined || flags.vocab !== undefined || flags.tokenizerJson !== undefined)
    throw new InputError("--layers, --vocab and --tokenizer-json go with --like");
  if (!["F32", "F16", "Q8_0"].includes(flags.type)) throw new InputError("--type with --shape: type must be F32, F16 or Q8_0");
  // Checked before the weights are made: the larger shapes take seconds and hundreds of MiB.
  checkOutputFile(flags.out, "--out");
  const model = synthModel(SYNTH_SHAPES[flags.shape], flags.seed);
  const bytes = llamaToGguf(model, { tensorType: flags.type as "F32" | "F16" | "Q8_0", name: `synthetic-${flags.shape}` });
  writeOutputFile(flags.out, bytes, false, "--out");
  const c = model.config;
  io.warn(
    `wrote ${printable(flags.out)}: ${flags.shape} (dim ${c.dim}, ${c.nLayers} layers, ${c.nHeads} heads, ` +
      `${c.nKvHeads} KV heads, FFN ${c.hiddenDim}, ` +
      `vocab ${c.vocabSize}, context ${c.contextLength}), ${flags.type}, ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB`,
  );
}

async function synthLikeCommand(
  family: FamilyName,
  flags: {
    type: string;
    seed: number;
    out: string;
    layers?: number | undefined;
    vocab?: number | undefined;
    tokenizerJson?: string | undefined;
  },
  io: CommandIO,
): Promise<void> {
  if (!SYNTH_TYPES.includes(flags.type)) throw new InputError(`--type must be one of ${SYNTH_TYPES.join(", ")}`);
  checkOutputFile(flags.out, "--out");
  const vocab =
    flags.tokenizerJson !== undefined ? readTokenizerJson(flags.tokenizerJson, flags.vocab ?? FAMILIES[family].vocabSize) : undefined;
  const bytes = synthLike(family, {
    type: flags.type,
    seed: flags.seed,
    ...(flags.layers !== undefined ? { layers: flags.layers } : {}),
    ...(flags.vocab !== undefined ? { vocabSize: flags.vocab } : {}),
    ...(vocab ? { vocab } : {}),
  });
  writeOutputFile(flags.out, bytes, false, "--out");
  const f = FAMILIES[family];
  io.warn(
    `wrote ${printable(flags.out)}: like ${family} (${f.architecture}, dim ${f.dim}, ${flags.layers ?? f.nLayers} layers, ` +
      `${f.nHeads} heads over ${f.nKvHeads} KV heads of ${f.headDim}, FFN ${f.hiddenDim}, vocab ${flags.vocab ?? f.vocabSize}), ` +
      `${flags.type}, random weights, ${vocab ? `the tokenizer of ${printable(flags.tokenizerJson!)}` : "a synthetic vocabulary"}, ` +
      `${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB`,
  );
}

/** Largest tokenizer.json read (Qwen's is 11 MB). */
const MAX_TOKENIZER_JSON_BYTES = 64 * 2 ** 20;

/** tokenizer.json and, where it is there, the tokenizer_config.json beside it, as a vocabulary of `vocabSize` pieces. */
function readTokenizerJson(path: string, vocabSize: number) {
  const read = (file: string, what: string) => {
    try {
      if (statSync(file).size > MAX_TOKENIZER_JSON_BYTES)
        throw new InputError(`${what} ${printable(file)} is over ${MAX_TOKENIZER_JSON_BYTES} bytes`);
      return JSON.parse(readFileSync(file, "utf8")) as unknown;
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${what}: cannot read ${printable(file)} as JSON: ${readProblem(e)}`);
    }
  };
  const json = read(path, "--tokenizer-json");
  const configPath = join(dirname(path), "tokenizer_config.json");
  const config = existsSync(configPath) ? read(configPath, "tokenizer_config.json") : undefined;
  return vocabFromTokenizerJson(json, config, path, vocabSize);
}
