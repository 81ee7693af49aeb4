/**
 * Issue 11: every bad input is answered before work is done. Each case must exit 2 with one clear
 * line naming the flag, within well under a second (in-process, so no start-up time: an evaluation
 * or a sampling run would take many seconds), and leave no output file behind.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { llamaToGguf } from "../src/model/gguf-writer.ts";
import { repoRoot } from "../src/model/load.ts";
import { SYNTH_SHAPES, synthModel } from "../src/model/synth.ts";
import { runCli } from "./support/run-cli.ts";
import { modelPath } from "./support/shared.ts";

/** Well under a second: loading stories260K takes tens of milliseconds, any real work seconds. */
const BEFORE_WORK_MS = 800;

const tmp = () => mkdtempSync(join(tmpdir(), "fastgen-inputs-"));

/** Every file under `dir`, recursively (to prove nothing was written). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

async function expectRefused(args: string[], message: RegExp, dir?: string) {
  const before = dir ? filesUnder(dir) : [];
  const started = performance.now();
  const r = await runCli(...args);
  const ms = performance.now() - started;
  const label = args.join(" ");
  expect(r.code, label).toBe(2);
  expect(r.stderr, label).toMatch(message);
  // One line: "fastgen <cmd>: <message>".
  expect(r.stderr.trimEnd().split("\n"), label).toHaveLength(1);
  expect(r.stderr, label).toMatch(new RegExp(`^fastgen ${args[0]}: `));
  expect(ms, label).toBeLessThan(BEFORE_WORK_MS);
  if (dir) expect(filesUnder(dir), `${label}: files left behind`).toEqual(before);
  expect(existsSync("/proc/x"), label).toBe(false);
}

describe("output paths are checked before any model work", () => {
  const dir = tmp();
  const aFile = join(dir, "a-file");
  writeFileSync(aFile, "not a folder\n");
  const readOnly = join(dir, "read-only.f32");
  writeFileSync(readOnly, "keep me\n");
  chmodSync(readOnly, 0o444);
  mkdirSync(join(dir, "folder"));
  const brokenLink = join(dir, "broken-link");
  symlinkSync(join(dir, "nowhere"), brokenLink);
  const prompts = join(repoRoot, "prompts", "stories.json");

  it.each([
    // eval: the --out folder, the report, the JSON (issue: --out /proc/x ran the whole evaluation, then hung).
    [["eval", "--quick", "--out", "/proc/x"], /--out: cannot write \/proc\/x: files cannot be created in \/proc/],
    [["eval", "--quick", "--out", "/proc/x/y/z"], /--out: cannot write \/proc\/x\/y\/z: files cannot be created in \/proc/],
    [["eval", "--quick", "--out", aFile], /--out: cannot write .*a-file: it is a file, and a folder is needed here/],
    [["eval", "--quick", "--out", join(aFile, "sub")], /--out: cannot write .*a-file\/sub: .*a-file is a file, not a folder/],
    [["eval", "--quick", "--out", brokenLink], /--out: cannot write .*broken-link: .*broken-link is a broken symbolic link/],
    [
      ["eval", "--quick", "--out", join(brokenLink, "sub")],
      /--out: cannot write .*broken-link\/sub: .*broken-link is a broken symbolic link/,
    ],
    [["eval", "--quick", "--out", "/"], /--out \/: give --report FILE too/],
    [["eval", "--quick", "--out", "./"], /--out \.: give --report FILE too/],
    [
      ["eval", "--quick", "--out", join(dir, "r"), "--report", join(dir, "folder")],
      /--report: cannot write .*folder: it is a folder; give a file name/,
    ],
    [["eval", "--quick", "--out", join(dir, "r"), "--report", "/proc/x.md"], /--report: cannot write \/proc\/x.md/],
    [["eval", "--quick", "--out", join(dir, "r"), "--json", "/proc/x.json"], /--json: cannot write \/proc\/x.json/],
    [["eval", "--quick", "--out", join(dir, "r"), "--json", join(dir, "r.md")], /--json: .*r\.md is also where --report goes/],
    [
      ["eval", "--quick", "--out", join(dir, "r"), "--report", prompts],
      /--report: .*stories\.json is also the prompt set \(--prompts\); writing it would destroy that input/,
    ],
    [
      ["eval", "--quick", "--out", join(dir, "r"), "--report", join(dir, "r", "pareto.svg")],
      /a picture of --out: .*pareto\.svg is also where --report goes/,
    ],
    // logits, synth, sample-prompts: the --out file.
    [["logits", "--tokens", "1,2", "--out", "/proc/x"], /--out: cannot write \/proc\/x: files cannot be created in \/proc/],
    [["logits", "--tokens", "1,2", "--out", join(dir, "folder")], /--out: cannot write .*folder: it is a folder/],
    [["logits", "--tokens", "1,2", "--out", join(dir, "folder") + "/"], /--out: cannot write .*folder\/: it names a folder/],
    [
      ["logits", "--tokens", "1,2", "--out", join(dir, "missing", "x.f32")],
      /--out: cannot write .*missing\/x\.f32: the folder .*missing does not exist/,
    ],
    [
      ["logits", "--tokens", "1,2", "--out", join(aFile, "x.f32")],
      /--out: cannot write .*a-file\/x\.f32: .*a-file is a file, not a folder/,
    ],
    [["logits", "--tokens", "1,2", "--out", readOnly], /--out: cannot write .*read-only\.f32: the file is read-only/],
    [
      ["logits", "--tokens", "1,2", "--model", modelPath, "--out", modelPath],
      /--out: .* is also the model \(--model\); writing it would destroy that input/,
    ],
    [
      ["logits", "--tokens", "1,2", "--out", join(dir, "x".repeat(300))],
      /--out: cannot write .*: a name in the path is longer than 255 bytes/,
    ],
    [["synth", "--shape", "110M", "--out", "/proc/x"], /--out: cannot write \/proc\/x/],
    [["synth", "--shape", "tiny", "--out", join(dir, "folder")], /--out: cannot write .*folder: it is a folder/],
    [["sample-prompts", "--out", "/proc/x"], /--out: cannot write \/proc\/x/],
    [["sample-prompts", "--out", join(dir, "missing", "p.json")], /the folder .*missing does not exist/],
  ])("%j", async (args, message) => {
    await expectRefused(args, message, dir);
    expect(readFileSync(readOnly, "utf8")).toBe("keep me\n");
  });
});

describe("flag values that are empty, absurd or past the model's context", () => {
  it.each([
    // Empty values used to be silently ignored (--punct "" ran with the default punctuation).
    [["generate", "--punct", ""], /--punct is empty; give a value or leave the flag out/],
    [["generate", "--special", ""], /--special is empty/],
    [["generate", "--special", " "], /--special is empty/],
    [["generate", "--model", ""], /--model is empty/],
    [["generate", "--policy", ""], /--policy is empty/],
    [["profile", "--prompt", ""], /--prompt is empty/],
    [["profile", "--gqa", ""], /--gqa is empty/],
    [["logits", "--tokens", "", "--out", "x.f32"], /--tokens is empty/],
    [["eval", "--quick", "--local", ""], /--local is empty/],
    [["eval", "--quick", "--out", ""], /--out is empty/],
    [["eval", "--quick", "--headline", ""], /--headline is empty/],
    [["sample-prompts", "--name", "", "--out", "x.json"], /--name is empty/],
    [["synth", "--type", "", "--out", "x.gguf"], /--type is empty/],
    // Not numbers, or numbers out of range.
    [["generate", "--temperature", "NaN"], /--temperature expects a number, got "NaN"/],
    [["generate", "--temperature", "Infinity"], /--temperature expects a number, got "Infinity"/],
    [["generate", "--max-tokens", "-1"], /--max-tokens/],
    [["generate", "--max-tokens", "0x10"], /--max-tokens expects a number, got "0x10"/],
    [["generate", "--special", "1,,2"], /--special "1,,2" has an empty item/],
    [["profile", "--punct", "432,"], /--punct "432," has an empty item/],
    [["sample-prompts", "--name", "\x1b[31mred", "--out", "x.json"], /--name: name may hold only letters, digits, _, \. and -/],
    [["generate", "--seed", "-1"], /--seed/],
    [["generate", "--sinks", "-4"], /--sinks: sinks must be ≥ 0/],
    [["eval", "--quick", "--limit", "0"], /--limit: limit must be at least 1/],
    [["eval", "--quick", "--workers", "0"], /--workers: workers must be at least 1/],
    [["sample-prompts", "--count", "0", "--out", "x.json"], /--count/],
    [["sample-prompts", "--count", "1e9", "--out", "x.json"], /--count/],
    [["synth", "--seed", "1.5", "--out", "x.gguf"], /--seed/],
    // Accepted before, then wrong or crashing after the work: a tiny temperature made every probability
    // NaN; a long --name failed the prompt set's id limit after sampling; 999 thresholds ran for minutes,
    // then the pictures overflowed the stack.
    [["generate", "--temperature", "1e-320"], /--temperature: temperature must be 0 \(greedy\) or at least 0\.001/],
    [["sample-prompts", "--temperature", "1e-9", "--out", "x.json"], /--temperature: temperature must be at least 0\.001/],
    [["sample-prompts", "--name", "n".repeat(81), "--out", "x.json"], /--name: name must be at most 80 characters/],
    [
      ["eval", "--quick", "--thresholds", Array.from({ length: 999 }, (_, i) => (i + 1) / 1000).join(",")],
      /--thresholds: thresholds: 999 values; at most 100/,
    ],
    // Given but not evaluated: used to be ignored silently (the report showed other thresholds).
    [["eval", "--quick", "--headline", "0.5,0.98"], /--headline: 0\.5 not among the thresholds evaluated \(0\.9, 0\.98\)/],
    [
      ["eval", "--quick", "--attention-threshold", "0.95"],
      /--attention-threshold: 0\.95 is not among the thresholds evaluated \(0\.9, 0\.98\)/,
    ],
    [
      ["eval", "--quick", "--h2o", Array.from({ length: 101 }, (_, i) => (i + 1) / 102).join(",")],
      /--h2o: ratios: 101 values; at most 100/,
    ],
    // Past the model's declared context (2048 for stories260K): refused before the first token.
    [
      ["sample-prompts", "--lengths", "100000", "--out", "x.json"],
      /--lengths 100000: 100000 positions exceed the model's context length of 2048/,
    ],
    [
      ["sample-prompts", "--lengths", `12,${"9".repeat(400)}`, "--out", "x.json"],
      /--lengths: a length of Infinity positions cannot be sampled/,
    ],
    [
      ["sample-prompts", "--count", "10000", "--lengths", "2000", "--out", "x.json"],
      /--count 10000 × --lengths: 19990000 tokens to sample/,
    ],
    [
      ["generate", "--max-tokens", "5000"],
      /the prompt's 5 tokens and --max-tokens 5000: 5004 positions exceed the model's context length of 2048/,
    ],
    [
      ["logits", "--tokens", Array(3000).fill(1).join(","), "--out", "x.f32"],
      /--tokens: 3000 positions exceed the model's context length of 2048/,
    ],
    [["profile", "--prompt", "Once upon a time ".repeat(600)], /--prompt: 2402 positions exceed the model's context length of 2048/],
    // A prompt too long to fit is refused before it is tokenized (no time spent encoding a megabyte).
    [
      ["generate", "--prompt", "a".repeat(1_000_000)],
      /--prompt: a text of 1000000 characters is at least \d+ tokens, more than the model's context length of 2048/,
    ],
  ])("%j", async (args, message) => {
    const dir = tmp();
    const withDir = args.map((a) => (a === "x.json" || a === "x.f32" || a === "x.gguf" ? join(dir, a) : a));
    await expectRefused(withDir, message, dir);
  });

  it("logits refuses an output too large to hold (rows × vocab) before running the model", async () => {
    const dir = tmp();
    const model = join(dir, "wide.gguf");
    // A vocabulary of 20,000 and a context of 16,384: a full-context run would be 1.2 GiB of logits.
    writeFileSync(
      model,
      llamaToGguf(synthModel({ ...SYNTH_SHAPES.tiny, vocabSize: 20_000, contextLength: 16_384 }, 1), { tensorType: "F32" }),
    );
    await expectRefused(
      ["logits", "--model", model, "--tokens", Array(16_384).fill(1).join(","), "--out", join(dir, "x.f32")],
      /--tokens: 16384 rows × 20000 logits is 1\.2 GiB, over the 1 GiB limit/,
      dir,
    );
  });

  it("sample-prompts: a length past the trained context (512) warns, and long runs show progress on stderr", async () => {
    const out = join(tmp(), "p.json");
    const r = await runCli("sample-prompts", "--count", "4", "--lengths", "600", "--out", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: 600 positions exceed the model's trained context of 512/m);
    expect(r.stderr).toMatch(/^sample-prompts: 4 prompts, 2396 tokens 50% \(1198\/2396\)/m);
    expect(r.stderr).toMatch(/^wrote 4 prompts to /m);
    expect(JSON.parse(readFileSync(out, "utf8")).prompts).toHaveLength(4);
  });

  it("an empty prompt still means BOS alone where it makes sense (generate)", async () => {
    const r = await runCli("generate", "--prompt", "", "--max-tokens", "3", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).promptTokens).toEqual([1]);
  });
});
