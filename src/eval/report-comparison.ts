/**
 * The comparison parts of the report: FastGen against each baseline at matched compression (a
 * table and plain sentences), and the same by prompt-length band.
 */
import type { MetricName } from "./aggregate.ts";
import { byLength } from "./by-length.ts";
import { COMPARED, HIGHER_IS_BETTER, type MatchedRow } from "./matched.ts";
import { pct, sig, signed, table } from "./report-format.ts";
import type { EvalRun } from "./run-eval.ts";
import { SWEPT_BASELINES } from "./settings.ts";

const METRIC_TITLES: Record<string, string> = {
  kl: "KL",
  top1: "top-1",
  llr: "LLR",
  freeAgreement: "free agr.",
  commonPrefix: "prefix",
  recoveryDecode: "recovery",
};

function fmt(metric: MetricName, x: number): string {
  if (metric === "kl") return sig(x);
  if (metric === "llr") return signed(x);
  if (metric === "commonPrefix") return x.toFixed(1);
  return pct(x);
}

export function matchedTable(row: MatchedRow): string {
  const best = (m: MetricName) => {
    const values = [row.fastgen[m], ...row.baselines.map((b) => b.values[m])].filter((v): v is number => v !== undefined);
    return HIGHER_IS_BETTER[m] ? Math.max(...values) : Math.min(...values);
  };
  const cell = (m: MetricName, v: number | undefined) => (v === undefined ? "—" : v === best(m) ? `**${fmt(m, v)}**` : fmt(m, v));
  const rows = [
    [`**FastGen T=${row.threshold}**`, pct(row.compression), ...COMPARED.map((m) => cell(m, row.fastgen[m])), "—"],
    ...row.baselines.map((b) => {
      const wins = b.klWins.matched ? `${b.klWins.fastgen} : ${b.klWins.baseline} of ${b.klWins.matched}` : "—";
      if (b.nearest) {
        // Out of the sweep's range: the closest setting as measured, in italics and never bold.
        const n = b.nearest;
        return [
          `${b.policy}: not reached (sweep spans ${pct(b.range[0], 0)}–${pct(b.range[1], 0)}); nearest ${n.setting}`,
          `*${pct(n.compression)}*`,
          ...COMPARED.map((m) => `*${fmt(m, n.values[m]!)}*`),
          wins,
        ];
      }
      return [`${b.policy} (interpolated)`, pct(row.compression), ...COMPARED.map((m) => cell(m, b.values[m])), wins];
    }),
  ];
  return table(["policy", "compression", ...COMPARED.map((m) => METRIC_TITLES[m]!), "prompts with lower KL, FastGen : baseline"], rows);
}

/** Sentences saying where FastGen wins and loses at one threshold, from the numbers alone. */
export function verdicts(row: MatchedRow): string[] {
  return row.baselines
    .filter((b) => b.values.kl !== undefined)
    .map((b) => {
      const better = COMPARED.filter((m) => {
        const f = row.fastgen[m];
        const v = b.values[m];
        return f !== undefined && v !== undefined && (HIGHER_IS_BETTER[m] ? f > v : f < v);
      });
      const worse = COMPARED.filter((m) => {
        const f = row.fastgen[m];
        const v = b.values[m];
        return f !== undefined && v !== undefined && (HIGHER_IS_BETTER[m] ? f < v : f > v);
      });
      const list = (ms: MetricName[]) =>
        ms.map((m) => `${METRIC_TITLES[m]} ${fmt(m, row.fastgen[m]!)} vs ${fmt(m, b.values[m]!)}`).join(", ");
      const listed = (xs: typeof better) => (xs.length ? list(xs) : "nothing");
      return `- T=${row.threshold} against ${b.policy}: FastGen better on ${listed(better)}; worse on ${listed(worse)}.`;
    });
}

/** The headline thresholds by prompt-length band. */
export function lengthSection(run: EvalRun, headline: readonly number[]): string {
  const shown = run.settings.filter((s) => s.policy === "fastgen" && headline.includes(s.value!));
  if (shown.length === 0) return "";
  const baselines = SWEPT_BASELINES.filter((b) => run.settings.some((s) => s.policy === b));
  const parts = [
    `### By prompt length
`,
    `The profile is taken on the prompt and the local window is fixed from it, so a short prompt followed by ` +
      `${run.options.forced} decode steps is where the profile has the least to go on. Per band of prompt length ` +
      `(tokens with BOS): FastGen's compression and KL, the recovery of its non-full heads at profiling and over ` +
      `the last quarter of decoding, and the prompts where FastGen's KL is lower than each baseline's at the same ` +
      `compression on that prompt (FastGen : baseline, of those the baseline's sweep reaches).\n`,
  ];
  for (const s of shown) {
    parts.push(
      `**T = ${s.value}**\n\n` +
        table(
          [
            "prompt tokens",
            "prompts",
            "compression",
            "KL",
            "recovery at profiling → last quarter",
            "last quarter ≥ T",
            ...baselines.map((b) => `lower KL vs ${b}`),
          ],
          byLength(run.settings, run.prompts, s, baselines).map((b) => [
            b.band,
            String(b.prompts),
            pct(b.compression),
            sig(b.kl),
            b.recovery.heads ? `${pct(b.recovery.profile)} → ${pct(b.recovery.end)}` : "— (all full)",
            b.recovery.heads ? pct(b.recovery.endReachesT) : "—",
            ...baselines.map((m) => {
              const w = b.klWins[m];
              return w?.matched ? `${w.fastgen} : ${w.baseline} of ${w.matched}` : "—";
            }),
          ]),
        ) +
        "\n",
    );
  }
  return parts.join("\n");
}
