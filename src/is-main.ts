import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Whether the module with this `import.meta` is the script this process was started with (Node,
 * Deno, Bun). Call as `isMainModule(import.meta)`.
 *
 * Deno and Bun (and Node from 24.2) say so themselves in `import.meta.main`; use it where it exists.
 * Comparing paths needs file-system access, which Deno denies without `--allow-read`: a failed
 * comparison there used to make `deno run src/cli.ts generate` do nothing and exit 0.
 */
export function isMainModule(meta: { readonly url: string; readonly main?: boolean }): boolean {
  if (typeof meta.main === "boolean") return meta.main;
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // realpath: a bin is started through a symlink (node_modules/.bin/fastgen), import.meta.url is the real file.
    return pathToFileURL(realpathSync(script)).href === meta.url;
  } catch {
    return pathToFileURL(resolve(script)).href === meta.url;
  }
}
