/**
 * `npm run build:lib` (run by `prepare`, so `npm ci` and installs from git build it): the library
 * for plain Node in dist/ — JavaScript, .d.ts and source maps, mirroring the source folders.
 *
 * Deno and Bun run the TypeScript sources directly (package.json "exports" sends them there); Node
 * gets dist/. Besides `tsc -p tsconfig.build.json` this script
 *   - starts from an empty dist/, so a deleted source file leaves no stale module behind;
 *   - gives dist/src/cli.js a `#!/usr/bin/env node` shebang (the source's shebang runs tsx, which
 *     an installed package does not have) and makes it executable, for the `fastgen` bin;
 *   - copies the non-TypeScript files the library loads at run time (`*.wasm` and `*.mjs` under
 *     kernels/: the compiled kernels, and the wasm backend's worker thread and the module it shares
 *     with the main thread, plain JavaScript) to the same place under dist/, where
 *     `new URL("./x.wasm", import.meta.url)` and `import "./x.mjs"` look for them.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

/** Every file under `dir` whose name ends with `suffix` (node_modules and dot-folders skipped). */
function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : filesUnder(path, suffix);
    return e.isFile() && e.name.endsWith(suffix) ? [path] : [];
  });
}

rmSync(dist, { recursive: true, force: true });
// The TypeScript compiler of this package's devDependencies, whatever its bin is called.
const tsc = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsc.cmd" : "tsc");
execFileSync(tsc, ["-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });

const cli = join(dist, "src", "cli.js");
const source = readFileSync(cli, "utf8");
writeFileSync(cli, `#!/usr/bin/env node\n${source.startsWith("#!") ? source.slice(source.indexOf("\n") + 1) : source}`);
chmodSync(cli, 0o755);

const assets = [...filesUnder(join(root, "kernels"), ".wasm"), ...filesUnder(join(root, "kernels"), ".mjs")];
for (const file of assets) {
  const target = join(dist, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
console.log(`build:lib: ${relative(root, dist)}/ written${assets.length ? `, ${assets.length} .wasm/.mjs file(s) copied` : ""}`);
