/**
 * The budget map: for each compression C of the budgeted policy, layers × KV heads coloured by the
 * share of the prompt the head keeps (its budget / n, mean over prompts) — where the one budget went.
 */
import type { TopLevelSpec } from "vega-lite";
import { outcomesOf } from "../aggregate.ts";
import type { PromptOutcome } from "../prompt-eval.ts";
import type { EvalSetting } from "../settings.ts";
import { CONFIG } from "./style.ts";

export interface BudgetCell {
  readonly C: string;
  readonly layer: number;
  readonly kvHead: string;
  /** Mean kept share over prompts. */
  readonly share: number;
  readonly text: string;
}

export function budgetCells(settings: readonly EvalSetting[], prompts: readonly PromptOutcome[]): BudgetCell[] {
  return settings
    .filter((s) => s.policy === "budgeted" && s.observe === undefined)
    .flatMap((s) => {
      const heads = outcomesOf(prompts, s.id).flatMap((o) => o.heads ?? []);
      const keys = [...new Set(heads.map((h) => `${h.layer}:${h.kvHead}`))];
      return keys.map((key) => {
        const [layer, kvHead] = key.split(":").map(Number) as [number, number];
        const mine = heads.filter((h) => h.layer === layer && h.kvHead === kvHead);
        const share = mine.reduce((a, h) => a + (h.budget ?? 1), 0) / mine.length;
        return { C: `C = ${s.value}`, layer, kvHead: `kv${kvHead}`, share, text: `${Math.round(100 * share)}%` };
      });
    });
}

export function budgetMapSpec(
  settings: readonly EvalSetting[],
  prompts: readonly PromptOutcome[],
  subtitle: string,
): TopLevelSpec | undefined {
  const cells = budgetCells(settings, prompts);
  if (cells.length === 0) return undefined;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Where budgeted spends the KV budget: share of the prompt each (layer, KV head) keeps", subtitle },
    data: { values: cells },
    facet: { column: { field: "C", type: "nominal" as const, title: null, sort: [...new Set(cells.map((c) => c.C))] } },
    spec: {
      width: 150,
      height: 170,
      encoding: {
        x: { field: "kvHead", type: "ordinal" as const, title: "KV head", axis: { labelAngle: 0 } },
        y: { field: "layer", type: "ordinal" as const, title: "layer" },
      },
      layer: [
        {
          mark: { type: "rect" as const, stroke: "white" },
          encoding: {
            color: {
              field: "share",
              type: "quantitative" as const,
              title: "kept share",
              scale: { domain: [0, 1], scheme: "blues" },
              legend: { format: "%" },
            },
          },
        },
        { mark: { type: "text" as const, fontSize: 9, color: "black" }, encoding: { text: { field: "text", type: "nominal" as const } } },
      ],
    },
    config: CONFIG,
  };
}
