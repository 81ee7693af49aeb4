/**
 * A small declarative flag parser: `--name value`, `--name=value`, and bare `--flag` for booleans.
 * Types are checked here (a clear message naming the flag); ranges are checked by each command's zod schema.
 */
import { InputError } from "../errors.ts";

export type FlagKind = "string" | "number" | "boolean";

export interface FlagSpec {
  readonly kind: FlagKind;
  readonly help: string;
  /** Shown in help; the zod schema holds the real default. */
  readonly default?: string;
  /** A string flag whose empty value means something (an empty prompt is BOS alone). Others refuse "". */
  readonly allowEmpty?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
export type FlagValues = Record<string, string | number | boolean>;

/** A decimal number: 12, -0.5, .5, 1e-3. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Parses argv (without the command name) into camelCase keys; unknown flags and stray words are errors. */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): FlagValues {
  const out: FlagValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new InputError(`unexpected argument "${arg}" (flags start with --)`);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) {
      throw new InputError(
        `unknown flag --${name}; known flags: ${Object.keys(specs)
          .map((k) => `--${k}`)
          .join(", ")}`,
      );
    }
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (spec.kind === "boolean") {
      if (raw !== undefined && raw !== "true" && raw !== "false")
        throw new InputError(`--${name} is a switch; use --${name} or --${name}=false`);
      out[camel(name)] = raw !== "false";
      continue;
    }
    if (raw === undefined) {
      raw = argv[i + 1];
      if (raw === undefined) throw new InputError(`--${name} needs a value`);
      i++;
    }
    if (spec.kind === "number") {
      // Decimal only: Number() also takes "0x10", "0b11" and "" (as 16, 3 and 0), which nobody means as a count.
      const value = DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(value)) throw new InputError(`--${name} expects a number, got "${raw}"`);
      out[camel(name)] = value;
    } else {
      // An empty value is almost always a shell variable that was not set (--punct "$P"); silently
      // treating it as "not given" (or as an empty list) would run with settings nobody asked for.
      if (raw.trim() === "" && !spec.allowEmpty) throw new InputError(`--${name} is empty; give a value or leave the flag out`);
      out[camel(name)] = raw;
    }
  }
  return out;
}

export function helpText(command: string, summary: string, specs: FlagSpecs): string {
  const width = Math.max(...Object.keys(specs).map((k) => k.length)) + 4;
  const lines = Object.entries(specs).map(([name, s]) => {
    const value = s.kind === "boolean" ? "" : ` <${s.kind === "number" ? "n" : "value"}>`;
    const flag = `--${name}${value}`.padEnd(width + 10);
    return `  ${flag}${s.help}${s.default !== undefined ? ` (default ${s.default})` : ""}`;
  });
  return `fastgen ${command}: ${summary}\n\n${lines.join("\n")}\n`;
}
