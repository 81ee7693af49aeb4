/**
 * FastGen end to end as a trace, for holding a backend to the reference (test/gpu and test/wasm
 * fastgen-e2e): greedy decoding through a compressed cache, with the kept positions of every
 * (layer, KV head) after prefill and after every step, the chosen policies and every recovery.
 */
import { expect } from "vitest";
import { CANDIDATE_NAMES, CANDIDATES } from "../../src/fastgen/candidates.ts";
import { BASELINE_POLICIES, type CompressionSettings, compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { LITERATURE_NAMES } from "../../src/fastgen/methods/index.ts";
import type { KvHeadPolicy } from "../../src/fastgen/policy.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { argmax } from "../../src/generation/sampler.ts";
import { type Backend, type KvStorage, kvLayoutOf } from "../../src/interfaces.ts";
import { golden, stories260K } from "./shared.ts";

export const model = stories260K();
const classes = computeTokenClasses(model.vocab!);
const prompt = golden("quotes").promptTokens;
const STEPS = 40;

export interface Trace {
  tokens: number[];
  /** After prefill and after every step: kept positions of every (layer, KV head). */
  kept: string[];
  policies: string[][];
  recoveries: number[];
}

/** Greedy decoding through a compressed cache; `policy` forces one policy on every head, else the settings' policy runs. */
export function trace(backend: Backend, settings: CompressionSettings, policy?: KvHeadPolicy, storage?: KvStorage): Trace {
  const session = new CompressionSession(kvLayoutOf(model.config), classes, settings, storage);
  const { cache } = session;
  const snapshot = () => {
    const { nLayers, nKvHeads } = cache.layout;
    const heads: string[] = [];
    for (let l = 0; l < nLayers; l++) for (let g = 0; g < nKvHeads; g++) heads.push(Array.from(cache.view(l, g).positions).join(","));
    return heads.join("|");
  };
  let logits = backend.prefill(prompt, 0, cache).at(-1)!;
  if (policy)
    cache.compress(Array.from({ length: model.config.nLayers }, () => Array.from({ length: model.config.nKvHeads }, () => policy)));
  else session.finishPrefill();
  const kept = [snapshot()];
  const tokens: number[] = [];
  for (let p = prompt.length; p < prompt.length + STEPS; p++) {
    const token = argmax(logits);
    tokens.push(token);
    logits = backend.forward(token, p, cache);
    kept.push(snapshot());
  }
  const recoveries = session.profile?.layers.flat().flatMap((h) => CANDIDATE_NAMES.map((c) => h.recovery[c])) ?? [];
  const policies = Array.from({ length: model.config.nLayers }, (_, l) =>
    Array.from({ length: model.config.nKvHeads }, (_, g) => cache.policyOf(l, g)!.name),
  );
  return { tokens, kept, policies, recoveries };
}

const settings = (over: Partial<CompressionSettings>) => compressionSettingsSchema.parse(over);

/** Each candidate on every head, FastGen at two thresholds, the budgeted policy, every baseline and literature method. */
export const CASES: { name: string; settings: CompressionSettings; policy?: KvHeadPolicy }[] = [
  ...CANDIDATES.map((policy) => ({ name: `every head ${policy.name}`, settings: settings({ policy: "fastgen" }), policy })),
  ...[0.8, 0.95].map((threshold) => ({ name: `fastgen T=${threshold}`, settings: settings({ policy: "fastgen", threshold }) })),
  { name: "budgeted C=0.5", settings: settings({ policy: "budgeted", compression: 0.5 }) },
  ...(Object.keys(BASELINE_POLICIES) as (keyof typeof BASELINE_POLICIES)[]).map((policy) => ({
    name: policy,
    settings: settings({ policy, rLocal: 0.2, rFrequent: 0.2 }),
  })),
  ...LITERATURE_NAMES.map((policy) => ({ name: `${policy} C=0.6`, settings: settings({ policy, compression: 0.6, observe: 8 }) })),
];

/** Same policies (except where a recovery lies within 1e-5 of T, spec §7), kept positions after every step, greedy tokens. */
export function expectSameTrace(got: Trace, want: Trace, threshold: number): void {
  const nearT = want.recoveries.some((r) => Math.abs(r - threshold) < 1e-5) || got.recoveries.some((r) => Math.abs(r - threshold) < 1e-5);
  got.recoveries.forEach((r, i) => expect(Math.abs(r - want.recoveries[i]!)).toBeLessThan(1e-5));
  if (nearT) return;
  expect(got.policies).toEqual(want.policies);
  expect(got.kept).toEqual(want.kept);
  expect(got.tokens).toEqual(want.tokens);
}
