/** Where a command writes: injected so tests can run commands in-process. */
export interface CommandIO {
  /** Standard output (no newline added). */
  out(text: string): void;
  /** Diagnostics on standard error (newline added). */
  warn(text: string): void;
}

export const processIO: CommandIO = {
  out: (text) => void process.stdout.write(text),
  warn: (text) => void process.stderr.write(text + "\n"),
};
