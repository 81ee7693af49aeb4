/**
 * The tree's shape that Biome does not check: no line over 140 characters outside data (prompt
 * sets, golden logits, the eval's generated reports, Markdown table rows), and no source file over
 * 600 lines. Biome itself (lint and format) runs in .ci/run: `npx biome ci .`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

const MAX_LINE = 140;
const MAX_SOURCE_LINES = 600;
const TEXT = /\.(ts|mts|mjs|js|json|jsonc|css|html|md|sh|yml)$|^run$/;
// Data and generated files: written by tools, not by hand.
const DATA = /^(prompts|golden|docs\/results)\/|^docs\/results\.md$|^package-lock\.json$|\/package-lock\.json$/;
const SKIP_DIRS = new Set(["node_modules", "dist", "build", ".git", "results", "tmp", ".gl", ".whl"]);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, out);
    } else if (TEXT.test(name)) out.push(relative(repoRoot, path));
  }
  return out;
}

const files = walk(repoRoot).filter((f) => !DATA.test(f));

it(`no line over ${MAX_LINE} characters outside data (Markdown tables excepted)`, () => {
  const long: string[] = [];
  for (const f of files) {
    readFileSync(join(repoRoot, f), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.length > MAX_LINE && !(f.endsWith(".md") && line.startsWith("|"))) long.push(`${f}:${i + 1} (${line.length})`);
      });
  }
  expect(long).toEqual([]);
  expect(files.length).toBeGreaterThan(200);
});

it(`no source file over ${MAX_SOURCE_LINES} lines`, () => {
  const big = files
    .filter((f) => /\.(ts|mts|mjs)$/.test(f))
    .map((f) => ({ f, lines: readFileSync(join(repoRoot, f), "utf8").split("\n").length }))
    .filter((x) => x.lines > MAX_SOURCE_LINES)
    .map((x) => `${x.f} (${x.lines})`);
  expect(big).toEqual([]);
});
