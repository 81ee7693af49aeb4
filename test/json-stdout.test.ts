/**
 * `--json` output pipes: standard output is one JSON document and nothing else, however the command
 * is started (the README's `npm run -s fastgen -- … --json | jq`), and whatever the command has to
 * say besides (a context warning, timings) goes to standard error.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

function npmRunSilent(args: string[]) {
  const r = spawnSync("npm", ["run", "-s", "fastgen", "--", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r;
}

describe("--json through npm run -s", () => {
  it("generate past the trained context: the JSON on stdout, the warning on stderr", () => {
    // 5 prompt tokens + 520 new ones pass stories260K's trained 512 positions: a warning, not an error.
    const r = npmRunSilent(["generate", "--json", "--policy", "fastgen", "--max-tokens", "520", "--temperature", "1", "--seed", "3"]);
    const out = JSON.parse(r.stdout);
    expect(out.tokens.length).toBeGreaterThan(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/warning: .* trained context/);
  });

  it("profile: the JSON and nothing else", () => {
    const r = npmRunSilent(["profile", "--json", "--prompt", 'Tom said, "Look!" Lily ran to see.']);
    const out = JSON.parse(r.stdout);
    expect(out.layers[0].kvHeads[0].policy).toBeTypeOf("string");
    expect(r.stderr).toBe("");
  });
});
