/** `fastgen eval` end to end (small), its flag validation, and `fastgen sample-prompts`. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPromptSet } from "../../src/eval/prompts.ts";
import { runCli } from "../support/run-cli.ts";

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const tmp = () => mkdtempSync(join(tmpdir(), "fastgen-eval-"));

interface JsonSummary {
  setting: string;
  stats: Record<string, { mean: number }>;
}
interface JsonPrompt {
  id: string;
  forced: number;
  seconds: number;
  outcomes: { setting: string; compression: { afterPrefill: number } }[];
}

describe("fastgen eval --quick", () => {
  it("writes the report, five pictures and the JSON in well under 30 s", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "notes.md"), "Hand-written *notes*.\n");
    const started = performance.now();
    const r = await runCli(
      "eval",
      "--quick",
      "--out",
      join(dir, "results"),
      "--json",
      join(dir, "results.json"),
      "--notes",
      join(dir, "notes.md"),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(seconds).toBeLessThan(30);
    expect(r.stdout).toMatch(/FastGen T=0\.98: compression \d+\.\d%, KL /);
    expect(r.stderr).toMatch(/eval: 3 prompts × 10 settings 100% \(30\/30\)/);

    const report = readFileSync(join(dir, "results.md"), "utf8");
    expect(report).toContain(
      `npm run fastgen -- eval --quick --out ${join(dir, "results")} --json ${join(dir, "results.json")} --notes ${join(dir, "notes.md")}`,
    );
    expect(report).toMatch(/^# FastGen against the baselines on stories260K/);
    const headings = [
      "## Summary\n\nHand-written *notes*.",
      "## FastGen against each baseline at the same compression",
      "### T = 0.98",
      "## Budgeted against FastGen and the baselines at fixed compressions",
      "## Compression against quality",
      "## Set-up",
      "## How it is measured",
      "## The other thresholds at the same compression\n\n### T = 0.9",
      "## Every setting",
      "## Which policy each head gets",
      "## Where budgeted spends the budget",
      "## Profile stability",
      "### By prompt length",
      "### Observation window (W = 16)",
      "## One head's attention",
    ];
    const at = headings.map((h) => report.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    for (const name of ["pareto", "policy-map", "budget-map", "recovery-drift", "attention"]) {
      expect(report).toContain(`(results/${name}.png)`);
      expect(readFileSync(join(dir, "results", `${name}.svg`), "utf8")).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>$/);
      expect([...readFileSync(join(dir, "results", `${name}.png`)).subarray(0, 8)]).toEqual(PNG);
    }

    const json = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    const summaries = json.summaries as JsonSummary[];
    expect(summaries.map((s) => s.setting)).toEqual([
      "full",
      "fastgen T=0.9",
      "fastgen T=0.98",
      "budgeted C=0.5",
      "local r=0.5",
      "local r=1",
      "frequent r=0.7",
      "h2o r=0.3",
      "streaming r=0.5",
    ]);
    const full = summaries[0]!.stats;
    expect([full.kl!.mean, full.top1!.mean, full.freeAgreement!.mean, full.compressionMean!.mean]).toEqual([0, 1, 1, 0]);
    const prompts = json.prompts as JsonPrompt[];
    expect(prompts.map((p) => p.forced)).toEqual([12, 12, 12]);
    // A higher threshold can only move a head to a later, larger candidate: never more compression after prefill.
    for (const p of prompts) {
      const afterPrefill = (s: string) => p.outcomes.find((o) => o.setting === s)!.compression.afterPrefill;
      expect(afterPrefill("fastgen T=0.98")).toBeLessThanOrEqual(afterPrefill("fastgen T=0.9"));
    }
    expect(json.stability.map((s: { threshold: number }) => s.threshold)).toEqual([0.9, 0.98]);
    expect(json.matched).toHaveLength(2);
  });

  it("gives the same numbers in worker processes as in one process", async () => {
    const run = async (workers: string) => {
      const dir = tmp();
      const r = await runCli(
        "eval",
        "--quick",
        "--limit",
        "2",
        "--tokens",
        "6",
        "--workers",
        workers,
        "--png=false",
        "--out",
        join(dir, "r"),
        "--json",
        join(dir, "r.json"),
      );
      expect(r.code).toBe(0);
      const json = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
      return {
        summaries: json.summaries,
        prompts: (json.prompts as JsonPrompt[]).map(({ seconds: _s, ...p }) => p),
        workers: json.workers,
      };
    };
    const one = await run("1");
    const two = await run("2");
    expect([one.workers, two.workers]).toEqual([1, 2]);
    expect(two.summaries).toEqual(one.summaries);
    expect(two.prompts).toEqual(one.prompts);
  });
});

describe("fastgen eval flag validation", () => {
  it.each([
    [["--thresholds", "0.9,1.5"], /--thresholds: thresholds: "1\.5" is not a number in \[0, 1\]/],
    [["--local", "0,0.5"], /--local: ratios: "0" is not a number in \(0, 1\]/],
    [["--h2o", "0.2,abc"], /--h2o: ratios: "abc"/],
    [["--tokens", "0"], /--tokens: tokens must be at least 1/],
    [["--workers", "1.5"], /--workers: workers must be a whole number/],
    [["--attention-head", "2-1"], /layer:queryHead/],
    [["--attention-head", "9:0"], /--attention-head: the model has layers 0\.\.4/],
    [["--thresholds", "none"], /give at least one FastGen threshold/],
    [["--prompts", "/nonexistent/prompts.json"], /--prompts: cannot read \/nonexistent\/prompts\.json: no such file/],
    [["--attention-prompt", "nope"], /attention prompt "nope" is not among the evaluated prompts/],
    [["--bogus"], /unknown flag --bogus/],
  ])("%j is refused with a clear message", async (args, message) => {
    const r = await runCli("eval", "--quick", "--png=false", "--out", join(tmp(), "r"), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe("fastgen sample-prompts", () => {
  it("samples a valid, reproducible prompt set of the chosen lengths from BOS", async () => {
    const dir = tmp();
    const run = async (seed: string, file: string) => {
      const r = await runCli("sample-prompts", "--count", "3", "--lengths", "5,9", "--seed", seed, "--out", join(dir, file));
      expect(r.code).toBe(0);
      return loadPromptSet(join(dir, file));
    };
    const a = await run("3", "a.json");
    expect(a.prompts.map((p) => p.tokens!.length)).toEqual([5, 9, 5]);
    expect(a.prompts.map((p) => p.id)).toEqual(["sampled-01", "sampled-02", "sampled-03"]);
    for (const p of a.prompts) {
      expect(p.tokens![0]).toBe(1);
      expect(p.tokens!.slice(1).filter((t) => t === 1 || t === 2)).toEqual([]);
      expect(p.text!.length).toBeGreaterThan(0);
    }
    expect(a.howMade).toMatch(/temperature 1, top-p 1, seed 3/);
    expect((await run("3", "b.json")).prompts).toEqual(a.prompts);
    expect((await run("4", "c.json")).prompts).not.toEqual(a.prompts);
  });

  it("refuses a length below 2", async () => {
    const r = await runCli("sample-prompts", "--lengths", "1", "--out", join(tmp(), "x.json"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least 2/);
  });
});
