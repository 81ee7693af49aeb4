/** The report's sections on the budgeted policy (docs/algorithm.md §10) and the observation window. */
import { budgetCells } from "./charts/budget-map.ts";
import { pct, sig, table } from "./report-format.ts";
import type { EvalRun } from "./run-eval.ts";

/** Budgeted against FastGen and every baseline at 20%–60% compression, with the targets of issue 12. */
export function budgetSection(run: EvalRun): string {
  const rows = run.budgetTargets;
  if (rows.length === 0) return "";
  const methods = Object.keys(rows[0]!.values);
  const rivals = methods.filter((m) => m !== "budgeted");
  const out: string[] = [
    `## Budgeted against FastGen and the baselines at fixed compressions\n`,
    `Each policy's sweep (FastGen over T, budgeted over C, each baseline over r) is read at the compression in the ` +
      `first column by linear interpolation between its two neighbouring settings (mean compression over decode ` +
      `steps, as above); "—" where the sweep does not reach it. The last columns count the prompts where budgeted's ` +
      `KL is lower than the other policy's, each read on that prompt's own curves (budgeted : other, of the prompts both reach).\n`,
    table(
      [
        "compression",
        ...methods.map((m) => `${m} KL`),
        ...methods.map((m) => `${m} top-1`),
        "budgeted / h2o KL",
        ...rivals.map((m) => `lower KL vs ${m}`),
      ],
      rows.map((r) => {
        const kl = (m: string) => r.values[m]?.kl;
        const b = kl("budgeted");
        const h = kl("h2o");
        return [
          pct(r.compression, 0),
          ...methods.map((m) => (kl(m) === undefined ? "—" : sig(kl(m)!))),
          ...methods.map((m) => (r.values[m]?.top1 === undefined ? "—" : pct(r.values[m]!.top1!))),
          b !== undefined && h !== undefined ? (b / h).toFixed(2) : "—",
          ...rivals.map((m) => {
            const w = r.klWins[m]!;
            return w.matched ? `${w.budgeted} : ${w.rival} of ${w.matched}` : "—";
          }),
        ];
      }),
    ) + "\n",
  ];
  return out.join("\n");
}

/** The budget map and a per-layer summary of the kept shares. */
export function budgetMapSection(run: EvalRun, picture: string): string {
  const cells = budgetCells(run.settings, run.prompts);
  if (cells.length === 0) return "";
  const Cs = [...new Set(cells.map((c) => c.C))];
  const layers = [...new Set(cells.map((c) => c.layer))].sort((a, b) => a - b);
  return [
    `## Where budgeted spends the budget\n`,
    `Each (layer, KV head) coloured by the share of the prompt it keeps (its budget kept / n after the prompt, mean ` +
      `over prompts; during decoding it keeps that share of the current length). The table gives the least and the ` +
      `most any KV head of a layer keeps.\n`,
    picture,
    table(
      ["layer", ...Cs],
      layers.map((l) => [
        String(l),
        ...Cs.map((C) => {
          const xs = cells.filter((c) => c.C === C && c.layer === l).map((c) => c.share);
          return `${pct(Math.min(...xs), 0)}–${pct(Math.max(...xs), 0)}`;
        }),
      ]),
    ) + "\n",
  ].join("\n");
}

/** Profiled against decode-time recovery, with and without the observation window, by prompt length. */
export function observeSection(run: EvalRun): string {
  if (run.observe.length === 0) return "";
  const W = run.observeSettings[0]!.observe!;
  return [
    `### Observation window (W = ${W})\n`,
    `The same FastGen and budgeted settings rerun with the profile's recovery taken over the last W = ${W} prompt ` +
      `rows only (SnapKV's observation window; \`--observe\`), beside the plain setting. Over the KV heads not on ` +
      `full: the recovery promised at profiling, measured during decoding, over the last quarter, and the gap ` +
      `between the promise and the last quarter. A smaller gap means the profile predicts decoding better; KL ` +
      `says whether it also decodes better.\n`,
    table(
      ["prompt tokens", "setting", "prompts", "compression", "KL", "heads", "profiled", "decoding", "last quarter", "gap"],
      run.observe.map((r) => [
        r.band,
        r.setting,
        String(r.prompts),
        pct(r.compression),
        sig(r.kl),
        String(r.recovery.heads),
        r.recovery.heads ? pct(r.recovery.profile) : "—",
        r.recovery.heads ? pct(r.recovery.decode) : "—",
        r.recovery.heads ? pct(r.recovery.end) : "—",
        r.recovery.heads ? pct(r.recovery.profile - r.recovery.end) : "—",
      ]),
    ) + "\n",
  ].join("\n");
}
