/** `fastgen synth`: write a Llama GGUF with seeded random weights at a named shape. */
import { z } from "zod";
import { printable } from "../../errors.ts";
import { llamaToGguf } from "../../model/gguf-writer.ts";
import { checkOutputFile, writeOutputFile } from "../../output-file.ts";
import { SYNTH_SHAPES, synthModel, type SynthShapeName } from "../../model/synth.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

const SHAPES = Object.keys(SYNTH_SHAPES) as [SynthShapeName, ...SynthShapeName[]];

export const SYNTH_FLAGS: FlagSpecs = {
  shape: { kind: "string", help: SHAPES.join(" | "), default: "260K" },
  type: { kind: "string", help: "tensor type: F32 | F16 | Q8_0", default: "F32" },
  seed: { kind: "number", help: "weight seed", default: "1" },
  out: { kind: "string", help: "output GGUF file" },
};

const schema = z.object({
  shape: z.enum(SHAPES, { error: `shape must be one of ${SHAPES.join(", ")}` }).default("260K"),
  type: z.enum(["F32", "F16", "Q8_0"], { error: "type must be F32, F16 or Q8_0" }).default("F32"),
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
  // Checked before the weights are made: the larger shapes take seconds and hundreds of MiB.
  checkOutputFile(flags.out, "--out");
  const model = synthModel(SYNTH_SHAPES[flags.shape], flags.seed);
  const bytes = llamaToGguf(model, { tensorType: flags.type, name: `synthetic-${flags.shape}` });
  writeOutputFile(flags.out, bytes, false, "--out");
  const c = model.config;
  io.warn(
    `wrote ${printable(flags.out)}: ${flags.shape} (dim ${c.dim}, ${c.nLayers} layers, ${c.nHeads} heads, ` +
      `${c.nKvHeads} KV heads, FFN ${c.hiddenDim}, ` +
      `vocab ${c.vocabSize}, context ${c.contextLength}), ${flags.type}, ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB`,
  );
}
