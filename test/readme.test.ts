/**
 * The README's library example runs as written (with the package name pointed at src/index.ts; test/package.test.ts
 * runs it from the packed package).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";
import { expectExampleOutput, readmeLibraryExample } from "./support/readme-example.ts";

describe("README", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

  it("library example runs from the sources, printing a policy grid, a story and a real compression", () => {
    const file = join(mkdtempSync(join(tmpdir(), "fastgen-readme-")), "example.mts");
    writeFileSync(
      file,
      readmeLibraryExample().replace('from "fastgen-ts"', `from ${JSON.stringify(pathToFileURL(join(repoRoot, "src", "index.ts")).href)}`),
    );
    const out = execFileSync(join(repoRoot, "node_modules", ".bin", "tsx"), [file], { cwd: repoRoot, encoding: "utf8" });
    expectExampleOutput(out);
    // The number the README quotes is the one the example prints.
    const quoted = /`(KV cache compression: [\d.]+%)`/.exec(readme.slice(readme.indexOf("## Library")))?.[1];
    expect(out).toContain(quoted);
  });

  it("shows --json output piped to jq (npm run -s: no npm banner on stdout) and the bench's --quick and --help", () => {
    expect(readme).toMatch(/^npm run -s fastgen -- generate .*--json \| jq /m);
    expect(readme).toMatch(/^npm run bench -- --quick /m);
    expect(readme).toMatch(/^npm run bench -- --help /m);
  });

  it("quick start names the two commands and the test command CI runs", () => {
    expect(readme).toMatch(/npm ci && npm start/);
    expect(readme).toMatch(/^npm test/m);
    expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/npm test/);
  });
});
