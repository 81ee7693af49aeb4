/**
 * The table across models for docs/results.md: budgeted against FastGen and H2O at 20%–60%
 * compression, from the JSON files `eval --json` wrote (their `budgetTargets`), one row per
 * (run, compression), with the issue-12 targets checked: KL ≤ both, top-1 ≥ both, and at 50%
 * KL ≤ 2/3 of H2O's.
 *
 *   npx tsx scripts/budget-table.ts "stories260K, stories=run1.json" "BabyLlama, sampled=run2.json" ...
 */
import { readFileSync } from "node:fs";

interface Reading {
  compression: number;
  values: Record<string, { kl?: number; top1?: number }>;
  klWins: Record<string, { budgeted: number; rival: number; matched: number }>;
}

const sig = (x: number | undefined) => (x === undefined ? "—" : x >= 1e-4 ? x.toPrecision(3) : x.toExponential(1));
const pct = (x: number | undefined) => (x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);
const rows: string[] = [];
for (const arg of process.argv.slice(2)) {
  const eq = arg.lastIndexOf("=");
  const [label, file] = [arg.slice(0, eq), arg.slice(eq + 1)];
  const run = JSON.parse(readFileSync(file, "utf8")) as { budgetTargets: Reading[] };
  for (const r of run.budgetTargets) {
    const b = r.values.budgeted ?? {};
    const f = r.values.fastgen ?? {};
    const h = r.values.h2o ?? {};
    const check = (ok: boolean | undefined) => (ok === undefined ? "—" : ok ? "yes" : "no");
    const le = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : x <= y);
    const klOk = [le(b.kl, h.kl), le(b.kl, f.kl)];
    const topOk = [le(h.top1, b.top1), le(f.top1, b.top1)];
    const w = r.klWins.h2o;
    rows.push(
      `| ${label} | ${pct(r.compression)} | ${sig(b.kl)} | ${sig(f.kl)} | ${sig(h.kl)} | ` +
        `${b.kl !== undefined && h.kl !== undefined ? (b.kl / h.kl).toFixed(2) : "—"} | ${pct(b.top1)} | ` +
        `${pct(f.top1)} | ${pct(h.top1)} | ${w?.matched ? `${w.budgeted} : ${w.rival} of ${w.matched}` : "—"} | ` +
        `${klOk.map(check).join(" / ")} | ${topOk.map(check).join(" / ")} |`,
    );
  }
}
console.log(
  "| run | compression | KL budgeted | KL FastGen | KL h2o | budgeted / h2o | top-1 budgeted | top-1 FastGen | top-1 " +
    "h2o | lower KL, budgeted : h2o | KL ≤ h2o / ≤ FastGen | top-1 ≥ h2o / ≥ FastGen |",
);
console.log("| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | :---: |");
for (const r of rows) console.log(r);
