/**
 * The documents hold: every "spec §N" citation names a section of docs/spec.md, every
 * "docs/algorithm.md §N" a section of that page, and every repository path that README.md and
 * docs/ name exists (a stale path is how readers get lost).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

const SOURCE_DIRS = ["src", "reference", "kernels", "test", "bench", "web", "smoke", "scripts", "docs"];
// Installed packages, build outputs and run outputs (the top-level results/) are not ours to check.
const SKIP = new Set(["node_modules", "dist", "build", ".git"]);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (SKIP.has(name) || path === join(repoRoot, "results")) continue;
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs|md)$/.test(name)) out.push(path);
  }
  return out;
}

/** Section numbers a markdown page defines: "## 12. …" gives "12", "### 12.3 …" gives "12.3". */
function sectionNumbers(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.?\s/gm)) found.add(m[1]!);
  return found;
}

type CitedPage = "spec" | "algorithm";

/**
 * Every "§N" in a text with the page it cites. A bare § cites the spec (docs/algorithm.md says so
 * of its own), unless "algorithm.md" came earlier on the same line; "spec" switches back.
 */
function citations(text: string): { page: CitedPage; section: string }[] {
  const out: { page: CitedPage; section: string }[] = [];
  for (const line of text.split("\n")) {
    let page: CitedPage = "spec";
    for (const m of line.matchAll(/(algorithm\.md)|(\bspec\b)|§(\d+(?:\.\d+)*)/gi)) {
      if (m[1]) page = "algorithm";
      else if (m[2]) page = "spec";
      else out.push({ page, section: m[3]!.replace(/\.$/, "") });
    }
  }
  return out;
}

const files = [join(repoRoot, "README.md"), ...SOURCE_DIRS.flatMap((d) => walk(join(repoRoot, d)))].filter(
  (f) => !f.endsWith("docs.test.ts"),
);
const rel = (f: string) => relative(repoRoot, f);

describe("section citations resolve", () => {
  const pages: Record<CitedPage, string> = { spec: "docs/spec.md", algorithm: "docs/algorithm.md" };
  it("every § citation names a section of docs/spec.md or docs/algorithm.md", () => {
    const sections = {
      spec: sectionNumbers(readFileSync(join(repoRoot, pages.spec), "utf8")),
      algorithm: sectionNumbers(readFileSync(join(repoRoot, pages.algorithm), "utf8")),
    };
    const broken: string[] = [];
    const count = { spec: 0, algorithm: 0 };
    for (const file of files) {
      for (const { page, section } of citations(readFileSync(file, "utf8"))) {
        count[page]++;
        if (!sections[page].has(section)) broken.push(`${rel(file)}: ${pages[page]} §${section}`);
      }
    }
    expect(broken).toEqual([]);
    expect(count.spec).toBeGreaterThan(100);
    expect(count.algorithm).toBeGreaterThan(5);
  });

  it("the citation finder sees every § and its page", () => {
    expect(citations("// Spec §6 step 4 / §12.7: evict (docs/algorithm.md §10), then spec §4")).toEqual([
      { page: "spec", section: "6" },
      { page: "spec", section: "12.7" },
      { page: "algorithm", section: "10" },
      { page: "spec", section: "4" },
    ]);
    expect(sectionNumbers("## 12. Fine points\n### 12.3 Arithmetic\n").has("12.3")).toBe(true);
    expect(sectionNumbers("## 12. Fine points\n").has("12.9")).toBe(false);
  });
});

// Build outputs the documents name on purpose (made by `npm run web:build`, `npm run build`, runs).
const BUILT = new Set(["web/dist", "dist"]);
const TOP = "src|reference|kernels|test|bench|web|docs|models|golden|scripts|smoke|prompts|\\.ci";

/** Repository paths a document names: `src/x.ts` in text or code, and relative markdown links. */
function namedPaths(markdown: string): { paths: string[]; links: string[] } {
  const paths = new Set<string>();
  for (const m of markdown.matchAll(new RegExp(`(?:^|[^A-Za-z0-9_./-])((?:${TOP})/[A-Za-z0-9_./-]*[A-Za-z0-9_])`, "gm"))) paths.add(m[1]!);
  const links = new Set<string>();
  for (const m of markdown.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)) if (!/^[a-z]+:/.test(m[1]!)) links.add(m[1]!);
  return { paths: [...paths], links: [...links] };
}

describe("paths named in README.md and docs/ exist", () => {
  const docs = [
    join(repoRoot, "README.md"),
    ...walk(join(repoRoot, "docs")),
    ...walk(repoRoot).filter((f) => f.endsWith("README.md")),
  ].filter((f, i, all) => f.endsWith(".md") && all.indexOf(f) === i);
  it("every path and link resolves (from the repository root or the document's folder)", () => {
    const missing: string[] = [];
    let count = 0;
    for (const doc of docs) {
      const { paths, links } = namedPaths(readFileSync(doc, "utf8"));
      for (const p of paths) {
        count++;
        if (BUILT.has(p) || existsSync(join(repoRoot, p)) || existsSync(join(dirname(doc), p))) continue;
        missing.push(`${rel(doc)}: ${p}`);
      }
      // notes.md is a fragment spliced into docs/results.md, so its links are relative to docs/.
      const base = rel(doc) === "docs/results/notes.md" ? join(repoRoot, "docs") : dirname(doc);
      for (const l of links) {
        count++;
        if (!existsSync(join(base, decodeURIComponent(l)))) missing.push(`${rel(doc)}: link ${l}`);
      }
    }
    expect(missing).toEqual([]);
    expect(count).toBeGreaterThan(50);
  });

  it("the path finder sees a stale path", () => {
    expect(namedPaths("see `src/generation/compressed.ts` and [x](docs/spec.md)")).toEqual({
      paths: ["src/generation/compressed.ts", "docs/spec.md"],
      links: ["docs/spec.md"],
    });
  });
});
