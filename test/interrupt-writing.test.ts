/**
 * Ctrl-C while results are being written (src/cli/interrupt.ts): the writing finishes, then the
 * command says it was interrupted and exits 130 — never a half-written set of files. Run in a child
 * process, since the handler ends the process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";

describe("Ctrl-C during the writing of results", () => {
  it("lets the writing finish, then exits 130 with one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-interrupt-"));
    const script = join(dir, "script.mts");
    const module = pathToFileURL(join(repoRoot, "src", "cli", "interrupt.ts")).href;
    writeFileSync(
      script,
      `import { writeFileSync } from "node:fs";
import { interruptible, uninterruptible } from ${JSON.stringify(module)};
await interruptible("eval", (line) => process.stderr.write(line + "\\n"), () =>
  uninterruptible(async () => {
    writeFileSync(${JSON.stringify(join(dir, "a"))}, "first");
    process.kill(process.pid, "SIGINT");
    // The signal is handled while this write is still to come.
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(${JSON.stringify(join(dir, "b"))}, "second");
  }),
);
process.stdout.write("not reached\\n");
`,
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(130);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^fastgen eval: interrupted \(after finishing the results it was writing\)\n$/);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("first");
    expect(existsSync(join(dir, "b")) && readFileSync(join(dir, "b"), "utf8")).toBe("second");
  });
});
