/**
 * The evaluation's shortcuts are exact: a replayed prefill and a free run forked from teacher
 * forcing give the same numbers as the plain teacherForce / generateCompressed paths.
 */
import { describe, expect, it } from "vitest";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { compareRow, freeRunningAgreement, summarizeRows } from "../../src/eval/metrics.ts";
import { runReference } from "../../src/eval/reference-run.ts";
import { runSetting } from "../../src/eval/setting-run.ts";
import { type CompressionSettings, compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { generateCompressed, teacherForce } from "../../src/fastgen/pipeline.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { stories260K } from "../support/shared.ts";

const model = stories260K();
const backend = new ReferenceTransformer(model);
const classes = computeTokenClasses(model.vocab!);
const prompt = new Tokenizer(model.vocab!).encode('Tom said, "Look at the big red ball!" Lily ran to see it, and they played all day.');
const n = prompt.length;
const N = 40;
const ref = runReference(backend, prompt, N);
const forcedTokens = [...prompt, ...ref.continuation.slice(0, N)];
const greedy = { temperature: 0, topP: 1, seed: 0 };
const settings = (over: Partial<CompressionSettings>) => compressionSettingsSchema.parse(over);

const CASES: [string, CompressionSettings][] = [
  ["fastgen T=0.9", settings({ policy: "fastgen", threshold: 0.9 })],
  ["fastgen T=0.98", settings({ policy: "fastgen", threshold: 0.98 })],
  ["h2o r=0.1", settings({ policy: "h2o", rLocal: 0.1, rFrequent: 0.1 })],
  ["local r=0.3", settings({ policy: "local", rLocal: 0.3 })],
  ["frequent r=0.5", settings({ policy: "frequent", rFrequent: 0.5 })],
  ["streaming r=0.2", settings({ policy: "streaming", rLocal: 0.2 })],
  ["full", settings({ policy: "full" })],
];

describe("the full-cache reference", () => {
  it("is greedy decoding with the full cache, and its rows are the plain forward pass's", () => {
    const plain = generateCompressed(backend, classes, settings({ policy: "full" }), prompt, { maxTokens: N + 1, sampling: greedy });
    expect(ref.continuation).toEqual(plain.tokens);
    const rows = backend.prefill(forcedTokens, 0, new FullKvCache(kvLayoutOf(model.config)));
    expect(ref.rows).toEqual(rows.slice(n));
    expect(ref.steps).toHaveLength(n + N);
  });
});

describe.each(CASES)("%s", (_name, s) => {
  const run = runSetting(backend, classes, s, ref);
  const forced = teacherForce(backend, classes, s, forcedTokens, n);

  it("teacher-forced metrics, compression and bytes equal those of a real prefill + teacherForce", () => {
    const rows = forced.rows.slice(n).map((row, i) => compareRow(ref.rows[i]!, row, ref.continuation[i + 1]!));
    expect(run.teacher).toEqual(summarizeRows(rows));
    expect(run.compression).toEqual(forced.session.summary());
    expect(run.kvBytes).toEqual(forced.session.kvBytes());
    expect(run.heads.map((h) => h.policy)).toEqual(forced.session.policyTable().flat());
  });

  it("the forked free run equals plain greedy generation through the compressed cache", () => {
    const free = generateCompressed(backend, classes, s, prompt, { maxTokens: N + 1, sampling: greedy });
    expect(run.free).toEqual(freeRunningAgreement(ref.continuation.slice(1), free.tokens.slice(1)));
  });
});

describe("runSetting details", () => {
  it("exercises the fork: aggressive compression leaves the reference early", () => {
    const run = runSetting(backend, classes, settings({ policy: "h2o", rLocal: 0.1, rFrequent: 0.1 }), ref);
    expect(run.free.commonPrefix).toBeLessThan(N);
  });

  it("full: KL exactly 0, every agreement 1, every head recovers all the attention", () => {
    const run = runSetting(backend, classes, settings({ policy: "full" }), ref);
    expect(run.teacher).toMatchObject({ kl: 0, klMax: 0, top1: 1, llr: 0 });
    expect(run.free).toEqual({ agreement: 1, commonPrefix: N });
    for (const h of run.heads) {
      expect(h.decode).toBeCloseTo(1, 5);
      expect(h.end).toBeCloseTo(1, 5);
      expect(h.profile).toBeNull();
    }
  });

  it("FastGen heads carry their profiled recovery, at least T unless full", () => {
    const T = 0.95;
    const run = runSetting(backend, classes, settings({ policy: "fastgen", threshold: T }), ref);
    const forced = teacherForce(backend, classes, settings({ policy: "fastgen", threshold: T }), forcedTokens, n);
    for (const h of run.heads) {
      const p = forced.session.profile!.layers[h.layer]![h.kvHead]!;
      expect(h.profile).toBe(p.recovery[p.policy]);
      expect(h.profile!).toBeGreaterThanOrEqual(h.policy === "full" ? 1 : T);
      if (h.policy === "full") expect(h.decode).toBeCloseTo(1, 5);
    }
  });

  it("a narrow local window recovers less attention than a wide one", () => {
    const mean = (r: number) => {
      const run = runSetting(backend, classes, settings({ policy: "local", rLocal: r }), ref);
      return run.heads.reduce((a, h) => a + h.decode, 0) / run.heads.length;
    };
    const narrow = mean(0.1);
    expect(narrow).toBeLessThan(mean(0.9));
    expect(narrow).toBeLessThan(0.95);
  });

  it("watch records, per KV head and decode step, increasing positions that include the new token", () => {
    const run = runSetting(backend, classes, settings({ policy: "fastgen", threshold: 0.9 }), ref, true);
    const { nLayers, nKvHeads } = model.config;
    expect(run.watched).toHaveLength(nLayers * nKvHeads);
    for (const steps of run.watched) {
      expect(steps).toHaveLength(N);
      steps.forEach((positions, i) => {
        expect(positions[positions.length - 1]).toBe(n + i);
        for (let e = 1; e < positions.length; e++) expect(positions[e]!).toBeGreaterThan(positions[e - 1]!);
      });
    }
    expect(runSetting(backend, classes, settings({ policy: "full" }), ref).watched).toEqual([]);
  });
});
