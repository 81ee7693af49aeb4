/**
 * The cases of the long-context tasks (spec §14.7): chapters of a long text for `perplexity`, a
 * passkey hidden in filler for `passkey`, LongEval line records for `lines`. Every case is token
 * ids plus what scores it; each is clipped to or checked against the model's trained context here,
 * before any model runs.
 */
import { z } from "zod";
import { InputError } from "../../errors.ts";
import { readInputText } from "../../output-file.ts";
import { mulberry32 } from "../../random.ts";
import type { Tokenizer } from "../../tokenizer/tokenizer.ts";

export const TASK_NAMES = ["perplexity", "passkey", "lines"] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** Teacher-forced text: rows from `promptLength` on are scored through the compressed cache. */
export interface PerplexityCase {
  readonly task: "perplexity";
  readonly id: string;
  readonly tokens: readonly number[];
  readonly promptLength: number;
}

/** A prompt and the number the greedy answer must start with. */
export interface RetrievalCase {
  readonly task: "passkey" | "lines";
  readonly id: string;
  readonly promptTokens: readonly number[];
  readonly answer: string;
  /**
   * The answer as the tokens that follow the prompt (the prompt and the answer tokenized together,
   * the prompt's own tokens removed); null where the joint tokenization does not begin with the prompt's.
   */
  readonly answerTokens: readonly number[] | null;
  /** passkey: share of the filler before the key; lines: the line's place in the record. */
  readonly depth: number;
  /** Prompt length in tokens (the length of the passkey grid). */
  readonly length: number;
}

export type TaskCase = PerplexityCase | RetrievalCase;

/** Share of a chapter's tokens that forms the prompt; the rest is scored (spec §14.7). */
export const PROMPT_SHARE = 0.75;

/** Chapters of a novel: split at lines that are only "Chapter N." (Roman numerals, any case, a closing "]" allowed). */
export function splitChapters(text: string): string[] {
  const body = text.replace(/\r\n?/g, "\n").split(/^\*\*\* ?END OF/m)[0]!;
  const parts = body.split(/^[ \t]*chapter[ \t]+[ivxlcdm]+\.?\]?[ \t]*$/im);
  return parts
    .slice(1)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** Chapters → cases of at most `maxTokens` tokens (BOS included), the first 75% the prompt. */
export function perplexityCases(text: string, tokenizer: Tokenizer, maxTokens: number, limit: number, source: string): PerplexityCase[] {
  const chapters = splitChapters(text);
  if (chapters.length === 0) throw new InputError(`${source}: no line of the form "Chapter I." found, so no chapters to score`);
  const out: PerplexityCase[] = [];
  for (const [i, chapter] of chapters.slice(0, limit).entries()) {
    // Tokenizing a whole chapter is cheap; the first maxTokens is what fits the model.
    const tokens = tokenizer.promptTokens(chapter.replace(/\s+/g, " ")).slice(0, maxTokens);
    if (tokens.length < 8) continue;
    out.push({ task: "perplexity", id: `chapter ${i + 1}`, tokens, promptLength: Math.floor(PROMPT_SHARE * tokens.length) });
  }
  if (out.length === 0) throw new InputError(`${source}: every chapter is shorter than 8 tokens`);
  return out;
}

const FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";
const PASSKEY_HEAD = "There is an important number hidden inside a lot of irrelevant text. Find it and remember it. ";
const PASSKEY_QUESTION = "What is the pass key? The pass key is";

/**
 * Passkey cases (after Mohtashami & Jaggi 2023): five digits in a sentence at each depth of filler,
 * each case `length` tokens long at most; the key comes from a seeded generator, one per case.
 */
export function passkeyCases(tokenizer: Tokenizer, lengths: readonly number[], depths: readonly number[], seed: number): RetrievalCase[] {
  const random = mulberry32(seed);
  const perFiller = tokenizer.encode(FILLER, { bos: false }).length;
  const out: RetrievalCase[] = [];
  for (const length of lengths) {
    for (const depth of depths) {
      const key = String(10000 + Math.floor(random() * 90000));
      const needle = `The pass key is ${key}. Remember it. ${key} is the pass key. `;
      const fixed = tokenizer.promptTokens(PASSKEY_HEAD + needle + PASSKEY_QUESTION).length;
      let fillers = Math.max(0, Math.floor((length - fixed) / perFiller));
      let tokens: number[] = [];
      // Token counts are not quite additive at the joins: drop fillers until the case fits.
      const text = (before: number, all: number) =>
        PASSKEY_HEAD + FILLER.repeat(before) + needle + FILLER.repeat(all - before) + PASSKEY_QUESTION;
      let before = 0;
      for (; fillers >= 0; fillers--) {
        before = Math.round(depth * fillers);
        tokens = tokenizer.promptTokens(text(before, fillers));
        if (tokens.length <= length) break;
      }
      if (tokens.length > length) {
        throw new InputError(`--lengths: ${length} tokens cannot hold the passkey sentence and the question (${tokens.length} needed)`);
      }
      const answerTokens = continuation(tokenizer, tokens, `${text(before, fillers)} ${key}.`);
      out.push({ task: "passkey", id: `len ${length} depth ${depth}`, promptTokens: tokens, answer: key, answerTokens, depth, length });
    }
  }
  return out;
}

const lineCaseSchema = z.object({
  prompt: z.string().min(1, "prompt must not be empty"),
  expected_number: z.number().int("expected_number must be a whole number"),
  correct_line: z.string().optional(),
  num_lines: z.number().int().optional(),
});

/**
 * LongEval "lines" cases from a JSONL file (one case per line: `prompt`, `expected_number`), each
 * validated; cases longer than `maxTokens` are left out and counted.
 */
export function lineCases(
  path: string,
  tokenizer: Tokenizer,
  maxTokens: number,
  limit: number,
): { cases: RetrievalCase[]; tooLong: number; longest: number } {
  const text = readInputText(path, "--cases");
  const cases: RetrievalCase[] = [];
  let tooLong = 0;
  let longest = 0;
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new InputError(`--cases ${path}: no cases (expected one JSON object per line)`);
  for (const [i, line] of lines.entries()) {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError(`--cases ${path}: line ${i + 1} is not JSON`);
    }
    const parsed = lineCaseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InputError(`--cases ${path}: line ${i + 1}: ${issue.path.join(".") || "the case"}: ${issue.message}`);
    }
    if (cases.length >= limit) continue;
    const c = parsed.data;
    const promptTokens = tokenizer.promptTokens(c.prompt);
    longest = Math.max(longest, promptTokens.length);
    if (promptTokens.length > maxTokens) {
      tooLong++;
      continue;
    }
    const id = `case ${i + 1}`;
    const answer = String(c.expected_number);
    const answerTokens = continuation(tokenizer, promptTokens, `${c.prompt}${answer}`);
    cases.push({ task: "lines", id, promptTokens, answer, answerTokens, depth: lineDepth(c), length: promptTokens.length });
  }
  return { cases, tooLong, longest };
}

/** Where the asked line sits in the record, 0..1 (0.5 when the case does not say). */
function lineDepth(c: z.infer<typeof lineCaseSchema>): number {
  if (!c.correct_line) return 0.5;
  const at = c.prompt.indexOf(c.correct_line);
  return at < 0 ? 0.5 : at / c.prompt.length;
}

const WORDS_A = [
  "brave",
  "calm",
  "eager",
  "fancy",
  "gentle",
  "happy",
  "jolly",
  "kind",
  "lucky",
  "merry",
  "proud",
  "quiet",
  "silly",
  "witty",
];
const WORDS_B = [
  "apple",
  "badger",
  "cloud",
  "daisy",
  "eagle",
  "forest",
  "garden",
  "harbor",
  "island",
  "jelly",
  "kettle",
  "lemon",
  "meadow",
];

/** Distinct adjective-noun names, so the most lines a generated record can hold. */
export const MAX_GENERATED_LINES = WORDS_A.length * WORDS_B.length;

/**
 * Short line records in LongEval's wording (`lines` task without a file): `count` lines of
 * "line <adjective-noun>: REGISTER_CONTENT is <n>", then the question for one line at each depth.
 */
export function generatedLineCases(tokenizer: Tokenizer, count: number, depths: readonly number[], seed: number): RetrievalCase[] {
  if (!Number.isInteger(count) || count < 2 || count > MAX_GENERATED_LINES) {
    throw new InputError(`--lines: ${count} is not a whole number in 2..${MAX_GENERATED_LINES} (the distinct line names)`);
  }
  const random = mulberry32(seed);
  return depths.map((depth) => {
    const names = new Set<string>();
    while (names.size < count) {
      names.add(`${WORDS_A[Math.floor(random() * WORDS_A.length)]}-${WORDS_B[Math.floor(random() * WORDS_B.length)]}`);
    }
    const lines = [...names].map((name) => ({ name, value: 100 + Math.floor(random() * 900) }));
    const asked = lines[Math.min(count - 1, Math.round(depth * (count - 1)))]!;
    const prompt =
      "Below is a record of lines I want you to remember. Each line begins with 'line <line index>' and contains a " +
      "'<REGISTER_CONTENT>' at the end of the line as a numerical value. Now the record start:\n\n" +
      lines.map((l) => `line ${l.name}: REGISTER_CONTENT is <${l.value}>\n`).join("") +
      `\nNow the record is over. Tell me what is the <REGISTER_CONTENT> in line ${asked.name}? I need the number. ` +
      `line ${asked.name}: REGISTER_CONTENT is <`;
    const promptTokens = tokenizer.promptTokens(prompt);
    const answer = String(asked.value);
    return {
      task: "lines",
      id: `${count} lines depth ${depth}`,
      promptTokens,
      answer,
      answerTokens: continuation(tokenizer, promptTokens, `${prompt}${answer}>`),
      depth,
      length: promptTokens.length,
    };
  });
}

/** The tokens `whole` adds after `prompt` when both are tokenized from the start; null if it does not begin with them. */
function continuation(tokenizer: Tokenizer, prompt: readonly number[], whole: string): number[] | null {
  const tokens = tokenizer.promptTokens(whole);
  if (tokens.length <= prompt.length || prompt.some((t, i) => tokens[i] !== t)) return null;
  return tokens.slice(prompt.length);
}

/** The answer a greedy continuation gives: its first run of digits ("" when there is none). */
export function firstNumber(text: string): string {
  return /\d+/.exec(text)?.[0] ?? "";
}
