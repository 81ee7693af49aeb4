/** An error in something the user handed us (a file, a flag, a config): the message names the problem. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** Longest problem text a {@link ModelFileError} keeps; a corrupt file can put megabytes into a key. */
const MAX_PROBLEM_CHARS = 600;

/**
 * A model or tokenizer file that cannot be read: the message names the file and what is wrong with it.
 * The problem text often quotes strings read from the (possibly corrupt or hostile) file, so it is
 * made printable here, once for every reader: control bytes cannot move the terminal's cursor or
 * hide the rest of the line, and a huge string cannot flood it.
 */
export class ModelFileError extends InputError {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${printable(path, 1000)}: ${printable(problem, MAX_PROBLEM_CHARS)}`);
    this.name = "ModelFileError";
    this.path = path;
  }
}

/**
 * Characters that must not reach a terminal raw: C0/C1 controls and DEL, line and paragraph
 * separators, bidirectional overrides and isolates (they reorder the text that follows), zero-width
 * characters, byte-order marks, lone surrogates and U+FFFD (what undecodable bytes became).
 */
const UNPRINTABLE = new RegExp(
  [
    "[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff\\ufff9-\\ufffd]",
    "[\\ud800-\\udbff](?![\\udc00-\\udfff])", // a high surrogate with no low one after it
    "(?<![\\ud800-\\udbff])[\\udc00-\\udfff]", // a low surrogate with no high one before it
  ].join("|"),
  "g",
);

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` with every unprintable character escaped (`\n`, `\x1b`, `\u202e`) and, past `maxChars`,
 * cut with a note of how long it was. For any string read from a file that goes into a message.
 */
export function printable(text: string, maxChars = 200): string {
  const escaped = text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
  });
  if (escaped.length <= maxChars) return escaped;
  // Do not cut a surrogate pair in half.
  let cut = maxChars;
  if (/[\ud800-\udbff]/.test(escaped[cut - 1]!)) cut--;
  return `${escaped.slice(0, cut)}… (${text.length} characters)`;
}

/**
 * A string from a file, quoted for a message: printable, and short enough that the rest of the
 * message (usually the useful part) is still read. Metadata keys, tensor names, token pieces.
 */
export function quoted(text: string, maxChars = 80): string {
  return `"${printable(text, maxChars)}"`;
}

/** Plain words for why a file the user named could not be read (Node's message otherwise). */
export function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: "no such file",
    EISDIR: "it is a folder, not a file",
    EACCES: "permission denied",
    EPERM: "permission denied",
    ENOTDIR: "a name in the path is a file, not a folder",
    ENAMETOOLONG: "the path is too long",
    ELOOP: "too many symbolic links",
  };
  return (code && words[code]) || (e as Error).message;
}
