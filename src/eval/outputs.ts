/** Writes what an evaluation produced: the pictures (SVG, and PNG unless turned off), the Markdown report, the JSON. */
import { OutputBatch, readInputText } from "../output-file.ts";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { LlamaConfig } from "../model/types.ts";
import { ATTENTION_STEPS, attentionSpec } from "./charts/attention-map.ts";
import { budgetMapSpec } from "./charts/budget-map.ts";
import { paretoSpec } from "./charts/pareto.ts";
import { policyMapSpec } from "./charts/policy-map.ts";
import { recoveryDriftSpec } from "./charts/recovery-drift.ts";
import { renderSvg, svgToPng } from "./charts/render.ts";
import { buildReport, linkFrom } from "./report.ts";
import { compact } from "./report-format.ts";
import type { PictureName } from "./output-paths.ts";
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
export function pictureSpecs(run: EvalRun, headline: readonly number[], modelName: string): Partial<Record<PictureName, TopLevelSpec>> {
  const subtitle = `${modelName}, ${run.prompts.length} prompts (${run.promptSet.name}), N = ${run.options.forced} forced tokens`;
  const shown = run.options.thresholds.filter((t) => headline.includes(t));
  const specs: Partial<Record<PictureName, TopLevelSpec>> = {
    pareto: paretoSpec(run.summaries, subtitle, headline),
    "policy-map": policyMapSpec(run.stability, subtitle),
    "recovery-drift": recoveryDriftSpec(run.settings, run.prompts, shown.length ? shown : run.options.thresholds.slice(0, 2), subtitle),
  };
  const budgets = budgetMapSpec(run.settings, run.prompts, subtitle);
  if (budgets) specs["budget-map"] = budgets;
  if (run.attention)
    specs.attention = attentionSpec(run.attention, `first ${Math.min(run.attention.kept.length, ATTENTION_STEPS)} decode steps shown`);
  return specs;
}

/**
 * Renders and writes everything. The paths were checked before the run (eval.ts); the files are
 * staged and renamed into place together, so a failure here leaves no partial set of results.
 */
export async function writeOutputs(run: EvalRun, o: OutputOptions): Promise<string[]> {
  const batch = new OutputBatch("eval output");
  try {
    const pictures: Record<string, string> = {};
    for (const [name, spec] of Object.entries(pictureSpecs(run, o.headline, o.modelName))) {
      const svg = await renderSvg(spec);
      const base = join(o.outDir, name);
      batch.stage(`${base}.svg`, svg, true);
      if (o.png) batch.stage(`${base}.png`, svgToPng(svg), true);
      pictures[name] = linkFrom(o.reportPath, base);
    }
    const date = new Date().toISOString().slice(0, 10);
    const notes = o.notesPath ? readInputText(o.notesPath, "--notes") : undefined;
    batch.stage(
      o.reportPath,
      buildReport({
        run,
        config: o.config,
        modelName: o.modelName,
        backend: o.backend,
        command: o.command,
        date,
        pictures,
        hasPng: o.png,
        headline: o.headline,
        ...(notes ? { notes } : {}),
      }),
      true,
    );
    if (o.jsonPath) {
      const { attention, ...rest } = run;
      const json = {
        command: o.command,
        date,
        backend: o.backend,
        model: { name: o.modelName, ...o.config },
        ...rest,
        attention: attention && { ...attention, rows: undefined, kept: undefined },
      };
      batch.stage(o.jsonPath, JSON.stringify(json, compact) + "\n", true);
    }
    return batch.commit();
  } finally {
    batch.discard();
  }
}
