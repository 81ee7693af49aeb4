/** `--policy budgeted` through the CLI and the library API, on both embedded models (docs/algorithm.md §10). */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openFastGen } from "../../src/index.ts";
import { runCli } from "../support/run-cli.ts";

const PROMPT = 'Tom said, "Look!" The dog ran to the park and played with a red ball.';
const BABY = ["--model", "models/babyllama105.bin", "--backend", "reference"];

interface JsonHead {
  kvHead: number;
  kept: number;
  window: number;
  heavy: number;
  recovery: number;
}

describe("budgeted on the command line", () => {
  for (const [name, model] of [
    ["stories260K", ["--backend", "reference"]],
    ["BabyLlama", BABY],
  ] as const) {
    it(`profile --policy budgeted shows each head's budget; the budget is spent exactly (${name})`, async () => {
      const r = await runCli("profile", "--policy", "budgeted", "--compression", "0.4", "--prompt", PROMPT, "--json", ...model);
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout);
      const heads = (json.layers as { kvHeads: JsonHead[] }[]).flatMap((l) => l.kvHeads);
      const n = json.promptTokens.length;
      expect(json.total).toBe(Math.floor(0.6 * heads.length * n + 0.5));
      expect(heads.reduce((a, h) => a + h.kept, 0)).toBe(json.total);
      for (const h of heads) expect(h.kept).toBeGreaterThanOrEqual(json.floor);
      expect(json.compression).toBeCloseTo(1 - json.total / (heads.length * n), 12);
      const text = await runCli("profile", "--policy", "budgeted", "--prompt", PROMPT, "--verbose", ...model);
      expect(text.stdout).toMatch(/Budgeted profile of a \d+-token prompt, C = 0\.5/);
      expect(text.stdout).toMatch(/layer {2}0 \d+%/);
      expect(text.stdout).toMatch(/layer 0 kv0: \d+ \/ \d+ \/ \d+ → 0\.\d{4}/);
    });
  }

  it("logits reports the compression after the prompt and at the end", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "fastgen-budgeted-")), "rows.bin");
    const r = await runCli(
      "logits",
      "--prompt",
      PROMPT,
      "--prompt-length",
      "20",
      "--policy",
      "budgeted",
      "--compression",
      "0.5",
      "--out",
      out,
      "--backend",
      "reference",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/policy budgeted, compression after prompt 50\.0%, final \d+\.\d%/);
    expect(readFileSync(out).byteLength % (512 * 4)).toBe(0);
  });

  it("generate keeps about C of the cache pruned through decoding", async () => {
    const r = await runCli(
      "generate",
      "--policy",
      "budgeted",
      "--compression",
      "0.3",
      "--max-tokens",
      "40",
      "--json",
      "--backend",
      "reference",
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.compression.afterPrefill).toBeCloseTo(0.3, 1);
    expect(Math.abs(json.compression.mean - 0.3)).toBeLessThan(0.05);
  });

  it("refuses a compression outside [0, 1) and an observation window below 1", async () => {
    expect((await runCli("profile", "--policy", "budgeted", "--compression", "1")).stderr).toMatch(/compression must be in \[0, 1\)/);
    expect((await runCli("profile", "--policy", "budgeted", "--observe", "0")).stderr).toMatch(/observe must be at least 1/);
    expect((await runCli("profile", "--policy", "h2o")).stderr).toMatch(/policy must be one of fastgen, budgeted/);
  });

  it("--observe changes FastGen's recovery to the last rows", async () => {
    const all = JSON.parse((await runCli("profile", "--prompt", PROMPT, "--json", "--backend", "reference")).stdout);
    const last = JSON.parse((await runCli("profile", "--prompt", PROMPT, "--json", "--observe", "4", "--backend", "reference")).stdout);
    const rec = (j: { layers: { kvHeads: { recovery: Record<string, number> }[] }[] }) =>
      j.layers.flatMap((l) => l.kvHeads.map((h) => h.recovery["special+punct"]));
    expect(rec(last)).not.toEqual(rec(all));
  });

  it("eval --quick runs on BabyLlama", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-baby-eval-"));
    const r = await runCli("eval", "--quick", ...BABY, "--out", join(dir, "results"), "--json", join(dir, "results.json"), "--png=false");
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = readFileSync(join(dir, "results.md"), "utf8");
    expect(report).toMatch(/^# FastGen against the baselines on babyllama105/);
    expect(report).toContain("vocabulary 105");
    const json = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    expect(json.summaries.map((s: { setting: string }) => s.setting)).toContain("budgeted C=0.5");
  });
});

describe("budgeted in the library API", () => {
  it("generate with policy budgeted reports each head's budget; budgetProfile spends B exactly", async () => {
    const fg = await openFastGen({ backend: "reference" });
    for await (const _ of fg.generate(PROMPT, { policy: "budgeted", compression: 0.5, maxTokens: 8 })) void _;
    const stats = fg.stats!;
    expect(stats.budget?.settings.compression).toBe(0.5);
    expect(stats.profile).toBeUndefined();
    expect(stats.compression.afterPrefill).toBeCloseTo(0.5, 2);
    const report = fg.budgetProfile(PROMPT, { compression: 0.25 });
    expect(report.layers.flat().reduce((a, h) => a + h.kept, 0)).toBe(report.total);
    fg.dispose();
  });
});
