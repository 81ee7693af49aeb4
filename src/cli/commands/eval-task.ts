/**
 * `fastgen eval --task perplexity|passkey|lines`: every method of spec §9 and §14 against FastGen on
 * one long-context task (spec §14.7), swept over the compression; curves, a report and a JSON file.
 */
import { existsSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { z } from "zod";
import { InputError } from "../../errors.ts";
import { checkDistinctPaths, checkOutputFolder, readInputText } from "../../output-file.ts";
import {
  generatedLineCases,
  lineCases,
  MAX_GENERATED_LINES,
  passkeyCases,
  perplexityCases,
  TASK_NAMES,
  type TaskCase,
} from "../../eval/tasks/cases.ts";
import { runTask, TASK_METHODS, type TaskMethod, taskSettings } from "../../eval/tasks/run-task.ts";
import { summarizeTask } from "../../eval/tasks/summary.ts";
import { repoRoot, resolveModelPath } from "../../model/load.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import { MODEL_FLAGS, modelFlagsSchema, openModel, tokenClassesFor } from "../common.ts";
import { uninterruptible } from "../interrupt.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";

const SHARED_DATA = join(repoRoot, "..", "shared", "data");
const DEFAULT_TEXT = join(SHARED_DATA, "pride-and-prejudice.txt");
const DEFAULT_CASES = join(SHARED_DATA, "longeval", "200_lines.jsonl");

export const TASK_FLAGS: FlagSpecs = {
  task: { kind: "string", help: TASK_NAMES.join(" | ") },
  methods: { kind: "string", help: `comma-separated, of ${TASK_METHODS.join(", ")}`, default: "all" },
  compressions: { kind: "string", help: "compressions C for every method but fastgen, comma-separated", default: "0.2,0.4,0.6,0.8" },
  thresholds: { kind: "string", help: "FastGen thresholds T, comma-separated", default: "0.8,0.9,0.95,0.99" },
  text: { kind: "string", help: "perplexity: a long text with lines 'Chapter I.'", default: "../shared/data/pride-and-prejudice.txt" },
  cases: { kind: "string", help: "lines: LongEval JSONL file", default: "../shared/data/longeval/200_lines.jsonl" },
  lines: { kind: "number", help: "lines: generate records of this many lines instead of reading --cases" },
  lengths: { kind: "string", help: "passkey: case lengths in tokens, comma-separated", default: "¼, ½ and all of the trained context" },
  depths: { kind: "string", help: "passkey and generated lines: depths in [0, 1], comma-separated", default: "0,0.25,0.5,0.75,1" },
  limit: { kind: "number", help: "perplexity: chapters; lines: cases from --cases", default: "4 chapters; 10 cases" },
  length: { kind: "number", help: "perplexity and lines: tokens per case at most", default: "the trained context" },
  seed: { kind: "number", help: "passkey numbers and generated lines", default: "1" },
  out: { kind: "string", help: "folder for <task>.md, .json, .svg, .png", default: "docs/results/tasks" },
  png: { kind: "boolean", help: "also write the PNG (--png=false for SVG only)", default: "true" },
  special: { kind: "string", help: "extra special tokens (as for generate)" },
  punct: { kind: "string", help: "replace the punctuation set (as for generate)" },
  ...MODEL_FLAGS,
};

const list = (what: string, lo: number, hi: number, hiOpen: boolean) =>
  z.string().transform((s, ctx) => {
    const values = s.split(",").map((p) => (p.trim() === "" ? NaN : Number(p)));
    const bad = values.findIndex((x) => !Number.isFinite(x) || x < lo || (hiOpen ? x >= hi : x > hi));
    if (bad >= 0 || values.length > 20) {
      const range = `[${lo}, ${hi}${hiOpen ? ")" : "]"}`;
      ctx.addIssue({
        code: "custom",
        message: bad >= 0 ? `${what}: "${s.split(",")[bad]!.trim()}" is not in ${range}` : `${what}: at most 20`,
      });
      return z.NEVER;
    }
    return [...new Set(values)].sort((a, b) => a - b);
  });

const schema = modelFlagsSchema.extend({
  task: z.enum(TASK_NAMES, { error: `task must be one of ${TASK_NAMES.join(", ")}` }),
  methods: z
    .string()
    .transform((s, ctx) => {
      if (s.trim() === "all") return [...TASK_METHODS];
      const names = s.split(",").map((m) => m.trim());
      const bad = names.find((m) => !(TASK_METHODS as readonly string[]).includes(m));
      if (bad !== undefined) {
        ctx.addIssue({ code: "custom", message: `methods: "${bad}" is not one of ${TASK_METHODS.join(", ")}` });
        return z.NEVER;
      }
      return [...new Set(names)] as TaskMethod[];
    })
    .optional(),
  compressions: list("compressions", 0, 1, true).optional(),
  thresholds: list("thresholds", 0, 1, false).optional(),
  text: z.string().min(1).optional(),
  cases: z.string().min(1).optional(),
  lines: z
    .number()
    .int("lines must be a whole number")
    .min(2, "lines must be at least 2")
    .max(MAX_GENERATED_LINES, `lines must be at most ${MAX_GENERATED_LINES} (the distinct line names)`)
    .optional(),
  lengths: z
    .string()
    .transform((s, ctx) => {
      const values = s.split(",").map((p) => Number(p));
      if (values.some((x) => !Number.isInteger(x) || x < 16 || x > 1 << 20) || values.length > 20) {
        ctx.addIssue({ code: "custom", message: "lengths: whole numbers of tokens from 16, at most 20 of them" });
        return z.NEVER;
      }
      return [...new Set(values)].sort((a, b) => a - b);
    })
    .optional(),
  depths: list("depths", 0, 1, false).optional(),
  limit: z.number().int("limit must be a whole number").min(1, "limit must be at least 1").optional(),
  length: z.number().int("length must be a whole number").min(16, "length must be at least 16").optional(),
  seed: z
    .number()
    .int("seed must be a whole number")
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  out: z.string().min(1).default("docs/results/tasks"),
  png: z.boolean().default(true),
  special: z.string().optional(),
  punct: z.string().optional(),
});

const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

/** An input the task reads: given, or the shared default, with a one-line answer when neither is there. */
function inputPath(given: string | undefined, fallback: string, flag: string): string {
  if (given !== undefined) return given;
  if (!existsSync(fallback)) throw new InputError(`${flag}: the default ${fallback} is not on this machine; give ${flag} FILE`);
  return fallback;
}

/** Where the progress bar goes (stderr when it is a terminal). */
interface TaskTty {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export async function evalTaskCommand(argv: readonly string[], io: CommandIO, tty?: TaskTty): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, TASK_FLAGS));
  const { task } = flags;
  const misplaced = (
    [
      ["text", task === "perplexity"],
      ["cases", task === "lines"],
      ["lines", task === "lines"],
      ["lengths", task === "passkey"],
      ["length", task !== "passkey"],
      ["limit", task !== "passkey"],
    ] as const
  ).find(([f, ok]) => !ok && flags[f] !== undefined);
  if (misplaced) throw new InputError(`--${misplaced[0]} does not apply to --task ${task}`);
  if (flags.lines !== undefined && flags.cases !== undefined) throw new InputError("--lines and --cases: give one (generated or read)");
  const outDir = flags.out.length > 1 ? flags.out.replace(/[\\/]+$/, "") : flags.out;
  const textPath = task === "perplexity" ? inputPath(flags.text, DEFAULT_TEXT, "--text") : undefined;
  const casesPath = task === "lines" && flags.lines === undefined ? inputPath(flags.cases, DEFAULT_CASES, "--cases") : undefined;
  const modelPath = resolveModelPath(flags.model);
  checkOutputFolder(outDir, "--out");
  const { taskOutputPaths } = await import("../../eval/tasks/task-outputs.ts");
  checkDistinctPaths(
    taskOutputPaths(outDir, task, flags.png).map((path) => ({ path, what: "an output of --out" })),
    [
      { path: modelPath, what: "the model (--model)" },
      ...(textPath ? [{ path: textPath, what: "the text (--text)" }] : []),
      ...(casesPath ? [{ path: casesPath, what: "the cases (--cases)" }] : []),
    ],
  );
  const text = textPath ? readInputText(textPath, "--text") : "";
  const { model, tokenizer, backend } = await openModel(flags);
  const context = model.config.trainedContextLength;
  const maxTokens = Math.min(flags.length ?? context, context);
  const notes: string[] = [];
  let cases: TaskCase[];
  if (task === "perplexity") {
    cases = perplexityCases(text, tokenizer, maxTokens, flags.limit ?? 4, textPath!);
    notes.push(
      `Chapters clipped to the first ${maxTokens} tokens (the model's trained context is ${context}); ` +
        "the first 75% is the prompt, the rest is scored through the compressed cache.",
    );
  } else if (task === "passkey") {
    const lengths = flags.lengths ?? [...new Set([Math.floor(context / 4), Math.floor(context / 2), context])];
    const tooLong = lengths.filter((l) => l > context);
    if (tooLong.length > 0) throw new InputError(`--lengths: ${tooLong.join(", ")} exceed the trained context (${context})`);
    cases = passkeyCases(tokenizer, lengths, flags.depths ?? [0, 0.25, 0.5, 0.75, 1], flags.seed);
  } else if (flags.lines !== undefined) {
    cases = generatedLineCases(tokenizer, flags.lines, flags.depths ?? [0, 0.25, 0.5, 0.75, 1], flags.seed);
    const longest = Math.max(...cases.map((c) => (c.task === "perplexity" ? c.tokens.length : c.promptTokens.length)));
    if (longest > maxTokens) throw new InputError(`--lines ${flags.lines}: a record takes ${longest} tokens, above ${maxTokens}`);
    notes.push(`${cases.length} generated records of ${flags.lines} lines in LongEval's wording, the answer's line begun for the model.`);
  } else {
    const read = lineCases(casesPath!, tokenizer, maxTokens, flags.limit ?? 10);
    if (read.cases.length === 0) {
      throw new InputError(
        `--cases ${casesPath}: no case fits ${maxTokens} tokens (the longest is ${read.longest}); this model cannot read them — ` +
          "use a model with a longer context, or --lines N for short generated records",
      );
    }
    if (read.tooLong > 0) notes.push(`${read.tooLong} cases longer than ${maxTokens} tokens left out.`);
    cases = read.cases;
  }
  const settings = taskSettings(
    flags.methods ?? [...TASK_METHODS],
    flags.compressions ?? [0.2, 0.4, 0.6, 0.8],
    flags.thresholds ?? [0.8, 0.9, 0.95, 0.99],
  );
  io.warn(`${task}: ${cases.length} cases × ${settings.length} settings on ${backend.name}`);
  const started = performance.now();
  const runs = runTask(
    task,
    { backend, tokenizer, classes: tokenClassesFor(tokenizer, flags.special, flags.punct) },
    cases,
    settings,
    context,
    {
      ...(tty?.isTTY ? { tty: { write: (t: string) => void tty.write(t), ...(tty.columns ? { columns: tty.columns } : {}) } } : {}),
      line: io.warn,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  backend.dispose();
  const summaries = summarizeTask(task, settings, runs);
  const { writeTaskOutputs } = await import("../../eval/tasks/task-outputs.ts");
  const written = await uninterruptible(() =>
    writeTaskOutputs(
      { task, cases, settings, runs, summaries, notes, seconds },
      {
        outDir,
        png: flags.png,
        command: `npm run fastgen -- eval ${argv.map(shellQuote).join(" ")}`.trim(),
        backend: backend.name,
        config: model.config,
        modelName: basename(modelPath, extname(modelPath)),
      },
    ),
  );
  const full = summaries.find((s) => s.method === "full")!;
  io.out(`${task}: full cache ${task === "perplexity" ? full.score.toFixed(3) : `${(100 * full.score).toFixed(0)}%`}\n`);
  io.out(`wrote ${written.join(", ")} (${(seconds / 60).toFixed(1)} min)\n`);
}
