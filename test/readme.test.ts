/** The README's library example runs as written (with the package name pointed at src/index.ts). */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

describe("README", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

  it("library example runs and prints a policy grid and a story", () => {
    const section = readme.slice(readme.indexOf("## Library"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, "a ```ts block under ## Library").toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), "fastgen-readme-")), "example.mts");
    writeFileSync(file, code!.replace('from "fastgen-ts"', `from ${JSON.stringify(pathToFileURL(join(repoRoot, "src", "index.ts")).href)}`));
    const out = execFileSync(join(repoRoot, "node_modules", ".bin", "tsx"), [file], { cwd: repoRoot, encoding: "utf8" });
    const lines = out.split("\n");
    // Five layers of four policies each, named as in the spec.
    for (const line of lines.slice(0, 5)) expect(line.split(" | ")).toHaveLength(4);
    expect(out).toMatch(/, there was a little girl named Lily/);
    expect(out).toMatch(/afterPrefill/);
  });

  it("quick start names the two commands and the test command CI runs", () => {
    expect(readme).toMatch(/npm ci && npm start/);
    expect(readme).toMatch(/^npm test/m);
    expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/npm test/);
  });
});
