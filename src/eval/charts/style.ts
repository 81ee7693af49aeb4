/** Shared look of the charts: fixed colours per compression policy and per FastGen candidate, so every picture agrees. */
import { CANDIDATE_LABELS, CANDIDATE_NAMES } from "../../fastgen/candidates.ts";
import { FONT } from "./render.ts";

export const METHOD_ORDER = ["fastgen", "budgeted", "h2o", "local", "streaming", "frequent", "full"] as const;
export const METHOD_COLORS = ["#d62728", "#17becf", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#7f7f7f"];

export const POLICY_ORDER = CANDIDATE_NAMES.map((c) => `${CANDIDATE_LABELS[c]} = ${c}`);
export const POLICY_COLORS = ["#4c78a8", "#72b7b2", "#54a24b", "#f58518", "#e45756"];
export const policyLabel = (p: string) => POLICY_ORDER.find((l) => l.endsWith(`= ${p}`)) ?? p;

export const CONFIG = {
  font: FONT,
  // No ARIA labels: they would double the size of the SVG files.
  aria: false,
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 15, anchor: "start" as const },
};
