/**
 * FastGen on the shapes of the models people download (issue 19 item 8): for each family, a
 * 2-layer `synth --like` file at the family's real widths (head size 64 or 128, GQA 2–8) and its
 * own kind of vocabulary, through `profile`, `generate` with every policy, and a small `eval`.
 * Numbers are held to llama.cpp in test/peer; here every command must run and say sensible things.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { POLICY_NAMES } from "../../src/fastgen/settings.ts";
import { FAMILIES, FAMILY_NAMES, synthLike } from "../../src/model/families.ts";
import { runCli } from "../support/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "fastgen-shapes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(FAMILY_NAMES)("%s", (family) => {
  const f = FAMILIES[family];
  const model = join(dir, `${family}.gguf`);
  writeFileSync(model, synthLike(family, { layers: 2, vocabSize: 2048, type: "Q4_K_M", seed: 11 }));
  const prompt = "The little dog ran to the park, and then it sat down. It was happy!";

  it("profile prints a policy for every (layer, KV head)", async () => {
    const r = await runCli("profile", "--model", model, "--prompt", prompt);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`layer\\s+1(\\s+\\S+){${f.nKvHeads}}`));
    expect(r.stdout).toMatch(/KV heads per policy: .* full \d+/);
  });

  it.each(POLICY_NAMES)("generate --policy %s runs and reports its compression", async (policy) => {
    const r = await runCli("generate", "--model", model, "--prompt", prompt, "--max-tokens", "6", "--policy", policy, "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens.length).toBeGreaterThan(0);
    expect(out.heads).toHaveLength(2);
    expect(out.heads[0]).toHaveLength(f.nKvHeads);
    expect(out.compression.final).toBeGreaterThanOrEqual(0);
    if (policy !== "full" && policy !== "fastgen") expect(out.compression.afterPrefill).toBeGreaterThan(0);
  });

  it("eval --quick writes its report", async () => {
    const out = join(dir, `eval-${family}`);
    const r = await runCli("eval", "--quick", "--limit", "1", "--model", model, "--out", out, "--png=false", "--workers", "1");
    expect(r.code, r.stderr).toBe(0);
    const report = readFileSync(`${out}.md`, "utf8");
    expect(report).toMatch(/FastGen/);
  }, 60_000);
});
