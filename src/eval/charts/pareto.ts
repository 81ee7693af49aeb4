/**
 * Picture 1, compression against quality (spec §10: "a policy is better when its curve lies above
 * the others at every compression"): one panel per quality metric, one line per policy.
 */
import type { TopLevelSpec } from "vega-lite";
import type { MetricName, SettingSummary } from "../aggregate.ts";
import { MATCH_ON } from "../matched.ts";
import { CONFIG, METHOD_COLORS, METHOD_ORDER } from "./style.ts";

interface Panel {
  readonly metric: MetricName;
  readonly title: string;
  readonly log?: boolean;
}

export const PARETO_PANELS: readonly Panel[] = [
  { metric: "kl", title: "KL(full ‖ compressed), nats, log scale ↓", log: true },
  { metric: "top1", title: "teacher-forced top-1 agreement ↑" },
  { metric: "llr", title: "log-likelihood ratio, nats/token ↑" },
  { metric: "freeAgreement", title: "free-running greedy agreement ↑" },
  { metric: "commonPrefix", title: "free-running common prefix, tokens ↑" },
  { metric: "recoveryDecode", title: "attention recovery while decoding ↑" },
];

/** FastGen's points are labelled with T: the headline thresholds and the two ends (the rest crowd). */
export function paretoSpec(summaries: readonly SettingSummary[], subtitle: string, headline: readonly number[] = []): TopLevelSpec {
  const ts = summaries.filter((s) => s.policy === "fastgen").map((s) => s.value!);
  const labelled = new Set([...headline, Math.min(...ts), Math.max(...ts)]);
  // full is the reference (KL 0, agreement 1): left out so the log scale and the ranges stay readable.
  const rows = summaries
    .filter((s) => s.policy !== "full")
    .flatMap((s) =>
      PARETO_PANELS.map((p) => ({
        policy: s.policy,
        setting: s.setting,
        label: s.policy === "fastgen" && labelled.has(s.value!) ? `T=${s.value}` : "",
        panel: p.metric,
        x: s.stats[MATCH_ON].mean,
        y: p.log ? Math.max(s.stats[p.metric].mean, 1e-6) : s.stats[p.metric].mean,
      })),
    );
  const kl = rows.filter((r) => r.panel === "kl").map((r) => r.y);
  const decades: number[] = [];
  for (let e = Math.floor(Math.log10(Math.min(...kl))); e <= Math.ceil(Math.log10(Math.max(...kl))); e++) decades.push(10 ** e);
  const shown = METHOD_ORDER.map((m, i) => ({ m, c: METHOD_COLORS[i]! })).filter((x) => x.m !== "full");
  const color = {
    field: "policy",
    type: "nominal" as const,
    title: "policy",
    scale: { domain: shown.map((x) => x.m), range: shown.map((x) => x.c) },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "KV cache compression against quality", subtitle },
    data: { values: rows },
    columns: 3,
    concat: PARETO_PANELS.map((p) => ({
      width: 260,
      height: 200,
      transform: [{ filter: { field: "panel", equal: p.metric } }],
      title: { text: p.title, fontSize: 11, fontWeight: "normal" as const },
      encoding: {
        x: { field: "x", type: "quantitative" as const, title: "compression (mean over decode steps)", scale: { domain: [0, 1] } },
        y: {
          field: "y",
          type: "quantitative" as const,
          title: null,
          scale: p.log ? { type: "log" as const } : { zero: false },
          axis: p.log ? { values: decades, format: "~g" } : {},
        },
        color,
      },
      layer: [
        {
          mark: { type: "line" as const, point: { size: 30 }, strokeWidth: 1.5 },
          encoding: { order: { field: "x", type: "quantitative" as const } },
        },
        {
          transform: [{ filter: "datum.policy === 'fastgen'" }],
          mark: { type: "text" as const, dx: 4, dy: -7, fontSize: 9, align: "left" as const },
          encoding: { text: { field: "label", type: "nominal" as const } },
        },
      ],
    })),
    config: CONFIG,
  };
}
