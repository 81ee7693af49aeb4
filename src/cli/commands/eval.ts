/**
 * `fastgen eval`: FastGen against the baselines on a prompt set (spec §9, §10): every policy and
 * setting, the quality metrics at matched compression, pictures, a Markdown report and a JSON file.
 */
import { availableParallelism } from "node:os";
import { basename, extname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../../errors.ts";
import { readInputText } from "../../output-file.ts";
import { compressionSettingsSchema } from "../../fastgen/settings.ts";
import { checkEvalOutputs } from "../../eval/output-paths.ts";
import { runEvaluation } from "../../eval/run-eval.ts";
import { SWEPT_BASELINES } from "../../eval/settings.ts";
import { pct, sig } from "../../eval/report-format.ts";
import { repoRoot, resolveModelPath } from "../../model/load.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import { COMPRESSION_FLAGS, MODEL_FLAGS, modelFlagsSchema, openModel, tokenClassesFor } from "../common.ts";
import { uninterruptible } from "../interrupt.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";
import { evalTaskCommand } from "./eval-task.ts";

/** Defaults of the full run, and of `--quick` (CI: a few prompts, settings and tokens). */
const DEFAULTS = {
  prompts: join(repoRoot, "prompts", "stories.json"),
  limit: Infinity,
  tokens: 128,
  thresholds: [0.8, 0.85, 0.9, 0.95, 0.98, 0.99],
  local: [0.25, 0.5, 0.75, 1],
  frequent: [0.6, 0.7, 0.8, 0.9],
  h2o: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
  streaming: [0.25, 0.5, 0.75, 1],
  budgeted: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
};
const QUICK: typeof DEFAULTS = {
  ...DEFAULTS,
  limit: 3,
  tokens: 12,
  thresholds: [0.9, 0.98],
  local: [0.5, 1],
  frequent: [0.7],
  h2o: [0.3],
  streaming: [0.5],
  budgeted: [0.5],
};

export const EVAL_FLAGS: FlagSpecs = {
  task: {
    kind: "string",
    help: "a long-context task instead of a prompt set: perplexity | passkey | lines (fastgen eval --task T --help)",
  },
  prompts: { kind: "string", help: "prompt set (JSON, see prompts/README.md)", default: "prompts/stories.json" },
  limit: { kind: "number", help: "evaluate only the first N prompts", default: "all" },
  tokens: { kind: "number", help: "forced tokens N per prompt (clipped to the trained context)", default: "128" },
  thresholds: { kind: "string", help: "FastGen thresholds T, comma-separated", default: DEFAULTS.thresholds.join(",") },
  local: {
    kind: "string",
    help: "local baseline ratios r (window r·n), comma-separated; none to skip",
    default: DEFAULTS.local.join(","),
  },
  frequent: { kind: "string", help: "frequent baseline ratios r (k = r·L); none to skip", default: DEFAULTS.frequent.join(",") },
  h2o: { kind: "string", help: "h2o (frequent ∪ local) ratios r, both components at r; none to skip", default: DEFAULTS.h2o.join(",") },
  streaming: { kind: "string", help: "streaming (sinks ∪ local) ratios r; none to skip", default: DEFAULTS.streaming.join(",") },
  budgeted: { kind: "string", help: "budgeted compressions C, comma-separated; none to skip", default: DEFAULTS.budgeted.join(",") },
  observe: {
    kind: "number",
    help:
      "observation window W: rerun FastGen at --attention-threshold and budgeted at C = 0.5 with recovery over " +
      "the last W prompt rows; 0 to skip",
    default: "16",
  },
  "r-local": { kind: "number", help: "FastGen's local window ratio of the prompt length, (0, 1]", default: "0.3" },
  "r-frequent": { kind: "number", help: "FastGen's heavy-hitter ratio of the current length, (0, 1]", default: "0.3" },
  gqa: COMPRESSION_FLAGS.gqa!,
  sinks: { kind: "number", help: "attention sinks of the streaming baseline", default: "4" },
  special: COMPRESSION_FLAGS.special!,
  punct: COMPRESSION_FLAGS.punct!,
  workers: {
    kind: "number",
    help: "worker threads, each with its own copy of the model (and one wasm thread)",
    default: "the number of CPUs (1 with --quick or --backend gpu)",
  },
  out: { kind: "string", help: "folder for the pictures", default: "docs/results" },
  report: { kind: "string", help: "Markdown report", default: "<out>.md" },
  json: { kind: "string", help: "also write every number as JSON to this file" },
  png: { kind: "boolean", help: "also write PNG pictures (--png=false for SVG only)", default: "true" },
  notes: { kind: "string", help: "Markdown file of hand-written notes to include in the report" },
  headline: { kind: "string", help: "thresholds shown first in the report", default: "0.95,0.98" },
  "attention-prompt": { kind: "string", help: "prompt id for the attention picture", default: "the prompt closest to 40 tokens" },
  "attention-head": {
    kind: "string",
    help: "layer:queryHead for the attention picture",
    default: "the first head on SPF, else SPFL, SP, S",
  },
  "attention-threshold": { kind: "number", help: "FastGen T of the attention picture", default: "0.95" },
  quick: {
    kind: "boolean",
    help:
      `a small run for CI: ${QUICK.limit} prompts, N = ${QUICK.tokens}, T ${QUICK.thresholds.join(",")}, one or ` +
      `two ratios per baseline; other flags still apply`,
  },
  ...MODEL_FLAGS,
};

/**
 * Values one list may hold: each is a setting evaluated on every prompt, so a thousand of them run for
 * hours, and the pictures cannot be drawn (the chart library's expressions overflow the stack).
 */
const MAX_LIST_VALUES = 100;

/** "0.1,0.2" → sorted unique numbers in range; "none" or "" → []. */
const numberList = (what: string, lo: number, hi: number, loOpen: boolean) =>
  z.string().transform((s, ctx) => {
    const text = s.trim();
    if (text === "" || text === "none") return [];
    const values: number[] = [];
    for (const part of text.split(",")) {
      const x = part.trim() === "" ? NaN : Number(part);
      if (!Number.isFinite(x) || x > hi || (loOpen ? x <= lo : x < lo)) {
        ctx.addIssue({ code: "custom", message: `${what}: "${part.trim()}" is not a number in ${loOpen ? "(" : "["}${lo}, ${hi}]` });
        return z.NEVER;
      }
      values.push(x);
    }
    const unique = [...new Set(values)].sort((a, b) => a - b);
    if (unique.length > MAX_LIST_VALUES) {
      ctx.addIssue({
        code: "custom",
        message: `${what}: ${unique.length} values; at most ${MAX_LIST_VALUES} (each is a setting run on every prompt)`,
      });
      return z.NEVER;
    }
    return unique;
  });
const thresholds = numberList("thresholds", 0, 1, false);
const ratios = numberList("ratios", 0, 1, true);
const compressions = numberList("budgeted", 0, 1, false).refine((cs) => cs.every((c) => c < 1), "budgeted: compressions must be below 1");

const schema = modelFlagsSchema
  .extend(compressionSettingsSchema.pick({ rLocal: true, rFrequent: true, gqa: true, sinks: true }).shape)
  .extend({
    prompts: z.string().min(1).optional(),
    limit: z.number().int("limit must be a whole number").min(1, "limit must be at least 1").optional(),
    tokens: z.number().int("tokens must be a whole number").min(1, "tokens must be at least 1").max(4096).optional(),
    thresholds: thresholds.optional(),
    local: ratios.optional(),
    frequent: ratios.optional(),
    h2o: ratios.optional(),
    streaming: ratios.optional(),
    budgeted: compressions.optional(),
    observe: z.number().int("observe must be a whole number").min(0, "observe must be ≥ 0").default(16),
    special: z.string().optional(),
    punct: z.string().optional(),
    workers: z.number().int("workers must be a whole number").min(1, "workers must be at least 1").max(64).optional(),
    out: z.string().min(1).default("docs/results"),
    report: z.string().min(1).optional(),
    json: z.string().min(1).optional(),
    png: z.boolean().default(true),
    notes: z.string().min(1).optional(),
    headline: thresholds.default([0.95, 0.98]),
    attentionPrompt: z.string().min(1).optional(),
    attentionHead: z
      .string()
      .regex(/^\d+:\d+$/, "attention-head must be layer:queryHead, e.g. 2:4")
      .transform((s) => ({ layer: Number(s.split(":")[0]), head: Number(s.split(":")[1]) }))
      .optional(),
    attentionThreshold: z.number().min(0).max(1).default(0.95),
    quick: z.boolean().default(false),
  });

const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

export interface ProgressTty {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export async function evalCommand(argv: readonly string[], io: CommandIO, tty?: ProgressTty): Promise<void> {
  // A long-context task has its own flags (spec §14.7).
  if (argv.some((a) => a === "--task" || a.startsWith("--task="))) return evalTaskCommand(argv, io, tty);
  const given = parseFlags(argv, EVAL_FLAGS);
  const flags = validateFlags(schema, given);
  const preset = flags.quick ? QUICK : DEFAULTS;
  const thresholdList = flags.thresholds ?? preset.thresholds;
  if (thresholdList.length === 0) throw new InputError("--thresholds: give at least one FastGen threshold");
  // Defaults fall back to thresholds that were run; values the user gave must name one, or they would be silently ignored.
  const notRun = (t: number) => !thresholdList.includes(t);
  if (given.headline !== undefined && flags.headline.some(notRun)) {
    throw new InputError(
      `--headline: ${flags.headline.filter(notRun).join(", ")} not among the thresholds evaluated (${thresholdList.join(", ")})`,
    );
  }
  if (given.attentionThreshold !== undefined && notRun(flags.attentionThreshold)) {
    throw new InputError(
      `--attention-threshold: ${flags.attentionThreshold} is not among the thresholds evaluated (${thresholdList.join(", ")})`,
    );
  }
  // Everything the user named is checked now, not after minutes of evaluation: the notes can be
  // read, every output can be written (and overwrites no input), the model file exists.
  if (flags.notes) readInputText(flags.notes, "--notes");
  const outDir = flags.out.length > 1 ? flags.out.replace(/[\\/]+$/, "") : flags.out;
  // The report defaults to <out>.md next to the folder; for "/", "." or ".." that is no sensible file.
  if (flags.report === undefined && /(^|[\\/])\.{0,2}$/.test(outDir)) {
    throw new InputError(`--out ${outDir}: give --report FILE too (the default, <out>.md, needs a folder with a name)`);
  }
  const reportPath = flags.report ?? `${outDir}.md`;
  const promptsPath = flags.prompts ?? preset.prompts;
  const modelPath = resolveModelPath(flags.model);
  checkEvalOutputs(
    { outDir, reportPath, ...(flags.json ? { jsonPath: flags.json } : {}), png: flags.png },
    {
      promptsPath,
      modelPath,
      ...(flags.tokenizer ? { tokenizerPath: flags.tokenizer } : {}),
      ...(flags.notes ? { notesPath: flags.notes } : {}),
    },
  );
  // Prompts are independent: one worker per core is the best split for the CPU backends (the wasm
  // threads only help on products far larger than the embedded models'); gpu.js gets one.
  const workers = flags.workers ?? (flags.quick || flags.backend === "gpu" ? 1 : availableParallelism());
  // With several workers each runs on one wasm thread, so the cores are not oversubscribed; the
  // main thread's backend (named in the report) is set up the same way.
  const threads = workers > 1 ? 1 : flags.threads;
  // The worker threads load the model on their own (src/eval/worker.ts) and do not take it yet.
  if (flags.activations === "ggml")
    throw new InputError("eval runs --activations float only; generate, logits, profile and eval --task take ggml");
  const { model, tokenizer, backend } = await openModel({ ...flags, threads });
  const config = model.config;
  if (flags.attentionHead && (flags.attentionHead.layer >= config.nLayers || flags.attentionHead.head >= config.nHeads)) {
    throw new InputError(`--attention-head: the model has layers 0..${config.nLayers - 1} and query heads 0..${config.nHeads - 1}`);
  }
  const options = {
    promptsPath,
    limit: flags.limit ?? preset.limit,
    forced: flags.tokens ?? preset.tokens,
    thresholds: thresholdList,
    ratios: {
      local: flags.local ?? preset.local,
      frequent: flags.frequent ?? preset.frequent,
      h2o: flags.h2o ?? preset.h2o,
      streaming: flags.streaming ?? preset.streaming,
      budgeted: flags.budgeted ?? preset.budgeted,
    },
    ...(flags.observe > 0 ? { observe: { window: flags.observe, threshold: flags.attentionThreshold, compression: 0.5 } } : {}),
    rLocal: flags.rLocal,
    rFrequent: flags.rFrequent,
    gqa: flags.gqa,
    sinks: flags.sinks,
    workers,
    attention: {
      threshold: flags.attentionThreshold,
      ...(flags.attentionPrompt ? { promptId: flags.attentionPrompt } : {}),
      ...(flags.attentionHead ? { head: flags.attentionHead } : {}),
    },
  };
  const run = await runEvaluation(
    {
      backend,
      tokenizer,
      classes: tokenClassesFor(tokenizer, flags.special, flags.punct),
      config,
      modelPath,
      ...(flags.tokenizer ? { tokenizerPath: flags.tokenizer } : {}),
      backendOptions: { backend: flags.backend, gpuMode: flags.gpuMode, threads },
    },
    { ...options, promptsPath: resolve(promptsPath) },
    {
      ...(tty?.isTTY ? { tty: { write: (t: string) => void tty.write(t), ...(tty.columns ? { columns: tty.columns } : {}) } } : {}),
      line: io.warn,
    },
  );
  backend.dispose();
  const shownRun = { ...run, options: { ...run.options, promptsPath: relative(repoRoot, resolve(promptsPath)) } };
  // Loaded only here: the plotting libraries are not needed by the other commands.
  const { writeOutputs } = await import("../../eval/outputs.ts");
  // Ctrl-C while the results are written takes effect after them: all files or none (cli/interrupt.ts).
  const written = await uninterruptible(() =>
    writeOutputs(shownRun, {
      outDir,
      reportPath,
      ...(flags.json ? { jsonPath: flags.json } : {}),
      png: flags.png,
      ...(flags.notes ? { notesPath: flags.notes } : {}),
      command: `npm run fastgen -- eval ${argv.map(shellQuote).join(" ")}`.trim(),
      backend: backend.name,
      config,
      modelName: basename(modelPath, extname(modelPath)),
      headline: flags.headline,
    }),
  );
  for (const row of run.matched) {
    io.out(
      `FastGen T=${row.threshold}: compression ${pct(row.compression)}, KL ${sig(row.fastgen.kl ?? NaN)}, top-1 ` +
        `${pct(row.fastgen.top1 ?? NaN)}\n`,
    );
  }
  io.out(
    `wrote ${written.join(", ")} (${(run.seconds / 60).toFixed(1)} min, ${run.workers} ` +
      `worker${run.workers > 1 ? "s" : ""}, baselines ${SWEPT_BASELINES.join("/")})\n`,
  );
}
