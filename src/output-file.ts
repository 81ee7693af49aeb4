/**
 * Writing the files a command produces. A bad path is the user's input, so it becomes an InputError
 * naming the flag and the path, and it is found *before* any model work (`checkOutputFile`,
 * `checkOutputFolder`): nobody should wait minutes for an evaluation to learn that `--out` points
 * into /proc. Files are written to a temporary sibling and renamed into place, so a failure (disk
 * full, an exception halfway through a batch) never leaves a half-written file under the real name.
 */
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError, printable, readProblem } from "./errors.ts";

/** Longest file name component most file systems accept (bytes). */
const MAX_NAME_BYTES = 255;
/** Linux PATH_MAX. */
const MAX_PATH_BYTES = 4096;

const shown = (path: string) => printable(path, 300);

function fail(what: string, path: string, problem: string): never {
  throw new InputError(`${what}: cannot write ${shown(path)}: ${problem}`);
}

/** `stat` that says "nothing there" instead of throwing. */
function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Whether anything is at `path`, a broken symbolic link included (existsSync follows links). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The nearest path at or above `dir` where something exists (a folder, a file, a broken link). */
function nearestExisting(dir: string): string {
  let at = resolve(dir);
  while (!present(at)) {
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  return at;
}

/** Checks the length limits of a path the kernel would refuse (ENAMETOOLONG), with a clear message. */
function checkLengths(what: string, path: string): void {
  const full = resolve(path);
  if (Buffer.byteLength(full) > MAX_PATH_BYTES) fail(what, path, `the path is longer than ${MAX_PATH_BYTES} bytes`);
  const long = full.split(/[\\/]/).find((part) => Buffer.byteLength(part) > MAX_NAME_BYTES);
  if (long !== undefined) fail(what, path, `a name in the path is longer than ${MAX_NAME_BYTES} bytes`);
}

/**
 * Proves that files can be created in `dir` (which exists) by creating and removing one. Permission
 * bits alone cannot tell: as root every folder looks writable, yet /proc, /sys and read-only mounts refuse.
 */
function probeFolder(what: string, target: string, dir: string): void {
  const probe = join(dir, `.fastgen-probe-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    fail(what, target, `files cannot be created in ${shown(dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // Created but not removable: leave it rather than mask the real work with an error.
  }
}

/**
 * Checks that a folder (`--out` of eval) exists as a writable folder or can be created: nothing in
 * the way is a file, and files can be created in the nearest existing folder above it.
 * Creates nothing, so a run that fails later leaves no empty folders behind.
 */
export function checkOutputFolder(dir: string, what: string): void {
  checkLengths(what, dir);
  const st = statOrNull(dir);
  if (st && !st.isDirectory()) fail(what, dir, "it is a file, and a folder is needed here");
  const existing = st ? dir : nearestExisting(dir);
  const existingStat = statOrNull(existing);
  if (!existingStat) fail(what, dir, `${shown(existing)} is a broken symbolic link`);
  if (!existingStat.isDirectory()) fail(what, dir, `${shown(existing)} is a file, not a folder`);
  probeFolder(what, dir, existing);
}

/**
 * Checks, before any work, that `path` can be written: it is not a folder, its folder exists (or,
 * with `createFolders`, can be created), and files can be created there.
 */
export function checkOutputFile(path: string, what: string, createFolders = false): void {
  checkLengths(what, path);
  if (path.endsWith("/") || path.endsWith("\\")) fail(what, path, "it names a folder; give a file name");
  const st = statOrNull(path);
  if (st?.isDirectory()) fail(what, path, "it is a folder; give a file name");
  const dir = dirname(path);
  const dirStat = statOrNull(dir);
  if (dirStat) {
    if (!dirStat.isDirectory()) fail(what, path, `${shown(dir)} is a file, not a folder`);
    // A device such as /dev/null or /dev/stdout is written in place (never renamed over), so probing its folder means nothing.
    if (st && !st.isFile()) return;
    // Replacing by rename ignores the file's own mode, and root ignores it anyway: honour a read-only file explicitly.
    if (st && (st.mode & 0o222) === 0) fail(what, path, "the file is read-only");
    probeFolder(what, path, dir);
    return;
  }
  if (!createFolders) fail(what, path, `the folder ${shown(dir)} does not exist`);
  checkOutputFolder(dir, what);
}

/**
 * `mkdir -p` that walks down from the nearest existing folder one level at a time. Node 20's
 * `mkdirSync(path, { recursive: true })` never returns for some paths (e.g. /proc/x), which is
 * how `eval --out /proc/x` used to hang after the whole evaluation. Returns the folders it made.
 */
export function makeFolders(dir: string): string[] {
  const full = resolve(dir);
  const existing = nearestExisting(full);
  const missing: string[] = [];
  for (let at = full; at !== existing; at = dirname(at)) missing.unshift(at);
  const made: string[] = [];
  for (const d of missing) {
    mkdirSync(d);
    made.push(d);
  }
  return made;
}

/** Numbers the temporary files of this process. */
let tempCounter = 0;

/** Is `path` something to write in place (a device like /dev/null), not a file to replace? */
function isSpecial(path: string): boolean {
  const st = statOrNull(path);
  return st !== null && !st.isFile() && !st.isDirectory();
}

/**
 * Files written as one batch: each staged to a temporary sibling, then all renamed into place by
 * `commit`; `discard` removes what was staged. Either every file of the batch appears, complete,
 * or (on an error before commit) none does and earlier versions stay untouched.
 */
export class OutputBatch {
  /** `temp` is "" for a device, whose data waits in `special` until commit. */
  private readonly staged: { readonly temp: string; readonly path: string }[] = [];
  private readonly special = new Map<string, string | Uint8Array>();
  /** Folders made while staging, outermost first: removed again (when empty) by `discard`. */
  private readonly madeFolders: string[] = [];
  private readonly what: string;

  constructor(what = "output") {
    this.what = what;
  }

  /** Writes `data` to a temporary file next to `path` (creating missing folders with `makeDirs`). */
  stage(path: string, data: string | Uint8Array, makeDirs = false): void {
    try {
      if (makeDirs) this.madeFolders.push(...makeFolders(dirname(path)));
      if (isSpecial(path)) {
        // Devices (e.g. /dev/null) cannot be renamed over: written when committing.
        this.staged.push({ temp: "", path });
        this.special.set(path, data);
        return;
      }
      // A short name of its own: the target's name plus a suffix could pass the 255-byte limit.
      const temp = join(dirname(path), `.fastgen-${process.pid}-${tempCounter++}.tmp`);
      this.staged.push({ temp, path });
      writeFileSync(temp, data);
    } catch (e) {
      fail(this.what, path, (e as Error).message);
    }
  }

  /** Moves every staged file into place; returns their paths. */
  commit(): string[] {
    for (const { temp, path } of this.staged) {
      try {
        if (temp === "") writeInPlace(path, this.special.get(path)!);
        else renameSync(temp, path);
      } catch (e) {
        this.discard();
        fail(this.what, path, (e as Error).message);
      }
    }
    const paths = this.staged.map((s) => s.path);
    this.staged.length = 0;
    this.madeFolders.length = 0;
    return paths;
  }

  /** Removes every staged temporary file (safe to call more than once). */
  discard(): void {
    for (const { temp } of this.staged) {
      if (temp === "") continue;
      try {
        unlinkSync(temp);
      } catch {
        // Already gone (renamed, or never created).
      }
    }
    this.staged.length = 0;
    // Innermost first; a folder that holds anything else (another run's files) stays.
    for (const dir of this.madeFolders.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty, or already gone.
      }
    }
    this.madeFolders.length = 0;
  }
}

function writeInPlace(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
  } finally {
    closeSync(fd);
  }
}

/** Writes one file atomically (temporary sibling, then rename); with `makeDirs`, creates missing folders first. */
export function writeOutputFile(path: string, data: string | Uint8Array, makeDirs = false, what = "output"): void {
  const batch = new OutputBatch(what);
  try {
    batch.stage(path, data, makeDirs);
    batch.commit();
  } finally {
    batch.discard();
  }
}

/** Reads a text file the user named (e.g. `--notes`), with a clear error when it cannot be read. */
export function readInputText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`${what}: cannot read ${shown(path)}: ${readProblem(e)}`);
  }
}

/**
 * Refuses an output that would overwrite one of the command's inputs (the model, the prompt set,
 * the notes) or another output of the same run: either would destroy data or half the results.
 */
export function checkDistinctPaths(
  outputs: readonly { readonly path: string; readonly what: string }[],
  inputs: readonly { readonly path: string; readonly what: string }[] = [],
): void {
  const same = (a: string, b: string) => resolve(a) === resolve(b);
  outputs.forEach((o, i) => {
    const input = inputs.find((x) => same(x.path, o.path));
    if (input) throw new InputError(`${o.what}: ${shown(o.path)} is also ${input.what}; writing it would destroy that input`);
    const other = outputs.slice(0, i).find((x) => same(x.path, o.path));
    if (other) throw new InputError(`${o.what}: ${shown(o.path)} is also where ${other.what} goes; give them different paths`);
  });
}
