/**
 * The folder of this package (the one holding its package.json), found from a module's URL.
 *
 * Modules run from two layouts: the sources (`<root>/src/…`, under tsx, Deno and Bun) and the
 * compiled library (`<root>/dist/src/…`, under plain Node). Counting `..` would be right for only
 * one of them, so walk up to the first package.json that names this package.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "fastgen-ts";

export function findPackageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  try {
    for (let dir = start; ; dir = dirname(dir)) {
      const manifest = join(dir, "package.json");
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      if (dirname(dir) === dir) break;
    }
  } catch {
    // No read access (Deno without --allow-read) or a broken package.json on the way up: fall
    // back to the source layout; the command that needs a file then reports the missing access.
  }
  return resolve(start, "..");
}

/** This package's root folder. */
export const packageRoot = findPackageRoot(import.meta.url);
