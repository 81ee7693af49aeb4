import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/model/load.ts";
import { compareLogits } from "./support/compare.ts";
import { runCli } from "./support/run-cli.ts";
import { golden } from "./support/shared.ts";

const STORY =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a " +
  "big, red ball. She wanted to play with it, but it was too high.";

describe("fastgen generate", () => {
  it("prints the documented greedy story for the default prompt (what npm start runs)", async () => {
    const r = await runCli("generate", "--max-tokens", "60");
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(STORY)).toBe(true);
    expect(r.stderr).toMatch(/tok\/s/);
  });

  it("runs as a process the way npm start runs it", () => {
    const stdout = execFileSync(join(repoRoot, "node_modules", ".bin", "tsx"), ["src/cli.ts", "generate", "--max-tokens", "60"], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(stdout.startsWith(STORY)).toBe(true);
  });

  it("--backend gpu prints the same story as the reference, and says which gpu.js mode ran", async () => {
    const ref = JSON.parse((await runCli("generate", "--json", "--max-tokens", "60", "--backend", "reference")).stdout);
    expect(ref.backend).toBe("reference");
    const gpu = JSON.parse((await runCli("generate", "--json", "--max-tokens", "60", "--backend", "gpu")).stdout);
    expect(gpu.text).toBe(ref.text);
    expect(gpu.backend).toMatch(/^gpu \((headlessgl|webasm|cpu)\)$/);
    const streamed = await runCli("generate", "--max-tokens", "60", "--backend", "gpu", "--gpu-mode", "cpu");
    expect(streamed.stdout.startsWith(STORY)).toBe(true);
    expect(streamed.stderr).toMatch(/backend gpu \(cpu\)/);
  });

  it("--json gives text, tokens and promptTokens consistent with each other", async () => {
    const r = await runCli("generate", "--json", "--max-tokens", "20");
    const out = JSON.parse(r.stdout);
    expect(out.promptTokens).toEqual([1, 403, 407, 261, 378]);
    expect(out.tokens).toHaveLength(20);
    expect(out.text.startsWith("Once upon a time, there was")).toBe(true);
    expect(out.compression).toEqual({ afterPrefill: 0, final: 0, mean: 0, decodeSteps: 19 });
  });

  it("samples deterministically for a seed, and differently for another seed", async () => {
    const run = async (seed: string) =>
      JSON.parse((await runCli("generate", "--json", "--temperature", "1", "--seed", seed, "--max-tokens", "30")).stdout).tokens;
    const a = await run("7");
    expect(await run("7")).toEqual(a);
    expect(await run("8")).not.toEqual(a);
  });

  it("rejects bad flags with a message naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--temperature", "hot"], /--temperature expects a number/],
      [["--top-p", "0"], /--top-p: top-p must be in \(0, 1\]/],
      [["--max-tokens", "2.5"], /--max-tokens: max-tokens must be a whole number/],
      [["--policy", "magic"], /--policy: policy must be one of/],
      [["--threshold", "1.5"], /--threshold: threshold must be in \[0, 1\]/],
      [["--r-local", "0"], /--r-local: r-local must be in \(0, 1\]/],
      [["--bogus"], /unknown flag --bogus/],
      [["--model", "/nonexistent/model.gguf"], /model file not found/],
      [["--backend", "tpu"], /backend must be one of/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli("generate", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});

describe("fastgen logits", () => {
  const dir = mkdtempSync(join(tmpdir(), "fastgen-logits-"));

  it("reproduces the golden logits for the fed tokens", async () => {
    const g = golden("quotes");
    const tokens = g.tokens.slice(0, 40);
    const out = join(dir, "quotes.f32");
    const r = await runCli("logits", "--tokens", tokens.join(","), "--out", out);
    expect(r.code).toBe(0);
    const buf = readFileSync(out);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(data.length).toBe(40 * g.vocabSize);
    const rows = Array.from({ length: 40 }, (_, i) => data.subarray(i * g.vocabSize, (i + 1) * g.vocabSize));
    const cmp = compareLogits(rows, g.logits, g.vocabSize);
    expect(cmp.maxAbsDiff).toBeLessThan(1e-4);
    expect(cmp.argmaxMismatches).toEqual([]);
  });

  it("validates token ids, the output path and policy/prompt-length combinations", async () => {
    const out = join(dir, "x.f32");
    expect((await runCli("logits", "--tokens", "1,999", "--out", out)).stderr).toMatch(/id 999 is outside the vocabulary/);
    expect((await runCli("logits", "--tokens", "1,-3", "--out", out)).stderr).toMatch(/comma-separated non-negative integers/);
    expect((await runCli("logits", "--tokens", "1,2")).stderr).toMatch(/--out FILE is required/);
    expect((await runCli("logits", "--tokens", "1,403", "--out", out, "--policy", "h2o")).stderr).toMatch(/needs --prompt-length/);
    expect((await runCli("logits", "--tokens", "1,403", "--out", out, "--prompt-length", "5")).stderr).toMatch(/longer than the 2 tokens/);
  });
});

describe("output and input files named on the command line", () => {
  it("an unwritable output or unreadable notes file is a clear error (exit 2), not a stack trace", async () => {
    const cases: [string[], RegExp][] = [
      [["synth", "--shape", "tiny", "--out", "/nonexistent/dir/x.gguf"], /cannot write \/nonexistent\/dir\/x.gguf/],
      [["logits", "--tokens", "1,2", "--out", "/nonexistent/dir/x.f32"], /cannot write \/nonexistent\/dir\/x.f32/],
      [["sample-prompts", "--out", "/nonexistent/dir/x.json"], /cannot write \/nonexistent\/dir\/x.json/],
      [["eval", "--quick", "--notes", "/nonexistent/notes.md"], /--notes: cannot read \/nonexistent\/notes.md/],
      [["generate", "--punct", ",", "--max-tokens", "2"], /--punct "," names no token/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });
});

describe("fastgen (no command / help)", () => {
  it("lists the commands and each command's flags", async () => {
    expect((await runCli("--help")).stdout).toMatch(/generate[\s\S]*profile[\s\S]*logits/);
    expect((await runCli("generate", "--help")).stdout).toMatch(/--max-tokens/);
    const unknown = await runCli("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
