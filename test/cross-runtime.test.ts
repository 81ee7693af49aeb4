/**
 * The same CLI under Node, Deno and Bun: greedy generation on the default prompt and a FastGen
 * profile must print byte-identical output. Deno and Bun come from the npm registry as dev
 * dependencies (node_modules/.bin/deno, node_modules/.bin/bun).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
const RUNTIMES: Record<string, string[]> = {
  node: [bin("tsx")],
  deno: [bin("deno"), "run", "--allow-read", "--allow-env", "--allow-write"],
  bun: [bin("bun")],
};
const COMMANDS: Record<string, string[]> = {
  generate: ["generate", "--json", "--max-tokens", "64"],
  profile: ["profile", "--json", "--prompt", 'Tom and Lily were playing in the garden. "Look, a butterfly!" said Lily.'],
  "profile grid": ["profile", "--prompt", "Once upon a time, there was a dog named Max. He liked to run!"],
};

function run(runtime: string, args: string[]): Buffer {
  const [cmd, ...pre] = RUNTIMES[runtime]!;
  // A plain environment: no colour, no display (headless WebGL does not load under Deno or Bun).
  const env = { ...process.env, NO_COLOR: "1", DISPLAY: "" };
  return execFileSync(cmd!, [...pre, "src/cli.ts", ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

describe.each(Object.keys(COMMANDS))("%s under Node, Deno and Bun", (name) => {
  it("prints byte-identical output", () => {
    const outputs = Object.fromEntries(Object.keys(RUNTIMES).map((rt) => [rt, run(rt, COMMANDS[name]!)]));
    expect(outputs.node!.length).toBeGreaterThan(100);
    expect(outputs.deno!.equals(outputs.node!), "deno vs node").toBe(true);
    expect(outputs.bun!.equals(outputs.node!), "bun vs node").toBe(true);
  });
});
