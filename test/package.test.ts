/**
 * The package as a consumer gets it: `npm pack` (after `npm run build:lib`), unpacked into
 * node_modules/fastgen-ts of a separate folder, then the README's library example run from there
 * with plain Node (ESM and CommonJS), Deno and Bun, and the `fastgen` bin run with plain Node.
 *
 * No network: instead of `npm install`, which would fetch (and for `gl`, compile) the dependency
 * tree, the package's declared dependencies are linked from this repository's node_modules. Only the
 * packed files and the declared dependencies are reachable, so a file missing from "files", a
 * dependency missing from package.json or an exports map that points nowhere fails here.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";
import { asCommonJs, expectExampleOutput, readmeLibraryExample } from "./support/readme-example.ts";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

let work: string;
let consumer: string;
/** The files `npm pack` put in the tarball. */
let packedFiles: string[];

function run(cmd: string, args: string[], cwd = consumer): string {
  // A plain environment: no colour, no display, and no model search path from the caller's shell,
  // so the default model must come from the package's own models/.
  const { FASTGEN_MODEL: _m, FASTGEN_MODELS_PATH: _p, ...env } = process.env;
  return execFileSync(cmd, args, {
    cwd,
    env: { ...env, NO_COLOR: "1", DISPLAY: "" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "fastgen-package-"));
  consumer = join(work, "consumer");
  execFileSync("npm", ["run", "-s", "build:lib"], { cwd: repoRoot, stdio: "ignore" });
  // --ignore-scripts: `prepare` would build again; dist/ is fresh already.
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: repoRoot, encoding: "utf8" }),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  packedFiles = packed!.files.map((f) => f.path);
  const installed = join(consumer, "node_modules", "fastgen-ts");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["xzf", join(work, packed!.filename), "-C", installed, "--strip-components", "1"]);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    const target = join(repoRoot, "node_modules", dep);
    const link = join(consumer, "node_modules", dep);
    mkdirSync(dirname(link), { recursive: true });
    try {
      symlinkSync(target, link, "dir");
    } catch (e) {
      // An optional dependency that did not install here (gl without its build tools) stays absent, as for a consumer.
      if (!(dep in (manifest.optionalDependencies ?? {}))) throw e;
    }
  }
  // What npm would do for the bin: a link in node_modules/.bin.
  mkdirSync(join(consumer, "node_modules", ".bin"));
  symlinkSync(
    relative(join(consumer, "node_modules", ".bin"), join(installed, "dist", "src", "cli.js")),
    join(consumer, "node_modules", ".bin", "fastgen"),
  );
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(consumer, "example.mjs"), readmeLibraryExample());
  writeFileSync(join(consumer, "example.cjs"), asCommonJs(readmeLibraryExample()));
  writeFileSync(join(consumer, "example.ts"), readmeLibraryExample());
  // A strict TypeScript consumer that checks the package's declarations too (skipLibCheck off).
  const tsconfig = {
    compilerOptions: { module: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: [] },
    files: ["example.ts"],
  };
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed package in a consumer folder", () => {
  it("holds compiled JavaScript with declarations, the sources for Bun, the models and no tests", () => {
    const listed = packedFiles;
    for (const file of [
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/cli.js",
      "dist/src/eval/worker.js",
      "dist/kernels/wasm/build/kernels.wasm",
      "src/index.ts",
      "models/stories260K.gguf",
      "prompts/stories.json",
    ]) {
      expect(listed, file).toContain(file);
    }
    expect(listed.filter((f) => f.startsWith("test/"))).toEqual([]);
  });

  it("type-checks the README example against the packed declarations", () => {
    run(bin("tsc"), ["-p", "."]);
  });

  let nodeOut = "";
  it("plain node runs the README example (ESM)", () => {
    nodeOut = run(process.execPath, ["example.mjs"]);
    expectExampleOutput(nodeOut);
  });

  it("plain node runs it from CommonJS through await import()", () => {
    const out = run(process.execPath, ["example.cjs"]);
    expectExampleOutput(out);
    expect(out).toBe(nodeOut);
  });

  it("Deno runs it (the compiled JavaScript: Deno does not strip types under node_modules)", () => {
    const out = run(bin("deno"), ["run", "--allow-read", "--allow-env", "example.mjs"]);
    expectExampleOutput(out);
    expect(out).toBe(nodeOut);
  });

  it("Bun runs it (the TypeScript sources, through the export's bun condition)", () => {
    const out = run(bin("bun"), ["example.mjs"]);
    expectExampleOutput(out);
    expect(out).toBe(nodeOut);
  });

  it("the fastgen bin runs with plain node and prints the documented story", () => {
    const out = run(join(consumer, "node_modules", ".bin", "fastgen"), ["generate", "--max-tokens", "30"]);
    expect(out).toMatch(/^Once upon a time, there was a little girl named Lily\./);
  });

  it("the bin's wasm backend finds its compiled kernels under dist/ (copied there by build:lib)", () => {
    const out = run(join(consumer, "node_modules", ".bin", "fastgen"), ["generate", "--backend", "wasm", "--max-tokens", "30"]);
    expect(out).toMatch(/^Once upon a time, there was a little girl named Lily\./);
  });

  it("the bin's --json output is JSON alone on stdout (it pipes)", () => {
    const out = run(join(consumer, "node_modules", ".bin", "fastgen"), ["generate", "--json", "--policy", "h2o", "--max-tokens", "30"]);
    expect(JSON.parse(out).compression.final).toBeGreaterThan(0);
  });

  it("the bin's eval runs its worker threads from dist/ and finds the package's prompts", () => {
    const out = run(join(consumer, "node_modules", ".bin", "fastgen"), [
      "eval",
      "--quick",
      "--workers",
      "2",
      "--png=false",
      "--out",
      join(work, "eval"),
    ]);
    expect(out).toMatch(/^FastGen T=0\.9: compression [\d.]+%/m);
    expect(out).toMatch(/2 workers/);
  });
});
