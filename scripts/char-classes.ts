/**
 * Which characters act as structural tokens in a character-level model (docs/algorithm.md §1):
 * prefill prompts through the full cache and measure, per character class, the attention a
 * position of that class receives from later rows (mean column mass per position, over every
 * layer and query head), against the mean over all positions. A class that receives much more
 * than the mean is worth forcing in (as FastGen does with punctuation).
 *
 *   npx tsx scripts/char-classes.ts [model] [prompts.json] [limit]
 */
import { kvLayoutOf } from "../src/interfaces.ts";
import { createBackend } from "../src/create-backend.ts";
import { compressionSettingsSchema } from "../src/fastgen/settings.ts";
import { CompressionSession } from "../src/fastgen/session.ts";
import { computeTokenClasses } from "../src/fastgen/token-classes.ts";
import { loadPromptSet } from "../src/eval/prompts.ts";
import { loadModel } from "../src/model/load.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";

const [modelPath = "models/babyllama105.bin", promptsPath = "prompts/stories.json", limitArg = "20"] = process.argv.slice(2);
const model = loadModel(modelPath);
const tokenizer = new Tokenizer(model.vocab!);
const backend = await createBackend(model, { backend: "reference", gpuMode: "auto" });
const classes = computeTokenClasses(model.vocab!);
const classOf = (piece: string, id: number): string =>
  classes.special[id]
    ? "special (BOS)"
    : piece === "▁" || piece === " "
      ? "space ▁"
      : classes.punct[id]
        ? "punctuation"
        : /^\p{L}$/u.test(piece)
          ? "letter"
          : "other";
const mass = new Map<string, { sum: number; count: number }>();
const layout = kvLayoutOf(model.config);
for (const p of loadPromptSet(promptsPath).prompts.slice(0, Number(limitArg))) {
  const tokens = p.tokens ?? tokenizer.encode(p.text!);
  const n = Math.min(tokens.length, model.config.trainedContextLength);
  const session = new CompressionSession(layout, classes, compressionSettingsSchema.parse({ policy: "fastgen" }));
  backend.prefill(tokens.slice(0, n), 0, session.cache);
  const att = session.cache.promptAttention();
  // Mean mass a column receives per later row, over layers and heads (the column's mean attention weight).
  for (let j = 0; j < n - 1; j++) {
    let m = 0;
    for (let l = 0; l < layout.nLayers; l++)
      for (let h = 0; h < layout.nHeads; h++) for (let i = j + 1; i < n; i++) m += att.row(l, h, i)[j]! * (i + 1);
    const value = m / (layout.nLayers * layout.nHeads * (n - 1 - j));
    for (const key of [classOf(model.vocab!.pieces[tokens[j]!]!, tokens[j]!), "all"]) {
      const e = mass.get(key) ?? { sum: 0, count: 0 };
      e.sum += value;
      e.count++;
      mass.set(key, e);
    }
  }
}
backend.dispose();
const all = mass.get("all")!;
console.log(
  `attention a position receives, in units of a uniform row (weight · (i + 1)), mean over later rows, layers and heads; ${modelPath}`,
);
for (const [k, e] of [...mass].sort((a, b) => b[1].sum / b[1].count - a[1].sum / a[1].count)) {
  console.log(
    `${k.padEnd(14)} ${(e.sum / e.count).toFixed(3).padStart(7)}  (${e.count} positions, ${((100 * e.count) / all.count).toFixed(1)}%)`,
  );
}
