/**
 * FastGen end to end, reference vs wasm, with the cache's buffers in JS arrays and in the wasm
 * backend's memory (Backend.kvStorage) (the sibling of test/kernels/fastgen-e2e.test.ts): the same
 * chosen policies (except recoveries within 1e-5 of T, spec §7), the same kept positions of every
 * (layer, KV head) after prefill and after every decode step, the same greedy tokens — for each of
 * the five candidate policies applied to every head, FastGen itself, and every baseline.
 */
import { expect, it } from "vitest";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { CANDIDATE_NAMES, CANDIDATES } from "../../src/fastgen/candidates.ts";
import { BASELINE_POLICIES, type CompressionSettings, compressionSettingsSchema } from "../../src/fastgen/methods.ts";
import type { KvHeadPolicy } from "../../src/fastgen/policy.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { argmax } from "../../src/generation/sampler.ts";
import { type Backend, type KvStorage, kvLayoutOf } from "../../src/interfaces.ts";
import { golden, stories260K } from "../support/shared.ts";

const model = stories260K();
const classes = computeTokenClasses(model.vocab!);
const prompt = golden("quotes").promptTokens;
const STEPS = 40;

interface Trace {
  tokens: number[];
  /** After prefill and after every step: kept positions of every (layer, KV head). */
  kept: string[];
  policies: string[][];
  recoveries: number[];
}

/** Greedy decoding through a compressed cache; `policy` forces one policy on every head, else the settings' method runs. */
function trace(backend: Backend, settings: CompressionSettings, policy?: KvHeadPolicy, storage?: KvStorage): Trace {
  const session = new CompressionSession(kvLayoutOf(model.config), classes, settings, storage);
  const { cache } = session;
  const snapshot = () => {
    const { nLayers, nKvHeads } = cache.layout;
    const heads: string[] = [];
    for (let l = 0; l < nLayers; l++) for (let g = 0; g < nKvHeads; g++) heads.push(Array.from(cache.view(l, g).positions).join(","));
    return heads.join("|");
  };
  let logits = backend.prefill(prompt, 0, cache).at(-1)!;
  if (policy) cache.compress(Array.from({ length: model.config.nLayers }, () => Array.from({ length: model.config.nKvHeads }, () => policy)));
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
  const policies = Array.from({ length: model.config.nLayers }, (_, l) => Array.from({ length: model.config.nKvHeads }, (_, g) => cache.policyOf(l, g)!.name));
  return { tokens, kept, policies, recoveries };
}

const settings = (over: Partial<CompressionSettings>) => compressionSettingsSchema.parse(over);
const CASES: { name: string; settings: CompressionSettings; policy?: KvHeadPolicy }[] = [
  ...CANDIDATES.map((policy) => ({ name: `every head ${policy.name}`, settings: settings({ method: "fastgen" }), policy })),
  ...[0.8, 0.95].map((threshold) => ({ name: `fastgen T=${threshold}`, settings: settings({ method: "fastgen", threshold }) })),
  ...(Object.keys(BASELINE_POLICIES) as (keyof typeof BASELINE_POLICIES)[]).map((method) => ({ name: method, settings: settings({ method, rLocal: 0.2, rFrequent: 0.2 }) })),
];

const reference = new ReferenceTransformer(model);
const wasm = new WasmBackend(model);

const STORAGES = [
  ["JS arrays (views copied for the kernel)", undefined],
  ["wasm memory (views read in place)", wasm.kvStorage],
] as const;

it.each(STORAGES.flatMap(([where, storage]) => CASES.map((c) => [c.name, where, c, storage] as const)))("%s, cache in %s: same policies, kept positions after every step, greedy tokens", (_, _where, c, storage) => {
  const want = trace(reference, c.settings, c.policy);
  const before = { ...wasm.viewStats };
  const got = trace(wasm, c.settings, c.policy, storage);
  // Which attention path ran: in place for the wasm storage, copies for JS arrays, never a mix.
  const inPlace = wasm.viewStats.inPlace - before.inPlace;
  const copied = wasm.viewStats.copied - before.copied;
  expect(storage ? copied : inPlace).toBe(0);
  expect(storage ? inPlace : copied).toBeGreaterThan(0);
  // Policies may differ only where a recovery lies within 1e-5 of T (spec §7).
  const T = c.settings.threshold;
  const nearT = want.recoveries.some((r) => Math.abs(r - T) < 1e-5) || got.recoveries.some((r) => Math.abs(r - T) < 1e-5);
  if (!nearT) expect(got.policies).toEqual(want.policies);
  got.recoveries.forEach((r, i) => expect(Math.abs(r - want.recoveries[i]!)).toBeLessThan(1e-5));
  if (!nearT) {
    expect(got.kept).toEqual(want.kept);
    expect(got.tokens).toEqual(want.tokens);
  }
});
