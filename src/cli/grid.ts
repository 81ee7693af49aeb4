/** The profile as a grid a person reads at a glance: layers × KV heads, one short label per cell. */
import { CANDIDATE_LABELS, CANDIDATE_NAMES } from "../fastgen/candidates.ts";
import type { ProfileReport } from "../fastgen/profiler.ts";

const COLORS: Record<string, string> = { S: "44", SP: "46", SPF: "42", SPFL: "43", FULL: "41" };

export function renderProfileGrid(report: ProfileReport, color: boolean): string {
  const nKv = report.layers[0]?.length ?? 0;
  const cellWidth = 6;
  const header = "        " + Array.from({ length: nKv }, (_, g) => `kv${g}`.padEnd(cellWidth)).join("");
  const lines = report.layers.map((heads, l) => {
    const cells = heads.map((h) => {
      const label = CANDIDATE_LABELS[h.policy];
      const text = label.padEnd(cellWidth - 1);
      return color ? `\x1b[30;${COLORS[label]}m${text}\x1b[0m ` : `${text} `;
    });
    return `layer ${String(l).padStart(2)} ${cells.join("")}`;
  });
  const legend = CANDIDATE_NAMES.map((n) => `${CANDIDATE_LABELS[n]} = ${n}`).join(", ");
  return [header, ...lines, "", legend].join("\n");
}
