/**
 * Every command under Node, Deno and Bun. Deno and Bun come from the npm registry as dev
 * dependencies (node_modules/.bin/deno, node_modules/.bin/bun); Deno runs each command through its
 * deno.json task, so the permissions written there are the ones tested.
 *   - generate and profile print byte-identical output;
 *   - logits, synth and sample-prompts write byte-identical files;
 *   - eval --quick, in two worker threads, gives identical numbers;
 *   - under Deno a missing permission is a one-line error, checked before any work.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_PERMISSIONS, denoFlags } from "../src/cli/deno-permissions.ts";
import { synthLike } from "../src/model/families.ts";
import { repoRoot } from "../src/model/load.ts";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);
const denoTasks = (JSON.parse(readFileSync(join(repoRoot, "deno.json"), "utf8")) as { tasks: Record<string, string> }).tasks;

/** The command line that runs `fastgen <command>` under each runtime. */
const RUNTIMES: Record<string, (command: string) => string[]> = {
  node: () => [bin("tsx"), "src/cli.ts"],
  // The deno.json task of the command, with the binary it names resolved here.
  deno: (command) => {
    const task = denoTasks[command]!.split(" ");
    expect(task.slice(-2), `deno.json task "${command}"`).toEqual(["src/cli.ts", command]);
    return [bin("deno"), ...task.slice(1, -1)];
  },
  bun: () => [bin("bun"), "src/cli.ts"],
};

function run(runtime: string, args: string[]): SpawnSyncReturns<Buffer> {
  const [cmd, ...pre] = RUNTIMES[runtime]!(args[0]!);
  // A plain environment: no colour, no display (headless WebGL does not load under Deno or Bun).
  const env = { ...process.env, NO_COLOR: "1", DISPLAY: "" };
  const r = spawnSync(cmd!, [...pre, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });
  expect(r.status, `${runtime} ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r;
}

const tmp = () => mkdtempSync(join(tmpdir(), "fastgen-runtimes-"));

// A byte-level BPE file (SmolLM2's kind, its chat template): tokenizer and chat rendering are runtime-independent too.
const bpeModel = join(tmp(), "smollm2.gguf");
writeFileSync(bpeModel, synthLike("smollm2-135m", { layers: 1, vocabSize: 2048, type: "Q8_0", seed: 2, narrow: true }));
const MIXED_TEXT = "Héllo, wörld! 12345 <|im_start|> 中文 👍🏽\r\n\tcode();";

const PRINTING: Record<string, string[]> = {
  generate: ["generate", "--json", "--max-tokens", "64"],
  profile: ["profile", "--json", "--prompt", 'Tom and Lily were playing in the garden. "Look, a butterfly!" said Lily.'],
  "profile grid": ["profile", "--prompt", "Once upon a time, there was a dog named Max. He liked to run!"],
  "tokenize (BPE)": ["tokenize", "--model", bpeModel, "--pieces", "--special", "--text", MIXED_TEXT],
  "generate --chat (BPE)": [
    "generate",
    "--model",
    bpeModel,
    "--chat",
    "--system",
    "Be brief.",
    "--prompt",
    MIXED_TEXT,
    "--max-tokens",
    "8",
    "--json",
  ],
};

describe.each(Object.keys(PRINTING))("%s under Node, Deno and Bun", (name) => {
  it("prints byte-identical output", () => {
    const outputs = Object.fromEntries(Object.keys(RUNTIMES).map((rt) => [rt, run(rt, PRINTING[name]!).stdout]));
    expect(outputs.node!.length).toBeGreaterThan(100);
    expect(outputs.deno!.equals(outputs.node!), "deno vs node").toBe(true);
    expect(outputs.bun!.equals(outputs.node!), "bun vs node").toBe(true);
  });
});

/** Commands that write a file: `args(out)` with the path to write. */
const WRITING: Record<string, (out: string) => string[]> = {
  logits: (out) => ["logits", "--tokens", "1,403,407,261,378,432,383", "--prompt-length", "5", "--policy", "fastgen", "--out", out],
  synth: (out) => ["synth", "--shape", "tiny", "--type", "Q8_0", "--out", out],
  "sample-prompts": (out) => ["sample-prompts", "--count", "2", "--lengths", "12,24", "--out", out],
};

describe.each(Object.keys(WRITING))("%s under Node, Deno and Bun", (name) => {
  it("writes byte-identical files", () => {
    // One path for all three: sample-prompts records its command line in the file.
    const out = join(tmp(), "out");
    const files = Object.fromEntries(
      Object.keys(RUNTIMES).map((rt) => {
        run(rt, WRITING[name]!(out));
        return [rt, readFileSync(out)];
      }),
    );
    expect(files.node!.length).toBeGreaterThan(100);
    expect(files.deno!.equals(files.node!), "deno vs node").toBe(true);
    expect(files.bun!.equals(files.node!), "bun vs node").toBe(true);
  });
});

describe("eval --quick in two worker threads under Node, Deno and Bun", () => {
  it("gives the same numbers and writes the report and pictures", () => {
    const numbers = Object.fromEntries(
      Object.keys(RUNTIMES).map((rt) => {
        const dir = tmp();
        const r = run(rt, ["eval", "--quick", "--workers", "2", "--out", join(dir, "r"), "--json", join(dir, "r.json")]);
        const json = JSON.parse(readFileSync(join(dir, "r.json"), "utf8"));
        expect(json.workers, rt).toBe(2);
        // PNG pictures too: under Deno the renderer needs --allow-sys and --allow-ffi.
        expect(
          readFileSync(join(dir, "r", "pareto.png"))
            .subarray(1, 4)
            .toString(),
          rt,
        ).toBe("PNG");
        expect(readFileSync(join(dir, "r.md"), "utf8"), rt).toMatch(/^# /m);
        const lines = r.stdout.toString().trimEnd().split("\n");
        expect(lines.at(-1), rt).toMatch(/^wrote .*r\.md/);
        return [rt, { summaries: json.summaries, matched: json.matched, stdout: lines.slice(0, -1) }];
      }),
    );
    expect(numbers.node!.stdout.length).toBeGreaterThan(0);
    expect(numbers.deno).toEqual(numbers.node);
    expect(numbers.bun).toEqual(numbers.node);
  });
});

describe("Deno without a permission a command needs", () => {
  const deno = (flags: string[], args: string[]) =>
    spawnSync(bin("deno"), ["run", ...flags, "src/cli.ts", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });

  it("says which, in one line, and exits 2 (it used to exit 0 silently)", () => {
    const r = deno([], ["generate"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^fastgen generate: missing Deno permission: --allow-read for .*; --allow-env for .* \(run with --allow-read --allow-env\)\n$/,
    );
  });

  it("eval with read, env and write only: refused before the evaluation, naming sys and ffi", () => {
    const r = deno(["--allow-read", "--allow-env", "--allow-write"], ["eval", "--quick", "--out", join(tmp(), "r")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        "^fastgen eval: missing Deno permission: --allow-sys for .*; --allow-ffi for .* " +
          "\\(run with --allow-read --allow-env --allow-write --allow-sys --allow-ffi\\)\n$",
      ),
    );
  });

  it("a permission denied where it is used (write, granted for another folder) is one line too", () => {
    const r = deno(
      ["--allow-read", "--allow-env", `--allow-write=${tmp()}`],
      ["logits", "--tokens", "1,403", "--out", join(tmp(), "l.f32")],
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^fastgen logits: .*--allow-write/);
  });

  it("the deno.json tasks grant what each command needs", () => {
    for (const command of Object.keys(COMMAND_PERMISSIONS))
      expect(denoTasks[command]).toContain(`run ${denoFlags(command)} src/cli.ts ${command}`);
  });
});
