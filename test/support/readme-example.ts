/** The README's library example (the ```ts block under "## Library") and what its output must show. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { repoRoot } from "../../src/model/load.ts";

export function readmeLibraryExample(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Library")))?.[1];
  if (code === undefined) throw new Error("README.md: no ```ts block under ## Library");
  return code;
}

/** The same example for a CommonJS file: the static import becomes `await import()` inside an async function. */
export function asCommonJs(code: string): string {
  const body = code.replace(/^import \{ openFastGen \} from "fastgen-ts";$/m, 'const { openFastGen } = await import("fastgen-ts");');
  if (body === code) throw new Error("README example: the import line changed; update asCommonJs");
  return `"use strict";\n(async () => {\n${body}})().catch((e) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n`;
}

/** Five layers of four KV-head policies, the documented greedy continuation, and a real compression. */
export function expectExampleOutput(out: string): void {
  const lines = out.split("\n");
  for (const line of lines.slice(0, 5)) expect(line.split(" | ")).toHaveLength(4);
  expect(out).toMatch(/^ One day, she saw a big, red ball\. She wanted to play with it, but it was too high\.$/m);
  const compression = /^KV cache compression: ([\d.]+)%$/m.exec(out)?.[1];
  expect(compression, "a compression line").toBeDefined();
  expect(Number(compression)).toBeGreaterThan(10);
}
