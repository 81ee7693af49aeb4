/**
 * Deno runs the command line only with the permissions it is given (`--allow-read` …). A missing
 * one must be a one-line error naming the flag, not a stack trace after minutes of evaluation or a
 * misleading "model not found" (Deno's node:fs `existsSync` answers false where it may not look).
 * Under Node and Bun nothing here applies.
 */
import { packageRoot } from "../package-root.ts";

export type DenoPermission = "read" | "env" | "write" | "sys" | "ffi";

/** Why each permission is needed, for the README and the error message. */
export const PERMISSION_USES: Record<DenoPermission, string> = {
  read: "model, tokenizer and prompt files",
  env: "the model search path ($FASTGEN_MODEL, $FASTGEN_MODELS_PATH)",
  write: "output files",
  sys: "the PNG renderer, which asks the OS which libc it runs on",
  ffi: "the PNG renderer's native addon",
};

/**
 * What each command needs. `write` is not checked up front: it is usually granted for a folder
 * (`--allow-write=/tmp`), and the commands prove every output path writable before any model work.
 */
export const COMMAND_PERMISSIONS: Record<string, readonly DenoPermission[]> = {
  generate: ["read", "env"],
  profile: ["read", "env"],
  logits: ["read", "env", "write"],
  eval: ["read", "env", "write", "sys", "ffi"],
  "sample-prompts": ["read", "env", "write"],
  synth: ["read", "env", "write"],
  tokenize: ["read", "env"],
};

/** The `deno run` flags a command needs, e.g. "--allow-read --allow-env". */
export function denoFlags(command: string): string {
  return (COMMAND_PERMISSIONS[command] ?? ["read", "env"]).map((p) => `--allow-${p}`).join(" ");
}

interface DenoPermissions {
  querySync(descriptor: { name: DenoPermission; path?: string }): { state: "granted" | "prompt" | "denied" };
}

/** Deno's permission API, or undefined under Node and Bun. */
function denoPermissions(): DenoPermissions | undefined {
  return (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno?.permissions;
}

/**
 * The permissions `command` needs that this Deno process lacks ([] under Node and Bun). Read access
 * is asked for this package's folder (its models and prompts), so `--allow-read=<that folder>` will do;
 * the others must be granted whole.
 */
export function missingDenoPermissions(command: string): DenoPermission[] {
  const permissions = denoPermissions();
  if (!permissions) return [];
  const checked = (COMMAND_PERMISSIONS[command] ?? []).filter((p) => p !== "write");
  return checked.filter((name) => permissions.querySync(name === "read" ? { name, path: packageRoot } : { name }).state !== "granted");
}

/** The one-line refusal for a command whose permissions this Deno process lacks, else undefined. */
export function missingPermissionsLine(command: string): string | undefined {
  const missing = missingDenoPermissions(command);
  if (missing.length === 0) return undefined;
  return missingPermissionMessage(command, missing.map((p) => `--allow-${p} for ${PERMISSION_USES[p]}`).join("; "));
}

/** One line for a missing permission, from the up-front check or from Deno's error at the place of use. */
export function missingPermissionMessage(command: string, missing: string): string {
  return `fastgen ${command}: missing Deno permission: ${missing} (run with ${denoFlags(command)})`;
}

/**
 * Deno's error for an operation its permissions do not allow (`Deno.errors.NotCapable`; before Deno 2
 * `PermissionDenied`), as a short description such as `read access to "models/x.gguf"`, else undefined.
 */
export function deniedByDeno(e: unknown): string | undefined {
  if (!(e instanceof Error) || (e.name !== "NotCapable" && e.name !== "PermissionDenied")) return undefined;
  const requires = /Requires ([^,\n]+)/.exec(e.message)?.[1];
  // A PermissionDenied that names no Deno flag is the operating system refusing, not Deno.
  if (requires === undefined && !/--allow-/.test(e.message)) return undefined;
  return requires ?? e.message.split("\n")[0]!;
}
