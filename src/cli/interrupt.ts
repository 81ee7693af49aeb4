/**
 * Ctrl-C (SIGINT) during a long command such as `eval`: one line saying so, exit status 130 (the
 * shell's 128 + SIGINT), and no half-written output.
 *
 * Nothing is written before an evaluation's results are complete, so until then exiting at once is
 * safe; worker threads end with the process. While the results are being written the exit waits for
 * that to finish (the writes are staged and renamed into place together, src/output-file.ts), so the
 * files are either all there or none; a second Ctrl-C exits at once.
 *
 * The handler only runs when the event loop is free: the evaluation keeps it so (work in worker
 * threads, or a yield between prompts in this thread).
 */
const INTERRUPTED = 130;

let writing = 0;
let pending: (() => void) | undefined;

/** Runs `command` with Ctrl-C handled as above; `warn` prints the line. */
export async function interruptible<T>(name: string, warn: (line: string) => void, command: () => Promise<T>): Promise<T> {
  const exit = (detail = "") => {
    // End a progress line drawn in place with \r before the message.
    if (process.stderr.isTTY) process.stderr.write("\n");
    warn(`fastgen ${name}: interrupted${detail}`);
    process.exit(INTERRUPTED);
  };
  const onSigint = () => {
    if (writing > 0 && !pending) pending = () => exit(" (after finishing the results it was writing)");
    else exit();
  };
  process.on("SIGINT", onSigint);
  try {
    return await command();
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Runs `write` to the end even if Ctrl-C comes meanwhile; the interruption takes effect after it. */
export async function uninterruptible<T>(write: () => Promise<T>): Promise<T> {
  writing++;
  try {
    return await write();
  } finally {
    writing--;
    const after = writing === 0 ? pending : undefined;
    pending = undefined;
    after?.();
  }
}
