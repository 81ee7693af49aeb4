/**
 * One policy and setting on one prompt, against the full-cache reference (spec §10):
 * teacher forcing through the compressed cache (rows n..n+N-1, each predicting the next forced
 * token), free-running greedy decoding forked from it at the first disagreement, compression and
 * bytes (spec §8), and the attention recovery during decoding.
 */
import type { Backend, KvCache } from "../interfaces.ts";
import type { CompressionSettings } from "../fastgen/settings.ts";
import { compressPrompt } from "../fastgen/pipeline.ts";
import type { CompressionSummary, CompressionSession, KvBytesReport } from "../fastgen/session.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import { argmax } from "../generation/sampler.ts";
import {
  compareRow,
  type FreeRunningMetrics,
  freeRunningAgreement,
  type RowComparison,
  summarizeRows,
  type TeacherForcedMetrics,
} from "./metrics.ts";
import { type HeadRecovery, RecoveryMeter } from "./recovery.ts";
import type { ReferenceRun } from "./reference-run.ts";
import { type AttentionObserver, replayTrace, type TokenTrace, TracingCache } from "./trace.ts";

export interface SettingRun {
  readonly teacher: TeacherForcedMetrics;
  readonly free: FreeRunningMetrics;
  /** Of the teacher-forced run: every policy sees the same tokens. */
  readonly compression: CompressionSummary;
  readonly kvBytes: KvBytesReport;
  /** Per (layer, KV head), layer-major. */
  readonly heads: readonly HeadRecovery[];
  /** With `watch`: `watched[layer · nKvHeads + g][step]`, the positions each KV head attended (for the attention picture). */
  readonly watched: readonly (readonly Int32Array[])[];
}

/** A fresh session whose cache holds the replayed prefill, profiled and compressed (spec §4, §5). */
function startSession(backend: Backend, classes: TokenClasses, settings: CompressionSettings, ref: ReferenceRun): CompressionSession {
  const fill = (cache: KvCache) => {
    replayTrace(ref.steps.slice(0, ref.promptTokens.length), cache);
    return [];
  };
  return compressPrompt(backend, classes, settings, ref.promptTokens, fill).session;
}

export function runSetting(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  ref: ReferenceRun,
  watch = false,
): SettingRun {
  const n = ref.promptTokens.length;
  const N = ref.rows.length;
  const session = startSession(backend, classes, settings, ref);
  const meter = new RecoveryMeter(session.cache.layout, ref, n);
  const { nLayers, nKvHeads } = session.cache.layout;
  const watched: Int32Array[][] = watch ? Array.from({ length: nLayers * nKvHeads }, () => []) : [];
  const observe: AttentionObserver = (layer, kvHead, position, attended) => {
    meter.observe(layer, kvHead, position, attended);
    if (watch) watched[layer * nKvHeads + kvHead]!.push(Int32Array.from(attended));
  };
  const probe = new TracingCache(session.cache, { recording: true, observe });
  const rows: RowComparison[] = [];
  let fork: { step: number; token: number } | undefined;
  for (let i = 0; i < N; i++) {
    const row = backend.forward(ref.continuation[i]!, n + i, probe);
    session.recordStep();
    const cmp = compareRow(ref.compared[i]!, row, ref.continuation[i + 1]!);
    rows.push(cmp);
    if (!fork && !cmp.top1) {
      // Greedy decoding with this cache would leave the reference here; keep the trace up to this step.
      fork = { step: i, token: argmax(row) };
      probe.recording = false;
    }
  }
  const reference = ref.continuation.slice(1);
  const freeTokens = fork ? freeRun(backend, classes, settings, ref, probe.steps, fork) : reference;
  return {
    teacher: summarizeRows(rows),
    free: freeRunningAgreement(reference, freeTokens),
    compression: session.summary(),
    kvBytes: session.kvBytes(),
    heads: meter.heads(session, settings.gqa),
    watched,
  };
}

/**
 * Greedy decoding through the compressed cache: identical to the teacher-forced run up to the fork
 * step m (the tokens agree), so that part is replayed; tokens f_{m+1}.. are generated. Returns f_1..f_N.
 */
function freeRun(
  backend: Backend,
  classes: TokenClasses,
  settings: CompressionSettings,
  ref: ReferenceRun,
  decodeSteps: readonly TokenTrace[],
  fork: { step: number; token: number },
): number[] {
  const n = ref.promptTokens.length;
  const N = ref.rows.length;
  const session = startSession(backend, classes, settings, ref);
  replayTrace(decodeSteps, session.cache);
  const tokens = ref.continuation.slice(1, fork.step + 1);
  let next = fork.token;
  for (let i = fork.step + 1; i < N; i++) {
    tokens.push(next);
    next = argmax(backend.forward(next, n + i, session.cache));
  }
  tokens.push(next);
  return tokens;
}
