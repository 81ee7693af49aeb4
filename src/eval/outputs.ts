/** Writes what an evaluation produced: the pictures (SVG, and PNG unless turned off), the Markdown report, the JSON. */
import { readInputText, writeOutputFile } from "../output-file.ts";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { LlamaConfig } from "../model/types.ts";
import { ATTENTION_STEPS, attentionSpec } from "./charts/attention-map.ts";
import { paretoSpec } from "./charts/pareto.ts";
import { policyMapSpec } from "./charts/policy-map.ts";
import { recoveryDriftSpec } from "./charts/recovery-drift.ts";
import { renderSvg, svgToPng } from "./charts/render.ts";
import { buildReport, linkFrom } from "./report.ts";
import type { EvalRun } from "./run-eval.ts";

export interface OutputOptions {
  readonly outDir: string;
  readonly reportPath: string;
  readonly jsonPath?: string;
  readonly png: boolean;
  readonly notesPath?: string;
  readonly command: string;
  readonly backend: string;
  readonly config: LlamaConfig;
  readonly modelName: string;
  readonly headline: readonly number[];
}

/** The pictures of a run, by file name. */
export function pictureSpecs(run: EvalRun, headline: readonly number[], modelName: string): Record<string, TopLevelSpec> {
  const subtitle = `${modelName}, ${run.prompts.length} prompts (${run.promptSet.name}), N = ${run.options.forced} forced tokens`;
  const shown = run.options.thresholds.filter((t) => headline.includes(t));
  const specs: Record<string, TopLevelSpec> = {
    pareto: paretoSpec(run.summaries, subtitle, headline),
    "policy-map": policyMapSpec(run.stability, subtitle),
    "recovery-drift": recoveryDriftSpec(run.settings, run.prompts, shown.length ? shown : run.options.thresholds.slice(0, 2), subtitle),
  };
  if (run.attention) specs.attention = attentionSpec(run.attention, `first ${Math.min(run.attention.kept.length, ATTENTION_STEPS)} decode steps shown`);
  return specs;
}

/** Numbers in the JSON keep 6 significant digits. */
const compact = (_key: string, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v);

export async function writeOutputs(run: EvalRun, o: OutputOptions): Promise<string[]> {
  const written: string[] = [];
  const write = (path: string, data: string | Uint8Array) => {
    writeOutputFile(path, data, true);
    written.push(path);
  };
  const pictures: Record<string, string> = {};
  for (const [name, spec] of Object.entries(pictureSpecs(run, o.headline, o.modelName))) {
    const svg = await renderSvg(spec);
    const base = join(o.outDir, name);
    write(`${base}.svg`, svg);
    if (o.png) write(`${base}.png`, svgToPng(svg));
    pictures[name] = linkFrom(o.reportPath, base);
  }
  const date = new Date().toISOString().slice(0, 10);
  const notes = o.notesPath ? readInputText(o.notesPath, "--notes") : undefined;
  write(
    o.reportPath,
    buildReport({ run, config: o.config, modelName: o.modelName, backend: o.backend, command: o.command, date, pictures, hasPng: o.png, headline: o.headline, ...(notes ? { notes } : {}) }),
  );
  if (o.jsonPath) {
    const { attention, ...rest } = run;
    const json = { command: o.command, date, backend: o.backend, model: { name: o.modelName, ...o.config }, ...rest, attention: attention && { ...attention, rows: undefined, kept: undefined } };
    write(o.jsonPath, JSON.stringify(json, compact) + "\n");
  }
  return written;
}
