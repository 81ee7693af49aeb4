/** Writing the files a command produces: a bad path is the user's input, so it becomes an InputError naming it. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InputError } from "./errors.ts";

/** Writes `data` to `path`; with `makeDirs`, creates missing parent folders first. */
export function writeOutputFile(path: string, data: string | Uint8Array, makeDirs = false): void {
  try {
    if (makeDirs) mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (e) {
    throw new InputError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Reads a text file the user named (e.g. `--notes`), with a clear error when it cannot be read. */
export function readInputText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}
