/** The profile as a grid a person reads at a glance: layers × KV heads, one short label per cell. */
import { CANDIDATE_LABELS, CANDIDATE_NAMES } from "../fastgen/candidates.ts";
import type { BudgetReport } from "../fastgen/budget/profile.ts";
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

/** The budgeted profile: each (layer, KV head) with the share of the prompt it keeps (kept / n). */
export function renderBudgetGrid(report: BudgetReport, color: boolean): string {
  const nKv = report.layers[0]?.length ?? 0;
  const cellWidth = 6;
  const header = "        " + Array.from({ length: nKv }, (_, g) => `kv${g}`.padEnd(cellWidth)).join("");
  const lines = report.layers.map((heads, l) => {
    const cells = heads.map((h) => {
      const share = h.kept / report.n;
      const text = `${Math.round(100 * share)}%`.padEnd(cellWidth - 1);
      // Darker background for larger budgets (white, cyan, blue).
      const bg = share >= 0.75 ? "44" : share >= 0.4 ? "46" : "47";
      return color ? `\x1b[30;${bg}m${text}\x1b[0m ` : `${text} `;
    });
    return `layer ${String(l).padStart(2)} ${cells.join("")}`;
  });
  return [
    header,
    ...lines,
    "",
    `share of the ${report.n} prompt positions each KV head keeps (its budget; during decoding the same share of the current length)`,
  ].join("\n");
}
