/**
 * A task's score against compression and against the KV bytes really held (spec §14.7): one line
 * per method, FastGen's points labelled with T, the full cache as a dashed rule.
 */
import type { TopLevelSpec } from "vega-lite";
import type { TaskSummary } from "../tasks/summary.ts";
import { CONFIG, METHOD_COLORS, METHOD_ORDER } from "./style.ts";

/** Colours of every method a task compares: FastGen and the baselines as in the other pictures (style.ts), then the literature's. */
const shared = (m: (typeof METHOD_ORDER)[number]) => METHOD_COLORS[METHOD_ORDER.indexOf(m)]!;
export const TASK_METHOD_COLORS: Record<string, string> = {
  fastgen: shared("fastgen"),
  budgeted: shared("budgeted"),
  h2o: shared("h2o"),
  streaming: shared("streaming"),
  snapkv: "#2ca02c",
  pyramidkv: "#8c564b",
  adakv: "#e377c2",
  tova: "#ff7f0e",
  knorm: "#bcbd22",
};

/** One row of panels: a value of every setting (the task's score, the answer's log-probability). */
export interface CurveMetric {
  readonly field: "score" | "answerLogProb";
  readonly title: string;
  /** A log scale (perplexity: one method far off would flatten the others). */
  readonly log?: boolean;
}

export function taskCurveSpec(
  summaries: readonly TaskSummary[],
  title: string,
  metrics: readonly CurveMetric[],
  subtitle: string,
): TopLevelSpec {
  const full = summaries.find((s) => s.method === "full");
  const rows = summaries
    .filter((s) => s.method !== "full")
    .map((s) => ({
      method: s.method,
      setting: s.setting,
      label: s.method === "fastgen" ? `T=${s.value}` : "",
      compression: s.compression,
      kib: s.kvBytes / 1024,
      score: s.score,
      answerLogProb: s.answerLogProb ?? null,
    }));
  const present = Object.keys(TASK_METHOD_COLORS).filter((m) => rows.some((r) => r.method === m));
  const color = {
    field: "method",
    type: "nominal" as const,
    title: "method",
    scale: { domain: present, range: present.map((m) => TASK_METHOD_COLORS[m]!) },
  };
  const panel = (metric: CurveMetric, x: "compression" | "kib", xTitle: string) => ({
    width: 300,
    height: 260,
    layer: [
      {
        mark: { type: "line" as const, point: { size: 30 }, strokeWidth: 1.5 },
        encoding: {
          x: { field: x, type: "quantitative" as const, title: xTitle, ...(x === "compression" ? { scale: { domain: [0, 1] } } : {}) },
          y: {
            field: metric.field,
            type: "quantitative" as const,
            title: metric.title,
            scale: metric.log ? { type: "log" as const } : { zero: false },
          },
          color,
          order: { field: x, type: "quantitative" as const },
        },
      },
      {
        transform: [{ filter: "datum.method === 'fastgen'" }],
        mark: { type: "text" as const, dx: 4, dy: -7, fontSize: 9, align: "left" as const },
        encoding: {
          x: { field: x, type: "quantitative" as const },
          y: { field: metric.field, type: "quantitative" as const },
          text: { field: "label", type: "nominal" as const },
        },
      },
      ...(full && full[metric.field] !== undefined
        ? [
            {
              data: { values: [{ y: full[metric.field] }] },
              mark: { type: "rule" as const, strokeDash: [4, 3], color: "#7f7f7f" },
              encoding: { y: { field: "y", type: "quantitative" as const } },
            },
          ]
        : []),
    ],
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle },
    data: { values: rows },
    vconcat: metrics.map((m) => ({
      hconcat: [
        panel(m, "compression", "compression (mean over scored steps)"),
        panel(m, "kib", "KV cache held at the end, KiB (measured)"),
      ],
    })),
    config: CONFIG,
  };
}
