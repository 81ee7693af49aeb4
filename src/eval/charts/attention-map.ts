/**
 * Picture 3, one head's attention with its kept positions: left, the full cache's attention rows
 * (prompt rows, then decode steps); right, for each decode step, the positions the compressed head
 * still held (dark) among all it could have held (grey).
 */
import type { TopLevelSpec } from "vega-lite";
import type { AttentionCapture } from "../attention-capture.ts";
import { CONFIG } from "./style.ts";

/** Decode steps shown: enough to see the policy at work, few enough for a light SVG. */
export const ATTENTION_STEPS = 64;
/** Weights below this are left blank (invisible on the log colour scale anyway). */
const MIN_WEIGHT = 0.003;

/** Runs of consecutive positions, as [start, end) pairs. */
export function runsOf(positions: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    const last = out[out.length - 1];
    if (last && last[1] === p) last[1] = p + 1;
    else out.push([p, p + 1]);
  }
  return out;
}

export function attentionSpec(a: AttentionCapture, subtitle: string): TopLevelSpec {
  const lastRow = Math.min(a.rows.length, a.n + ATTENTION_STEPS) - 1;
  const cells: { row: number; x: number; p: number }[] = [];
  for (let row = 0; row <= lastRow; row++) {
    a.rows[row]!.forEach((p, x) => {
      if (p >= MIN_WEIGHT) cells.push({ row, x, p });
    });
  }
  const held: { row: number; x: number; x2: number; kind: string }[] = [];
  for (let row = a.n; row <= lastRow; row++) {
    held.push({ row, x: 0, x2: row + 1, kind: "evicted" });
    for (const [s, e] of runsOf(a.kept[row - a.n]!)) held.push({ row, x: s, x2: e, kind: "kept" });
  }
  // Whole pixels per position keep the SVG's coordinates short.
  const size = Math.max(2, Math.floor(330 / (lastRow + 1))) * (lastRow + 1);
  const xy = (title: string) => ({
    x: { field: "x", type: "quantitative" as const, title, scale: { domain: [0, lastRow + 1], nice: false } },
    x2: { field: "x2" },
    y: { field: "row", type: "quantitative" as const, title: "query position", scale: { domain: [lastRow + 1, 0], nice: false } },
    y2: { field: "row2" },
  });
  const promptEnd = {
    mark: { type: "rule" as const, strokeDash: [4, 3], color: "#d62728" },
    data: { values: [{ y: a.n }] },
    encoding: { y: { field: "y", type: "quantitative" as const } },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `Attention of layer ${a.layer}, head ${a.head} (KV head ${a.kvHead}, policy ${a.policy}), prompt ${a.promptId}`,
      subtitle: `${subtitle}; prompt rows above the dashed line, decode steps below; right: dark = attended, grey = evicted`,
    },
    hconcat: [
      {
        width: size,
        height: size,
        title: { text: "full-cache attention weights", fontSize: 12, fontWeight: "normal" as const },
        layer: [
          {
            data: { values: cells },
            transform: [
              { calculate: "datum.x + 1", as: "x2" },
              { calculate: "datum.row + 1", as: "row2" },
            ],
            mark: { type: "rect" as const },
            encoding: {
              ...xy("key position"),
              color: {
                field: "p",
                type: "quantitative" as const,
                title: "weight",
                scale: { type: "log" as const, domain: [MIN_WEIGHT, 1], scheme: "viridis", reverse: true },
              },
            },
          },
          promptEnd,
        ],
      },
      {
        width: size,
        height: size,
        title: { text: `positions the compressed head attended (${a.setting})`, fontSize: 12, fontWeight: "normal" as const },
        layer: [
          {
            data: { values: held.filter((h) => h.kind === "evicted") },
            transform: [{ calculate: "datum.row + 1", as: "row2" }],
            mark: { type: "rect" as const, color: "#e6e6e6" },
            encoding: xy("key position"),
          },
          {
            data: { values: held.filter((h) => h.kind === "kept") },
            transform: [{ calculate: "datum.row + 1", as: "row2" }],
            mark: { type: "rect" as const, color: "#222222" },
            encoding: xy("key position"),
          },
          promptEnd,
        ],
      },
    ],
    resolve: { scale: { color: "independent" } },
    config: CONFIG,
  };
}
