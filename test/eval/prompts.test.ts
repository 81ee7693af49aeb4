/** The committed prompt sets and the prompt-file validation. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPromptSet, parsePromptSet, planPrompts } from "../../src/eval/prompts.ts";
import { repoRoot } from "../../src/model/load.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { stories260K } from "../support/shared.ts";

const tokenizer = new Tokenizer(stories260K().vocab!);

describe("prompts/stories.json", () => {
  const set = loadPromptSet(join(repoRoot, "prompts", "stories.json"));
  const lengths = set.prompts.map((p) => tokenizer.encode(p.text!).length);

  it("holds at least 50 hand-written story prompts from about 10 to about 300 tokens", () => {
    expect(set.prompts.length).toBeGreaterThanOrEqual(50);
    expect(Math.min(...lengths)).toBeLessThanOrEqual(12);
    expect(Math.max(...lengths)).toBeGreaterThanOrEqual(280);
    // Varied: every length band has prompts.
    for (const [lo, hi] of [
      [0, 30],
      [30, 80],
      [80, 160],
      [160, 260],
      [260, 400],
    ] as const) {
      expect(lengths.filter((n) => n >= lo && n < hi).length).toBeGreaterThanOrEqual(5);
    }
  });

  it("has dialogue and punctuation, and no byte-fallback or unknown tokens", () => {
    expect(set.prompts.filter((p) => p.text!.includes('"')).length).toBeGreaterThanOrEqual(25);
    expect(set.prompts.filter((p) => /[!?]/.test(p.text!)).length).toBeGreaterThanOrEqual(25);
    for (const p of set.prompts) {
      const tokens = tokenizer.encode(p.text!);
      expect(
        tokens.filter((t) => t === 0 || (t >= 3 && t < 259)),
        p.id,
      ).toEqual([]);
    }
  });

  it("fits 128 forced tokens in the trained context for every prompt, and any prefix spans short and long prompts", () => {
    const plan = planPrompts(set, tokenizer, { limit: Infinity, forced: 128, context: 512 });
    expect(plan.prompts).toHaveLength(set.prompts.length);
    expect(plan.notes).toEqual([]);
    const first10 = lengths.slice(0, 10);
    expect(Math.min(...first10)).toBeLessThan(30);
    expect(Math.max(...first10)).toBeGreaterThan(200);
  });
});

describe("prompts/sampled.json", () => {
  const set = loadPromptSet(join(repoRoot, "prompts", "sampled.json"));

  it("stores exact token ids that start with BOS, and records how it was made", () => {
    expect(set.prompts.length).toBeGreaterThanOrEqual(50);
    expect(set.generator?.command).toMatch(/sample-prompts/);
    for (const p of set.prompts) {
      expect(p.tokens![0]).toBe(tokenizer.vocab.bosId);
      expect(p.tokens!.slice(1)).not.toContain(tokenizer.vocab.eosId);
    }
  });
});

describe("parsePromptSet", () => {
  const ok = {
    name: "t",
    description: "d",
    howMade: "h",
    prompts: [
      { id: "a", text: "Hi." },
      { id: "b", tokens: [1, 300] },
    ],
  };

  it("accepts text or token prompts", () => {
    expect(parsePromptSet(JSON.stringify(ok), "x.json").prompts).toHaveLength(2);
  });

  it.each([
    ["not JSON", "{", /x\.json: not valid JSON/],
    [
      "a prompt with neither text nor tokens",
      JSON.stringify({ ...ok, prompts: [{ id: "a" }] }),
      /prompts\[0\]: a prompt needs text or tokens/,
    ],
    [
      "duplicate ids",
      JSON.stringify({
        ...ok,
        prompts: [
          { id: "a", text: "x" },
          { id: "a", text: "y" },
        ],
      }),
      /prompts\[1\]\.id: duplicate id "a"/,
    ],
    ["no prompts", JSON.stringify({ ...ok, prompts: [] }), /at least one prompt/],
    ["an unknown field", JSON.stringify({ ...ok, extra: 1 }), /extra/],
    ["a negative token id", JSON.stringify({ ...ok, prompts: [{ id: "a", tokens: [1, -2] }] }), /prompts\[0\]\.tokens\[1\]/],
    ["a missing description", JSON.stringify({ name: "t", howMade: "h", prompts: ok.prompts }), /description/],
  ])("rejects %s, naming the place", (_what, json, message) => {
    expect(() => parsePromptSet(json, "x.json")).toThrow(message);
  });
});

describe("planPrompts", () => {
  const set = parsePromptSet(
    JSON.stringify({
      name: "t",
      description: "d",
      howMade: "h",
      prompts: [
        { id: "short", tokens: [1, 300, 301] },
        { id: "long", tokens: [1, ...Array(9).fill(300)] },
        { id: "full", tokens: Array(12).fill(1) },
      ],
    }),
    "t",
  );

  it("clips N so that prompt + N fits the context, and skips prompts with no room", () => {
    const plan = planPrompts(set, tokenizer, { limit: 10, forced: 5, context: 12 });
    expect(plan.prompts.map((p) => [p.id, p.forced])).toEqual([
      ["short", 5],
      ["long", 2],
    ]);
    expect(plan.notes).toEqual([
      expect.stringMatching(/long: 10 prompt tokens, so N clipped from 5 to 2/),
      expect.stringMatching(/full: skipped/),
    ]);
  });

  it("takes only the first `limit` prompts and tokenizes text with BOS", () => {
    const text = parsePromptSet(
      JSON.stringify({
        name: "t",
        description: "d",
        howMade: "h",
        prompts: [
          { id: "a", text: "Once upon a time" },
          { id: "b", text: "x" },
        ],
      }),
      "t",
    );
    const plan = planPrompts(text, tokenizer, { limit: 1, forced: 4, context: 512 });
    expect(plan.prompts.map((p) => p.tokens)).toEqual([[1, 403, 407, 261, 378]]);
  });

  it("rejects token ids outside the vocabulary", () => {
    const bad = parsePromptSet(
      JSON.stringify({ name: "t", description: "d", howMade: "h", prompts: [{ id: "a", tokens: [1, 512] }] }),
      "t",
    );
    expect(() => planPrompts(bad, tokenizer, { limit: 1, forced: 4, context: 512 })).toThrow(/prompt a: token id 512/);
  });
});
