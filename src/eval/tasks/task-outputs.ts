/** The files of one task run: the curves (SVG, PNG), a Markdown report and a JSON file, written all together or not at all. */
import { join } from "node:path";
import type { LlamaConfig } from "../../model/types.ts";
import { OutputBatch } from "../../output-file.ts";
import { renderSvg, svgToPng } from "../charts/render.ts";
import { type CurveMetric, taskCurveSpec } from "../charts/task-curves.ts";
import { compact, pct, sig } from "../report-format.ts";
import type { TaskCase, TaskName } from "./cases.ts";
import type { CaseRun, TaskSetting } from "./run-task.ts";
import { higherIsBetter, type RankedMetric, type TaskSummary, TARGETS, winners } from "./summary.ts";

export interface TaskRun {
  readonly task: TaskName;
  readonly cases: readonly TaskCase[];
  readonly settings: readonly TaskSetting[];
  readonly runs: readonly CaseRun[];
  readonly summaries: readonly TaskSummary[];
  /** Lines the report prints about what was left out or clipped. */
  readonly notes: readonly string[];
  readonly seconds: number;
}

export interface TaskOutputOptions {
  readonly outDir: string;
  readonly png: boolean;
  readonly command: string;
  readonly backend: string;
  readonly config: LlamaConfig;
  readonly modelName: string;
}

const Y_TITLE: Record<TaskName, string> = {
  perplexity: "perplexity of the scored quarter ↓",
  passkey: "passkey accuracy ↑",
  lines: "line retrieval accuracy ↑",
};
const LOG_PROB_TITLE = "answer log-prob, nats/token ↑";

const metricsOf = (task: TaskName): CurveMetric[] => [
  { field: "score", title: Y_TITLE[task], log: task === "perplexity" },
  ...(task === "perplexity" ? [] : [{ field: "answerLogProb" as const, title: LOG_PROB_TITLE }]),
];

/** The paths a run writes (checked before it starts). */
export function taskOutputPaths(outDir: string, task: TaskName, png: boolean): string[] {
  return [`${task}.md`, `${task}.json`, `${task}.svg`, ...(png ? [`${task}.png`] : [])].map((f) => join(outDir, f));
}

export async function writeTaskOutputs(run: TaskRun, o: TaskOutputOptions): Promise<string[]> {
  const batch = new OutputBatch("eval output");
  try {
    const base = join(o.outDir, run.task);
    const subtitle = `${o.modelName}, ${run.cases.length} case${run.cases.length === 1 ? "" : "s"}, ${o.backend}`;
    const svg = await renderSvg(taskCurveSpec(run.summaries, `${run.task}: score against KV compression`, metricsOf(run.task), subtitle));
    batch.stage(`${base}.svg`, svg, true);
    if (o.png) batch.stage(`${base}.png`, svgToPng(svg), true);
    const date = new Date().toISOString().slice(0, 10);
    batch.stage(`${base}.md`, taskReport(run, o, date), true);
    const { cases, ...rest } = run;
    const json = {
      command: o.command,
      date,
      backend: o.backend,
      model: { name: o.modelName, ...o.config },
      cases: cases.map((c) => ({ id: c.id, tokens: c.task === "perplexity" ? c.tokens.length : c.promptTokens.length })),
      ...rest,
      winners: winners(run.task, run.summaries),
      ...(run.task === "perplexity" ? {} : { winnersByAnswerLogProb: winners(run.task, run.summaries, "answerLogProb") }),
    };
    batch.stage(`${base}.json`, JSON.stringify(json, compact) + "\n", true);
    return batch.commit();
  } finally {
    batch.discard();
  }
}

const scoreText = (task: TaskName, v: number | undefined) => (v === undefined ? "—" : task === "perplexity" ? sig(v) : pct(v));

function taskReport(run: TaskRun, o: TaskOutputOptions, date: string): string {
  const { task } = run;
  const lines: string[] = [];
  const lengths = run.cases.map((c) => (c.task === "perplexity" ? c.tokens.length : c.promptTokens.length));
  lines.push(`# ${task} — ${o.modelName}`, "");
  lines.push(
    `${date}, ${o.backend}, ${run.cases.length} cases of ${Math.min(...lengths)}–${Math.max(...lengths)} tokens ` +
      `(trained context ${o.config.trainedContextLength}), ${run.settings.length} settings, ${(run.seconds / 60).toFixed(1)} min. ` +
      `Made by:`,
    "",
    "```",
    o.command,
    "```",
    "",
  );
  for (const n of run.notes) lines.push(`- ${n}`);
  if (run.notes.length > 0) lines.push("");
  lines.push(`![${task}](${task}.${o.png ? "png" : "svg"})`, "");
  lines.push(
    "Compression is the mean over the scored (teacher-forced) or decoded steps, the x of the curves; " +
      "KV bytes are what the cache's buffers held at the end (spec §13.3). " +
      (higherIsBetter(task) ? "Higher accuracy is better." : "Lower perplexity is better."),
    "",
  );
  const winnerTable = (heading: string, metric: RankedMetric, text: (v: number | undefined) => string) => {
    const table = winners(task, run.summaries, metric);
    const methods = Object.keys(table[0]?.scores ?? {});
    lines.push(heading, "");
    lines.push(`| compression | ${methods.join(" | ")} | best |`, `|---|${methods.map(() => "---|").join("")}---|`);
    for (const row of table) {
      const best = row.tied ? "all tied" : row.winners.join(", ") || "—";
      lines.push(`| ${pct(row.target)} | ${methods.map((m) => text(row.scores[m])).join(" | ")} | ${best} |`);
    }
    lines.push("");
  };
  winnerTable("## The best method at each compression (interpolated along each method's curve)", "score", (v) => scoreText(task, v));
  if (task !== "perplexity") {
    winnerTable(
      "## The best method by the answer's log-probability (nats per token, teacher-forced after the prompt)",
      "answerLogProb",
      (v) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(3)),
    );
  }
  lines.push("", `Targets: ${TARGETS.map((t) => pct(t)).join(", ")}; "—": the method's settings do not reach that compression.`, "");
  lines.push("## Every setting", "");
  const logProb = task !== "perplexity";
  lines.push(
    `| setting | score |${logProb ? " answer log-prob |" : ""} compression after the prompt | mean compression | ` +
      "KV bytes held | full-cache bytes |",
  );
  lines.push(`|---|---|${logProb ? "---|" : ""}---|---|---|---|`);
  for (const s of run.summaries) {
    const lp = logProb ? ` ${s.answerLogProb === undefined ? "—" : s.answerLogProb.toFixed(3)} |` : "";
    lines.push(
      `| ${s.setting} | ${scoreText(task, s.score)} |${lp} ${pct(s.compressionAfterPrompt)} | ${pct(s.compression)} | ` +
        `${Math.round(s.kvBytes).toLocaleString("en-US")} | ${Math.round(s.fullBytes).toLocaleString("en-US")} |`,
    );
  }
  if (task === "passkey") lines.push("", ...byDepth(run), "");
  return `${lines.join("\n")}\n`;
}

/** Passkey accuracy by depth × length for the full cache, FastGen at T = 0.95 and every method at C = 0.6. */
function byDepth(run: TaskRun): string[] {
  const cases = run.cases.filter((c) => c.task !== "perplexity");
  const depths = [...new Set(cases.map((c) => c.depth))].sort((a, b) => a - b);
  const lengths = [...new Set(cases.map((c) => c.length))].sort((a, b) => a - b);
  const out = ["## Accuracy by depth and length", ""];
  const cols = lengths.flatMap((len) => depths.map((d) => ({ len, d })));
  out.push(`| setting | ${cols.map((c) => `${c.len} tok, depth ${c.d}`).join(" | ")} |`, `|---|${cols.map(() => "---|").join("")}`);
  const chosen = run.settings.filter((s) => s.method === "full" || s.value === 0.6 || (s.method === "fastgen" && s.value === 0.95));
  for (const s of chosen) {
    const cells = cols.map(({ len, d }) => {
      const ids = new Set(cases.filter((c) => c.length === len && c.depth === d).map((c) => c.id));
      const rs = run.runs.filter((r) => r.setting === s.id && ids.has(r.caseId));
      return rs.length === 0 ? "—" : pct(rs.reduce((a, r) => a + r.score, 0) / rs.length);
    });
    out.push(`| ${s.id} | ${cells.join(" | ")} |`);
  }
  out.push("", "Rows: the full cache, FastGen at T = 0.95 and every method at C = 0.6.");
  return out;
}
