/**
 * Picture 4, profile stability over time: for each (prompt, KV head) not on `full`, the recovery
 * measured over the last quarter of decoding, against the prompt's length. Profiling promised at
 * least T (dashed line) for every one of these points.
 */
import type { TopLevelSpec } from "vega-lite";
import type { PromptOutcome } from "../prompt-eval.ts";
import type { EvalSetting } from "../settings.ts";
import { CONFIG } from "./style.ts";

export function recoveryDriftSpec(
  settings: readonly EvalSetting[],
  prompts: readonly PromptOutcome[],
  thresholds: readonly number[],
  subtitle: string,
): TopLevelSpec {
  const chosen = settings.filter((s) => s.policy === "fastgen" && thresholds.includes(s.value!));
  const points = chosen.flatMap((s) =>
    prompts.flatMap((p) =>
      (p.outcomes.find((o) => o.setting === s.id)?.heads ?? [])
        .filter((h) => h.policy !== "full" && h.profile !== null)
        .map((h) => ({ T: `T = ${s.value}`, t: s.value!, n: p.promptTokens, end: h.end, layer: h.layer })),
    ),
  );
  const lengths = points.map((p) => p.n);
  const xDomain = [Math.min(...lengths) * 0.85, Math.max(...lengths) * 1.15];
  const ticks = [5, 10, 20, 50, 100, 200, 500, 1000].filter((t) => t >= xDomain[0]! && t <= xDomain[1]!);
  const low = Math.max(0, Math.floor(Math.min(1, ...points.map((p) => p.end)) * 20) / 20);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Does the profile hold? Recovery at the end of generation, by prompt length",
      subtitle: `${subtitle}; one point per (prompt, KV head) not on full; profiling promised ≥ T (dashed)`,
    },
    data: { values: points },
    facet: { column: { field: "T", type: "nominal" as const, title: null, sort: chosen.map((s) => `T = ${s.value}`) } },
    spec: {
      width: 320,
      height: 260,
      layer: [
        {
          mark: { type: "point" as const, shape: "square", filled: true, size: 12, opacity: 0.6, clip: true },
          encoding: {
            x: {
              field: "n",
              type: "quantitative" as const,
              title: "prompt length, tokens (log scale)",
              scale: { type: "log" as const, domain: xDomain, nice: false },
              axis: { values: ticks },
            },
            y: {
              field: "end",
              type: "quantitative" as const,
              title: "recovery over the last quarter of decoding",
              scale: { domain: [low, 1] },
            },
            color: { field: "layer", type: "ordinal" as const, title: "layer", scale: { scheme: "viridis" } },
          },
        },
        {
          mark: { type: "rule" as const, strokeDash: [4, 3], color: "#d62728" },
          encoding: { y: { field: "t", type: "quantitative" as const, aggregate: "min" as const } },
        },
      ],
    },
    config: CONFIG,
  };
}
