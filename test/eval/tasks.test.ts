/** The long-context tasks (spec §14.7): their cases, their scores and the `eval --task` command, on short generated cases. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import {
  firstNumber,
  generatedLineCases,
  lineCases,
  type PerplexityCase,
  passkeyCases,
  perplexityCases,
  splitChapters,
} from "../../src/eval/tasks/cases.ts";
import { runTask, taskSettings } from "../../src/eval/tasks/run-task.ts";
import { scoreAt, summarizeTask, type TaskSummary, winners } from "../../src/eval/tasks/summary.ts";
import { logSoftmaxF64 } from "../../src/eval/metrics.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { runCli } from "../support/run-cli.ts";
import { stories260K } from "../support/shared.ts";

const model = stories260K();
const tokenizer = new Tokenizer(model.vocab!);
const backend = new ReferenceTransformer(model);
const env = { backend, tokenizer, classes: computeTokenClasses(model.vocab!) };
const quiet = { line: () => {} };

const NOVEL = [
  "Title page\n\nContents\nHeading to Chapter I.   1\n",
  "Chapter I.]\n\nOnce upon a time there was a cat. The cat sat on the mat and looked at the sun. It was warm.\n",
  "CHAPTER II.\n\nThe dog came to see the cat. They played in the garden until the sky was dark and the moon came out.\n",
  "*** END OF THE PROJECT GUTENBERG EBOOK\nlicence text that is not a chapter\n",
].join("");

describe("cases", () => {
  it("chapters are split at their headings; front matter and the licence are not chapters", () => {
    const chapters = splitChapters(NOVEL);
    expect(chapters).toHaveLength(2);
    expect(chapters[0]).toMatch(/^Once upon a time/);
    expect(chapters[1]).toMatch(/moon came out\.$/);
    const cases = perplexityCases(NOVEL, tokenizer, 20, 10, "novel");
    expect(cases.map((c) => c.tokens.length)).toEqual([20, 20]);
    expect(cases[0]!.promptLength).toBe(15);
    expect(() => perplexityCases("no headings here", tokenizer, 20, 10, "x.txt")).toThrow(/x\.txt: no line of the form/);
  });

  it("a passkey sits at its depth, within the length, and its answer tokens follow the prompt", () => {
    const cases = passkeyCases(tokenizer, [300, 500], [0, 0.5, 1], 7);
    expect(cases).toHaveLength(6);
    for (const c of cases) {
      expect(c.promptTokens.length).toBeLessThanOrEqual(c.length);
      expect(c.promptTokens.length).toBeGreaterThan(c.length - 40);
      const text = tokenizer.decode(c.promptTokens);
      const at = text.indexOf(`The pass key is ${c.answer}.`);
      expect(at).toBeGreaterThan(0);
      // Depth 0: right after the head; depth 1: right before the question.
      const share = at / text.length;
      if (c.depth === 0) expect(share).toBeLessThan(0.35);
      if (c.depth === 1) expect(share).toBeGreaterThan(0.6);
      expect(firstNumber(tokenizer.decode(c.answerTokens!))).toBe(c.answer);
    }
    expect(new Set(cases.map((c) => c.answer)).size).toBe(6);
    // Seeded: the same seed gives the same keys, another seed others.
    expect(passkeyCases(tokenizer, [300, 500], [0, 0.5, 1], 7).map((x) => x.answer)).toEqual(cases.map((x) => x.answer));
    expect(passkeyCases(tokenizer, [300, 500], [0, 0.5, 1], 8).map((x) => x.answer)).not.toEqual(cases.map((x) => x.answer));
    expect(() => passkeyCases(tokenizer, [20], [0.5], 1)).toThrow(/cannot hold the passkey/);
  });

  it("generated line records ask for one of their lines; LongEval files are validated line by line", () => {
    for (const c of generatedLineCases(tokenizer, 6, [0, 1], 3)) {
      const text = tokenizer.decode(c.promptTokens);
      expect(text).toContain(`REGISTER_CONTENT is <${c.answer}>`);
      expect(firstNumber(tokenizer.decode(c.answerTokens!))).toBe(c.answer);
    }
    const dir = mkdtempSync(join(tmpdir(), "fastgen-lines-"));
    const good = join(dir, "good.jsonl");
    const prompt = (n: number) => `line a: REGISTER_CONTENT is <${n}>\nline b: REGISTER_CONTENT is <7>\nWhat is in line a? `;
    writeFileSync(good, [1, 2, 3].map((n) => JSON.stringify({ prompt: prompt(n), expected_number: n })).join("\n") + "\n");
    const read = lineCases(good, tokenizer, 1000, 2);
    expect(read.cases.map((c) => c.answer)).toEqual(["1", "2"]);
    expect(lineCases(good, tokenizer, 5, 10)).toMatchObject({ cases: [], tooLong: 3 });
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify({ prompt: "x", expected_number: 1 })}\n{"prompt": "y"}\n`);
    expect(() => lineCases(bad, tokenizer, 1000, 10)).toThrow(/bad\.jsonl: line 2: .*expected_number/i);
    writeFileSync(bad, "not json\n");
    expect(() => lineCases(bad, tokenizer, 1000, 10)).toThrow(/line 1 is not JSON/);
  });
});

describe("scores", () => {
  const c = perplexityCases(NOVEL, tokenizer, 40, 1, "novel")[0]! as PerplexityCase;
  const settings = taskSettings(["fastgen", "snapkv", "tova", "h2o"], [0.3, 0.6], [0.9]);
  const runs = runTask("perplexity", env, [c], settings, 512, quiet);

  it("the full cache's perplexity is exp of the mean NLL of the scored rows, recomputed on a plain cache", () => {
    const rows = backend.prefill(c.tokens, 0, new FullKvCache(kvLayoutOf(model.config)));
    let nll = 0;
    for (let i = c.promptLength; i < c.tokens.length - 1; i++) nll -= logSoftmaxF64(rows[i]!)[c.tokens[i + 1]!]!;
    const full = runs.find((r) => r.setting === "full")!;
    expect(full.score).toBeCloseTo(Math.exp(nll / (c.tokens.length - 1 - c.promptLength)), 10);
    expect(full.compressionMean).toBe(0);
  });

  it("each C-swept method reaches its C after the prompt; compressed runs hold fewer bytes", () => {
    for (const r of runs.filter((x) => /^(snapkv|tova) /.test(x.setting))) {
      const C = Number(r.setting.split("=")[1]);
      expect(Math.abs(r.compressionAfterPrompt - C)).toBeLessThanOrEqual(0.02 + 0.5 / c.promptLength);
      expect(r.kvBytes).toBeLessThan(r.fullBytes);
    }
  });

  it("winners are read along each method's curve and a method is placed only inside its range", () => {
    const s = (method: "snapkv" | "tova", compression: number, score: number): TaskSummary => ({
      setting: `${method} ${compression}`,
      method,
      value: compression,
      score,
      compressionAfterPrompt: compression,
      compression,
      kvBytes: 0,
      fullBytes: 0,
    });
    const points = [s("snapkv", 0.2, 10), s("snapkv", 0.6, 20), s("tova", 0.4, 12), s("tova", 0.8, 30)];
    expect(scoreAt(points.slice(0, 2), 0.4)).toBeCloseTo(15, 12);
    expect(scoreAt(points.slice(0, 2), 0.8)).toBeUndefined();
    const table = winners("perplexity", points);
    // 20%: only snapkv reaches it; 40%: 15 vs 12; 60%: 20 vs 21; 80%: only tova.
    expect(table.map((r) => r.winners)).toEqual([["snapkv"], ["tova"], ["snapkv"], ["tova"]]);
    expect(winners("passkey", points)[1]!.winners).toEqual(["snapkv"]);
    // Nothing retrieved by anyone: a tie, not a list of winners.
    const zero = [s("snapkv", 0.2, 0), s("snapkv", 0.6, 0), s("tova", 0.2, 0), s("tova", 0.6, 0)];
    expect(winners("passkey", zero)[0]).toMatchObject({ winners: [], tied: true });
  });

  it("a retrieval run scores the greedy answer and the answer's log-probability", () => {
    const cases = passkeyCases(tokenizer, [200], [0.5], 2);
    const out = runTask("passkey", env, cases, taskSettings(["knorm"], [0.5], []), 512, quiet);
    const summary = summarizeTask("passkey", taskSettings(["knorm"], [0.5], []), out);
    for (const r of out) {
      expect(r.score).toBe(r.answer === cases[0]!.answer ? 1 : 0);
      expect(r.answerLogProb).toBeLessThan(0);
    }
    expect(summary[0]!.answerLogProb).toBeCloseTo(out[0]!.answerLogProb!, 12);
  });
});

describe("fastgen eval --task", () => {
  it("writes the curves, the report and the JSON for a short generated task", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fastgen-task-"));
    const r = await runCli(
      "eval",
      "--task",
      "lines",
      "--lines",
      "4",
      "--depths",
      "0,1",
      "--methods",
      "snapkv,knorm,fastgen",
      "--compressions",
      "0.5",
      "--thresholds",
      "0.9",
      "--out",
      dir,
      "--png=false",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["lines.json", "lines.md", "lines.svg"]);
    const json = JSON.parse(readFileSync(join(dir, "lines.json"), "utf8"));
    expect(json.summaries.map((s: TaskSummary) => s.setting)).toEqual(["full", "fastgen T=0.9", "snapkv C=0.5", "knorm C=0.5"]);
    expect(readFileSync(join(dir, "lines.md"), "utf8")).toMatch(/## The best method at each compression/);
  }, 60_000);

  it.each([
    [["--task", "nope"], /task must be one of perplexity, passkey, lines/],
    [["--task", "passkey", "--lengths", "8"], /lengths: whole numbers of tokens from 16/],
    [["--task", "passkey", "--lengths", "4096"], /--lengths: 4096 exceed the trained context \(512\)/],
    [["--task", "passkey", "--text", "x.txt"], /--text does not apply to --task passkey/],
    [["--task", "perplexity", "--text", "/nonexistent/novel.txt"], /--text: cannot read/],
    [["--task", "lines", "--methods", "snapkv,zip"], /methods: "zip" is not one of/],
    [["--task", "lines", "--lines", "4", "--compressions", "1"], /compressions: "1" is not in \[0, 1\)/],
    [["--task", "lines", "--lines", "100"], /--lines 100: a record takes \d+ tokens, above 512/],
    [["--task", "lines", "--lines", "300"], /lines must be at most 182/],
  ])("%j: one line, nothing written", async (args, message) => {
    const dir = join(mkdtempSync(join(tmpdir(), "fastgen-task-bad-")), "out");
    const r = await runCli("eval", ...args, "--out", dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  });
});
