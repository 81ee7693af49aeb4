/**
 * Issue 11, eval: prompts too long for the context are named in a warning and in the report (they
 * used to be dropped silently while the report said every prompt fits); a set with nothing left is
 * refused before any work; results are written all together or not at all.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputBatch, writeOutputFile } from "../../src/output-file.ts";
import { runCli } from "../support/run-cli.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "fastgen-eval-inputs-"));

function promptSet(dir: string, prompts: { id: string; tokens: number[] }[]): string {
  const path = join(dir, "set.json");
  writeFileSync(path, JSON.stringify({ name: "t", description: "A test set.", howMade: "By hand.", prompts }));
  return path;
}

const short = (id: string, n: number) => ({ id, tokens: [1, ...Array.from({ length: n - 1 }, (_, i) => 300 + (i % 50))] });

describe("eval: prompts that do not fit the trained context", () => {
  it("are named in a warning before the run, and the report says how many were dropped and why", async () => {
    const dir = tmp();
    const set = promptSet(dir, [short("a", 20), short("too-long", 600), short("b", 30), short("also-long", 512)]);
    const r = await runCli("eval", "--quick", "--limit", "4", "--tokens", "4", "--png=false", "--prompts", set, "--out", join(dir, "r"));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        "^warning: 2 of 4 prompts dropped: they leave no room for a forced token in the 512-token trained context: " +
          "too-long \\(600 tokens\\), also-long \\(512 tokens\\)$",
        "m",
      ),
    );
    expect(r.stderr).not.toMatch(/N clipped/);
    // The warning comes before the progress of the run.
    expect(r.stderr.indexOf("warning: 2 of 4")).toBeLessThan(r.stderr.indexOf("eval: 2 prompts"));
    const report = readFileSync(join(dir, "r.md"), "utf8");
    expect(report).toContain("Evaluated: 2 prompts");
    expect(report).toContain(
      "- **Dropped prompts**: 2 of 4 prompts were left out, because each is so long that it leaves no room for a " +
        "single forced token in the 512-token trained context: too-long (600 tokens), also-long (512 tokens). Every " +
        "number in this report is over the other 2.",
    );
    expect(report).toContain("every evaluated prompt + N fits the 512-token trained context");
    expect(report).not.toContain("every prompt + N fits");
  });

  it("a clipped N is said before the run, not only in the report", async () => {
    const dir = tmp();
    const set = promptSet(dir, [short("a", 20), short("near-full", 505)]);
    const r = await runCli("eval", "--quick", "--tokens", "12", "--png=false", "--prompts", set, "--out", join(dir, "r"));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: N clipped from 12 \(down to 7\) on 1 of 2 prompts so that prompt \+ N fits the 512-token trained context$/m,
    );
    expect(readFileSync(join(dir, "r.md"), "utf8")).toContain("near-full: 505 prompt tokens, so N clipped from 12 to 7");
  });

  it("a set with no prompt left is refused before any work, naming the prompts, with no output", async () => {
    const dir = tmp();
    const set = promptSet(dir, [short("huge", 700)]);
    const started = performance.now();
    const r = await runCli("eval", "--quick", "--png=false", "--prompts", set, "--out", join(dir, "r"));
    expect(performance.now() - started).toBeLessThan(800);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fastgen eval: no prompt left to evaluate: 1 of 1 prompts dropped: .* huge \(700 tokens\)$/m);
    expect(readdirSync(dir)).toEqual(["set.json"]);
  });
});

describe("output files are written whole or not at all", () => {
  it("a batch that fails before commit leaves no file or folder and keeps the earlier version", () => {
    const dir = tmp();
    const report = join(dir, "report.md");
    writeFileSync(report, "old report\n");
    const batch = new OutputBatch("eval output");
    batch.stage(join(dir, "pics", "a.svg"), "<svg/>", true);
    batch.stage(report, "new report\n");
    // Something fails before commit (say, rendering the next picture): nothing appears.
    batch.discard();
    expect(readdirSync(dir).sort()).toEqual(["report.md"]);
    expect(readFileSync(report, "utf8")).toBe("old report\n");

    const again = new OutputBatch();
    again.stage(join(dir, "pics", "a.svg"), "<svg/>", true);
    again.stage(report, "new report\n");
    expect(again.commit()).toEqual([join(dir, "pics", "a.svg"), report]);
    expect(readFileSync(report, "utf8")).toBe("new report\n");
    expect(readdirSync(join(dir, "pics"))).toEqual(["a.svg"]);
  });

  it("a write that fails leaves neither a partial file nor a temporary one", () => {
    const dir = tmp();
    const path = join(dir, "x.json");
    // Data that writeFileSync refuses (neither a string nor bytes): the write fails once the temporary name is chosen.
    expect(() => writeOutputFile(path, { toString: () => "never" } as unknown as string)).toThrow(/cannot write/);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });

  it("a file name of 255 bytes is written (the temporary name stays short)", () => {
    const dir = tmp();
    const path = join(dir, "n".repeat(255));
    writeOutputFile(path, "ok");
    expect(readdirSync(dir)).toEqual(["n".repeat(255)]);
  });

  it("folders are created one level at a time (Node's recursive mkdir never returns for /proc/x)", () => {
    const dir = tmp();
    writeOutputFile(join(dir, "a", "b", "c.txt"), "ok", true);
    expect(readFileSync(join(dir, "a", "b", "c.txt"), "utf8")).toBe("ok");
    expect(() => writeOutputFile("/proc/x/y/z.txt", "no", true)).toThrow(/cannot write \/proc\/x\/y\/z\.txt/);
  });
});

/**
 * Issue 18 item 9: every bad input among eval's prompt files and token-class flags is answered
 * before any work, on one line, with exit code 2 and nothing written.
 */
describe("eval: bad inputs are answered on one line, before work, leaving nothing", () => {
  const set = (prompts: unknown[], extra: object = {}) => JSON.stringify({ name: "t", description: "d", howMade: "h", prompts, ...extra });
  const cases: [string, string | undefined, string[], RegExp][] = [
    ["an id with a newline", set([{ id: "a\nb", text: "Hi." }]), [], /prompts\[0\]\.id: id must be printable/],
    ["an id with a terminal escape", set([{ id: "a\u001b[2J", text: "Hi." }]), [], /prompts\[0\]\.id: id must be printable/],
    ["many schema problems", "{}", [], /not a valid prompt set: name: missing \(a string is needed\); .*; and 1 more$/],
    ["unknown keys and a bad token", set([{ id: "a", tokens: [1, -2] }], { extra: 1 }), [], /not a valid prompt set: .*token ids are ≥ 0/],
    ["every prompt too long", set([{ id: "long", tokens: Array(600).fill(5) }]), [], /^fastgen eval: no prompt left to evaluate: 1 of 1/],
    ["a folder as the prompt set", undefined, ["--prompts", "DIR"], /--prompts: cannot read \S+: it is a folder, not a file$/],
    [
      "a missing notes file",
      set([{ id: "a", text: "Hi." }]),
      ["--notes", "DIR/nope.md"],
      /--notes: cannot read \S+nope\.md: no such file$/,
    ],
    [
      "a token id past 2^53",
      set([{ id: "a", text: "Hi." }]),
      ["--punct", "99999999999999999999"],
      /--punct: token id 99999999999999999999 is outside/,
    ],
    ["an unknown special piece", set([{ id: "a", text: "Hi." }]), ["--special", "zzqq"], /extra special token: "zzqq" is not a piece/],
  ];
  it.each(cases)("%s", async (_name, json, args, message) => {
    const dir = tmp();
    const inputs = json === undefined ? [] : ["--prompts", join(dir, "set.json")];
    if (json !== undefined) writeFileSync(join(dir, "set.json"), json);
    const before = readdirSync(dir);
    const flags = args.map((a) => a.replace("DIR", dir));
    const r = await runCli("eval", "--quick", "--png=false", "--out", join(dir, "r"), ...inputs, ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stdout).toBe("");
    expect(readdirSync(dir)).toEqual(before);
  });

  it("a prompt set with a byte-order mark (as some editors save it) is read", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "set.json"), `\ufeff${set([{ id: "a", text: "Once upon a time." }])}`);
    const r = await runCli(
      "eval",
      ...["--quick", "--png=false", "--out", join(dir, "r"), "--prompts", join(dir, "set.json"), "--special", "1, 2"],
    );
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "r.md"))).toBe(true);
  });
});
