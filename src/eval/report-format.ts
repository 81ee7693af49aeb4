/** Number formatting and Markdown tables for the report. */
import type { Stat } from "./aggregate.ts";

export const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
/** Three significant digits, plain notation down to 1e-4. */
export const sig = (x: number) =>
  x === 0
    ? "0"
    : Math.abs(x) >= 1e-4
      ? x
          .toPrecision(3)
          .replace(/(\.\d*?)0+$/, "$1")
          .replace(/\.$/, "")
      : x.toExponential(1);
export const signed = (x: number, digits = 3) => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(digits)}`;
export const withCi = (s: Stat, f: (x: number) => string) => `${f(s.mean)} ± ${f(s.ci95).replace(/^[+−]/, "")}`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ("l" | "r")[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "r" ? "---:" : ":---"));
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(sep), ...rows.map(line)].join("\n");
}

/** JSON.stringify's replacer for the result files: numbers keep 6 significant digits. */
export const compact = (_key: string, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v);
