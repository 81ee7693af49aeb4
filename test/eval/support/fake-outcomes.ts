/** Hand-made evaluation outcomes for testing the summaries without running the model. */
import type { PromptOutcome, SettingOutcome } from "../../../src/eval/prompt-eval.ts";
import type { HeadRecovery } from "../../../src/eval/recovery.ts";
import { buildSettings, type EvalSetting } from "../../../src/eval/settings.ts";

export interface Fake {
  readonly compression: number;
  readonly kl: number;
  readonly top1?: number;
  readonly heads?: readonly HeadRecovery[];
}

export function outcome(setting: string, f: Fake): SettingOutcome {
  return {
    setting,
    teacher: { rows: 10, kl: f.kl, klMax: 2 * f.kl, top1: f.top1 ?? 1 - f.kl, llr: -f.kl },
    free: { agreement: 1 - f.kl, commonPrefix: 10 * (1 - f.kl) },
    compression: { afterPrefill: f.compression, final: f.compression, mean: f.compression, decodeSteps: 10 },
    kvBytes: {
      full: 1000,
      compressed: 1000 * (1 - f.compression),
      parts: { keysValues: 1000 * (1 - f.compression), spare: 0, positions: 0, scores: 0 },
    },
    recovery: { decode: 1 - f.kl, end: 1 - f.kl },
    ...(f.heads ? { heads: f.heads } : {}),
  };
}

export function promptOutcome(id: string, outcomes: Record<string, Fake>): PromptOutcome {
  return { id, promptTokens: 20, forced: 10, seconds: 0, outcomes: Object.entries(outcomes).map(([s, f]) => outcome(s, f)) };
}

/** FastGen at one threshold and an h2o sweep of three ratios. */
export function smallSweep(): EvalSetting[] {
  return buildSettings({
    thresholds: [0.95],
    ratios: { local: [], frequent: [], h2o: [0.1, 0.2, 0.3], streaming: [] },
    rLocal: 0.3,
    rFrequent: 0.3,
    gqa: "min",
    sinks: 4,
  }).filter((s) => s.policy !== "full");
}

export function head(layer: number, kvHead: number, policy: string, profile: number | null, end: number): HeadRecovery {
  return { layer, kvHead, policy, profile, decode: end, end };
}
