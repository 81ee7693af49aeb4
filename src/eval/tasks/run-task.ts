/**
 * One long-context task over every method and setting (spec §14.7): each case runs once with the
 * full cache and once per setting through the one pipeline (src/fastgen/pipeline.ts), and each run
 * records its score, its compression and the KV bytes its cache held at the end.
 */
import type { Backend } from "../../interfaces.ts";
import { compressPrompt, decodeCompressed, teacherForce } from "../../fastgen/pipeline.ts";
import { LITERATURE_NAMES } from "../../fastgen/methods/index.ts";
import { type CompressionSettings, compressionSettingsSchema } from "../../fastgen/settings.ts";
import type { TokenClasses } from "../../fastgen/token-classes.ts";
import type { Tokenizer } from "../../tokenizer/tokenizer.ts";
import { logSoftmaxF64 } from "../metrics.ts";
import { Progress, type ProgressSink } from "../progress.ts";
import { firstNumber, type PerplexityCase, type RetrievalCase, type TaskCase, type TaskName } from "./cases.ts";

/** The methods a task compares; each but fastgen is swept over the compression C. */
export const TASK_METHODS = ["fastgen", "budgeted", "h2o", "streaming", ...LITERATURE_NAMES] as const;
export type TaskMethod = (typeof TASK_METHODS)[number];

export interface TaskSetting {
  /** e.g. "snapkv C=0.4", "fastgen T=0.95", "full". */
  readonly id: string;
  readonly method: TaskMethod | "full";
  /** C, or T for fastgen; null for full. */
  readonly value: number | null;
  readonly settings: CompressionSettings;
}

/**
 * The sweep: the full cache, FastGen at each T, every other method at each C. H2O and StreamingLLM
 * have ratios, not C: H2O keeps (1 − C)/2 as window and as heavy hitters, StreamingLLM a window of
 * (1 − C) (and its four sinks); where they land is measured, like FastGen's.
 */
export function taskSettings(
  methods: readonly TaskMethod[],
  compressions: readonly number[],
  thresholds: readonly number[],
): TaskSetting[] {
  const out: TaskSetting[] = [{ id: "full", method: "full", value: null, settings: compressionSettingsSchema.parse({ policy: "full" }) }];
  // In the one order of TASK_METHODS, whatever order they were named in.
  for (const method of TASK_METHODS.filter((m) => methods.includes(m))) {
    const values = method === "fastgen" ? thresholds : compressions;
    for (const v of values) {
      const over =
        method === "fastgen"
          ? { threshold: v }
          : method === "h2o"
            ? { rLocal: Math.max(1e-6, (1 - v) / 2), rFrequent: Math.max(1e-6, (1 - v) / 2) }
            : method === "streaming"
              ? { rLocal: Math.max(1e-6, 1 - v) }
              : { compression: v };
      const settings = compressionSettingsSchema.parse({ policy: method, ...over });
      out.push({ id: `${method} ${method === "fastgen" ? "T" : "C"}=${v}`, method, value: v, settings });
    }
  }
  return out;
}

/** One case under one setting. */
export interface CaseRun {
  readonly caseId: string;
  readonly setting: string;
  /** perplexity: exp(mean NLL) of the scored rows; passkey/lines: 1 when the answer matches, else 0. */
  readonly score: number;
  /** The answer the greedy continuation gave (retrieval tasks). */
  readonly answer?: string;
  /** Retrieval: mean log-probability (nats) of the answer's tokens, teacher-forced after the prompt; null where not tokenizable apart. */
  readonly answerLogProb?: number | null;
  readonly compressionAfterPrompt: number;
  /** Mean over the scored / decoded steps (spec §12.13). */
  readonly compressionMean: number;
  /** Bytes the compressed cache's buffers held at the end (spec §13.3). */
  readonly kvBytes: number;
  /** Bytes a full float32 cache holds at the same length. */
  readonly fullBytes: number;
}

export interface TaskEnvironment {
  readonly backend: Backend;
  readonly tokenizer: Tokenizer;
  readonly classes: TokenClasses;
}

/** Greedy tokens decoded for a retrieval answer. */
export const ANSWER_TOKENS = 8;

function perplexityRun(env: TaskEnvironment, c: PerplexityCase, s: TaskSetting): CaseRun {
  const n = c.promptLength;
  const { rows, session } = teacherForce(env.backend, env.classes, s.settings, c.tokens, n);
  // Rows n..L−2 predict tokens n+1..L−1: every one of them was computed through the compressed cache.
  let nll = 0;
  let count = 0;
  for (let i = n; i < c.tokens.length - 1; i++) {
    nll -= logSoftmaxF64(rows[i]!)[c.tokens[i + 1]!]!;
    count++;
  }
  const summary = session.summary();
  const bytes = session.kvBytes();
  session.cache.release();
  return {
    caseId: c.id,
    setting: s.id,
    score: Math.exp(nll / Math.max(1, count)),
    compressionAfterPrompt: summary.afterPrefill,
    compressionMean: summary.mean,
    kvBytes: bytes.compressed,
    fullBytes: bytes.full,
  };
}

function retrievalRun(env: TaskEnvironment, c: RetrievalCase, s: TaskSetting, maxLength: number): CaseRun {
  const prompt = compressPrompt(env.backend, env.classes, s.settings, c.promptTokens);
  const tokens: number[] = [];
  const steps = Math.max(1, Math.min(ANSWER_TOKENS, maxLength - c.promptTokens.length));
  const greedy = { maxTokens: steps, sampling: { temperature: 0, topP: 1, seed: 0 }, stopTokens: env.tokenizer.stopTokens };
  for (const t of decodeCompressed(env.backend, prompt, greedy)) tokens.push(t.token);
  const answer = firstNumber(env.tokenizer.decode(tokens));
  const summary = prompt.session.summary();
  const bytes = prompt.session.kvBytes();
  prompt.session.cache.release();
  return {
    caseId: c.id,
    setting: s.id,
    score: answer === c.answer ? 1 : 0,
    answer,
    answerLogProb: answerLogProb(env, c, s),
    compressionAfterPrompt: summary.afterPrefill,
    compressionMean: summary.mean,
    kvBytes: bytes.compressed,
    fullBytes: bytes.full,
  };
}

/**
 * How likely the compressed cache finds the right answer, a graded score for models too small to
 * retrieve it: the answer teacher-forced after the prompt (a second run: a cache cannot be forked).
 * The first answer token comes from the prompt's last row, before any compression.
 */
function answerLogProb(env: TaskEnvironment, c: RetrievalCase, s: TaskSetting): number | null {
  if (!c.answerTokens) return null;
  const tokens = [...c.promptTokens, ...c.answerTokens];
  const n = c.promptTokens.length;
  const { rows, session } = teacherForce(env.backend, env.classes, s.settings, tokens.slice(0, -1), n);
  session.cache.release();
  let sum = 0;
  for (let i = n - 1; i < tokens.length - 1; i++) sum += logSoftmaxF64(rows[i]!)[tokens[i + 1]!]!;
  return sum / c.answerTokens.length;
}

/** Every case under every setting, with progress; `maxLength` is the trained context (decoding stops there). */
export function runTask(
  task: TaskName,
  env: TaskEnvironment,
  cases: readonly TaskCase[],
  settings: readonly TaskSetting[],
  maxLength: number,
  sink: ProgressSink,
): CaseRun[] {
  const progress = new Progress(cases.length * settings.length, task, sink);
  const runs: CaseRun[] = [];
  for (const c of cases) {
    for (const s of settings) {
      runs.push(c.task === "perplexity" ? perplexityRun(env, c, s) : retrievalRun(env, c, s, maxLength));
      progress.tick(1, `${c.id}, ${s.id}`);
    }
  }
  progress.finish();
  return runs;
}
