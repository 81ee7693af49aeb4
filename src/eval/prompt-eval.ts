/**
 * One prompt through every setting: the full-cache reference once, then each setting against it
 * (spec §10). Runs in the main process or in a worker; the outcome is plain data.
 */
import { type Backend, kvLayoutOf } from "../interfaces.ts";
import type { CompressionSummary, KvBytesReport } from "../fastgen/session.ts";
import { profiles } from "../fastgen/settings.ts";
import type { TokenClasses } from "../fastgen/token-classes.ts";
import { type AttentionCapture, captureAttention } from "./attention-capture.ts";
import type { FreeRunningMetrics, TeacherForcedMetrics } from "./metrics.ts";
import type { EvalPrompt } from "./prompts.ts";
import type { HeadRecovery } from "./recovery.ts";
import { runReference } from "./reference-run.ts";
import type { EvalSetting } from "./settings.ts";
import { runSetting } from "./setting-run.ts";

export interface SettingOutcome {
  readonly setting: string;
  readonly teacher: TeacherForcedMetrics;
  readonly free: FreeRunningMetrics;
  readonly compression: CompressionSummary;
  readonly kvBytes: KvBytesReport;
  /** Decode-time recovery (spec §10), mean over KV heads. */
  readonly recovery: { readonly decode: number; readonly end: number };
  /** FastGen only: every KV head's policy and recoveries (policy map, stability study). */
  readonly heads?: readonly HeadRecovery[];
}

export interface PromptOutcome {
  readonly id: string;
  readonly promptTokens: number;
  readonly forced: number;
  readonly seconds: number;
  /** In the order of the settings. */
  readonly outcomes: readonly SettingOutcome[];
  readonly attention?: AttentionCapture;
}

export interface AttentionRequest {
  readonly promptId: string;
  readonly setting: string;
  readonly head?: { readonly layer: number; readonly head: number };
}

export function evaluatePrompt(
  backend: Backend,
  classes: TokenClasses,
  prompt: EvalPrompt,
  settings: readonly EvalSetting[],
  attention?: AttentionRequest,
  onSetting?: () => void,
): PromptOutcome {
  const started = performance.now();
  const layout = kvLayoutOf(backend.config);
  const ref = runReference(backend, prompt.tokens, prompt.forced);
  let capture: AttentionCapture | undefined;
  const outcomes = settings.map((s): SettingOutcome => {
    const watch = attention?.promptId === prompt.id && attention.setting === s.id;
    const run = runSetting(backend, classes, s.settings, ref, watch);
    if (watch) {
      const policies = Array.from({ length: layout.nLayers }, (_, l) => run.heads.filter((h) => h.layer === l).map((h) => h.policy));
      capture = captureAttention(layout, ref, prompt.id, s.id, policies, run.watched, attention.head);
    }
    onSetting?.();
    const mean = (f: (h: HeadRecovery) => number) => run.heads.reduce((a, h) => a + f(h), 0) / run.heads.length;
    return {
      setting: s.id,
      teacher: run.teacher,
      free: run.free,
      compression: run.compression,
      kvBytes: run.kvBytes,
      recovery: { decode: mean((h) => h.decode), end: mean((h) => h.end) },
      ...(profiles(s.policy) ? { heads: run.heads } : {}),
    };
  });
  return {
    id: prompt.id,
    promptTokens: prompt.tokens.length,
    forced: prompt.forced,
    seconds: (performance.now() - started) / 1000,
    outcomes,
    ...(capture ? { attention: capture } : {}),
  };
}
