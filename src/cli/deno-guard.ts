/**
 * Imported first by src/cli.ts, for its side effect: under Deno, when the command line is the main
 * module, the command's permissions are checked before the command modules load. ES modules run in
 * import order, so this runs before any module that reads the environment or a file as it loads —
 * which, without the permission, would die with Deno's stack trace before main() could say which
 * flag is missing. main() checks again (it may be called without this module being the entry).
 */
import { missingPermissionsLine } from "./deno-permissions.ts";

const deno = (globalThis as { Deno?: { readonly mainModule: string; readonly args: readonly string[]; exit(code: number): never } }).Deno;
// src/cli.ts from the sources, dist/src/cli.js from the compiled package.
const cliModules = [new URL("../cli.ts", import.meta.url).href, new URL("../cli.js", import.meta.url).href];

if (deno !== undefined && cliModules.includes(deno.mainModule)) {
  const [name, ...rest] = deno.args;
  // Help needs no permission.
  const refused = name === undefined || rest.includes("--help") || rest.includes("-h") ? undefined : missingPermissionsLine(name);
  if (refused !== undefined) {
    console.error(refused);
    deno.exit(2);
  }
}
