/**
 * Ctrl-C to a running evaluation, sent to the main process alone (not its process group): it says
 * it was interrupted in one line, exits 130, leaves no output behind, and its worker threads end
 * with it (no EPIPE stack trace from a worker writing to a parent that is gone).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/model/load.ts";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

/** One process per runtime (tsx's CLI would put a relay process in front of Node). */
const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, "--import", "tsx"],
  deno: [bin("deno"), "run", "--allow-read", "--allow-env", "--allow-write", "--allow-sys", "--allow-ffi"],
  bun: [bin("bun")],
};

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Starts a full-size eval, waits for its first progress line past 0%, then sends SIGINT to it. */
function interruptEval(runtime: string, workers: number, dir: string): Promise<Interrupted> {
  const [cmd, ...pre] = RUNTIMES[runtime]!;
  const args = [
    ...pre,
    "src/cli.ts",
    "eval",
    "--limit",
    "8",
    "--workers",
    String(workers),
    "--out",
    join(dir, "r"),
    "--json",
    join(dir, "r.json"),
  ];
  const child = spawn(cmd!, args, {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", DISPLAY: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  let sent = false;
  child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /\b[1-9]\d*% \(/.test(stderr)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

describe.each([
  ["node", 2],
  ["node", 1],
  ["deno", 2],
  ["bun", 2],
] as const)("SIGINT to eval under %s with %i worker(s)", (runtime, workers) => {
  it("prints one line, exits 130 and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-sigint-"));
    const r = await interruptEval(runtime, workers, dir);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    const lines = r.stderr.trimEnd().split("\n");
    // Progress lines, then exactly the one line; no stack trace, no EPIPE.
    expect(lines.at(-1)).toBe("fastgen eval: interrupted");
    expect(lines.filter((l) => !l.startsWith("eval: "))).toEqual(["fastgen eval: interrupted"]);
    expect(r.stdout).toBe("");
    expect(existsSync(join(dir, "r")) || existsSync(join(dir, "r.md")) || existsSync(join(dir, "r.json"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
