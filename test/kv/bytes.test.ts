/**
 * Bytes that follow entries (spec §8, §13.3). Keys, values, positions and spare room stay within
 * 1.05× the plain K/V of the kept entries at every step, with no fixed slack per head: a `full`
 * policy ≤ 1.05× a plain K/V cache, a compressed one ≤ (1 − c) · full · 1.05. A head that ranks by
 * scores (frequent, h2o, FastGen's SPF/SPFL, budgeted) also holds one float64 score per entry and
 * spare entry — exactly that, checked to the byte. From head dimension 32 the bound holds with the
 * scores in (8 bytes against 2 · headDim · 4 of K and V); at 8 and 16 they cannot fit in 5%, and
 * they are reported as their own part (`parts.scores`).
 */
import { describe, expect, it } from "vitest";
import { kvLayoutOf, type KvCache } from "../../src/interfaces.ts";
import { compressPrompt, decodeCompressed } from "../../src/fastgen/pipeline.ts";
import { compressionSettingsSchema, type PolicyName } from "../../src/fastgen/settings.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import type { CacheFootprint } from "../../src/fastgen/adaptive-cache.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { HeadStore } from "../../src/kv/head-store.ts";
import { loadModel, repoRoot } from "../../src/model/load.ts";
import { Tokenizer } from "../../src/tokenizer/tokenizer.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { babyLlamaPath, stories260K } from "../support/shared.ts";

const small = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 8 };
type Layout = typeof small;
const PUNCT = 5;
const classes = {
  special: Uint8Array.from({ length: 10 }, (_, i) => (i === 1 ? 1 : 0)),
  punct: Uint8Array.from({ length: 10 }, (_, i) => (i === PUNCT ? 1 : 0)),
};
const plainEntry = (layout: Layout) => 2 * layout.headDim * 4;
/** Held bytes less the scores: keys, values, positions and spare room, the part bound by 1.05×. */
const heldLessScores = (f: CacheFootprint) => f.heldBytes - f.parts.scores;

/** Feeds `length` tokens with pseudo-random attention (a few heavy columns, a recent band). */
function run(layout: Layout, cache: KvCache, from: number, to: number, afterEach?: () => void): void {
  const headDim = layout.headDim;
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const group = layout.nHeads / layout.nKvHeads;
  for (let p = from; p < to; p++) {
    const token = p === 0 ? 1 : p % 7 === 3 ? PUNCT : 7;
    cache.registerToken(p, token);
    for (let l = 0; l < layout.nLayers; l++) {
      for (let g = 0; g < layout.nKvHeads; g++) {
        cache.append(l, g, p, new Float32Array(headDim).fill(p), new Float32Array(headDim).fill(-p));
        const view = cache.view(l, g);
        const probs = Array.from({ length: group }, () => {
          const w = Float32Array.from(view.positions, (j) => (p - j < 4 ? 4 : j % 11 === 0 ? 2 : 0.1) * (0.5 + rand()));
          const s = w.reduce((a, b) => a + b, 0);
          return w.map((x) => x / s);
        });
        cache.afterAttention(l, g, p, probs);
      }
    }
    afterEach?.();
  }
}

describe("bytes that follow entries", () => {
  const n = 40;
  const steps = 1000;
  const methods: [PolicyName, object][] = [
    ["full", {}],
    ["fastgen", { threshold: 0.9 }],
    ["budgeted", { compression: 0.5 }],
    ["budgeted", { compression: 0.8 }],
    ["h2o", { rLocal: 0.2, rFrequent: 0.2 }],
    ["local", { rLocal: 0.5 }],
    ["frequent", { rFrequent: 0.3 }],
    ["streaming", { rLocal: 0.5 }],
  ];
  const cases = [
    ...methods.map(([m, o]) => [small, m, o] as const),
    ...methods.filter(([m]) => m !== "full").map(([m, o]) => [{ nLayers: 1, nHeads: 2, nKvHeads: 2, headDim: 64 }, m, o] as const),
  ];
  for (const [layout, policy, over] of cases) {
    it(
      `head dim ${layout.headDim}, ${policy} ${JSON.stringify(over)}: K, V, positions and spare room ≤ ` +
        `(1 − c) · full · 1.05 (+ one spare entry per head) at every step of ${steps}; scores exactly 8 bytes per entry`,
      () => {
        const H = layout.nLayers * layout.nKvHeads;
        const session = new CompressionSession(layout, classes, compressionSettingsSchema.parse({ policy, ...over }));
        run(layout, session.cache, 0, n);
        session.finishPrefill();
        const scoring = (l: number, g: number) => session.cache.policyOf(l, g)!.readsScores;
        // A store under 128 entries may keep one spare entry after an eviction (spareRoom): a
        // local window of 20 here, where one entry is 5%; never more than that per head.
        const oneEntry = plainEntry(layout) + 2;
        let worst = -Infinity;
        let worstWithScores = -Infinity;
        run(layout, session.cache, n, n + steps, () => {
          const f = session.cache.footprint();
          const bound = (1 - f.compression) * f.fullBytes * 1.05 + H * oneEntry;
          worst = Math.max(worst, heldLessScores(f) - bound);
          worstWithScores = Math.max(worstWithScores, f.heldBytes - bound - H * 8);
          let scoreBytes = 0;
          for (let l = 0; l < layout.nLayers; l++)
            for (let g = 0; g < layout.nKvHeads; g++) if (scoring(l, g)) scoreBytes += 8 * session.cache.store(l, g).capacity;
          expect(f.parts.scores).toBe(scoreBytes);
        });
        expect(worst).toBeLessThanOrEqual(0);
        // From head dimension 32 the scores fit in the same 5%.
        if (layout.headDim >= 32) expect(worstWithScores).toBeLessThanOrEqual(0);
        const f = session.cache.footprint();
        expect(f.parts.keysValues + f.parts.spare + f.parts.positions + f.parts.scores).toBe(f.heldBytes);
        if (policy === "full") expect(f.heldBytes).toBeLessThanOrEqual(1.05 * f.fullBytes);
        for (let l = 0; l < layout.nLayers; l++) {
          for (let g = 0; g < layout.nKvHeads; g++) {
            const store = session.cache.store(l, g);
            expect(store.positions).toBeInstanceOf(Uint16Array);
            // Scores only where the policy ranks by them.
            expect(store.scores.length > 0).toBe(scoring(l, g));
          }
        }
      },
    );
  }

  it("a plain full cache holds at most 1.05× its K and V after 1,040 tokens, with no scores", () => {
    const cache = new FullKvCache(small);
    run(small, cache, 0, n + steps);
    const H = small.nLayers * small.nKvHeads;
    const plain = H * (n + steps) * plainEntry(small);
    const held = Array.from({ length: H }, (_, i) => (cache as unknown as { stores: HeadStore[] }).stores[i]!.bytes).reduce(
      (a, b) => a + b,
      0,
    );
    expect(held).toBeLessThanOrEqual(1.05 * plain);
  });

  it("a plain full cache holds at most 1.05× its K and V at every length from 16 to 1,040", () => {
    const cache = new FullKvCache(small);
    const H = small.nLayers * small.nKvHeads;
    const stores = (cache as unknown as { stores: HeadStore[] }).stores;
    let worst = 0;
    let length = 0;
    run(small, cache, 0, n + steps, () => {
      length++;
      const held = stores.reduce((a, s) => a + s.bytes, 0);
      // Below 16 entries the first 4-entry buffers and the 16-bit positions' rounding weigh more.
      if (length >= 16) worst = Math.max(worst, held / (H * length * plainEntry(small)));
    });
    expect(worst).toBeLessThanOrEqual(1.05);
  });

  it("reserve: a prompt chunk's room in one growth, exactly filled, then growth as usual", () => {
    const store = new HeadStore(4);
    const kv = new Float32Array(4);
    for (let p = 0; p < 10; p++) store.push(p, kv, kv);
    const resizes = { count: 0 };
    const resize = (store as unknown as { resize(c: number): void }).resize.bind(store);
    (store as unknown as { resize(c: number): void }).resize = (c) => {
      resizes.count++;
      resize(c);
    };
    store.reserve(300);
    expect(store.capacity).toBe(310);
    for (let p = 10; p < 310; p++) store.push(p, kv, kv);
    expect(resizes.count).toBe(1);
    expect(store.byteParts.spare).toBe(0);
    store.reserve(0);
    store.push(310, kv, kv); // the next decode step grows by the usual 1/64
    expect(store.capacity).toBe(310 + (310 >> 6));
    expect(Array.from(store.view().positions)).toEqual(Array.from({ length: 311 }, (_, i) => i));
  });

  it("positions widen to 32 bits past 65535, keeping every entry", () => {
    const store = new HeadStore(2);
    const kv = new Float32Array(2);
    for (const p of [0, 1, 65535]) store.push(p, kv, kv);
    expect(store.positions).toBeInstanceOf(Uint16Array);
    store.push(70000, kv, kv);
    expect(store.positions).toBeInstanceOf(Int32Array);
    expect(Array.from(store.view().positions)).toEqual([0, 1, 65535, 70000]);
  });
});

/**
 * The same bounds on trained models, as `fastgen generate` runs them: the longest hand-written
 * story as the prompt, 150 greedy tokens, every step checked. The figures are printed for the
 * issue note and docs/algorithm.md §6.
 */
describe.each([
  ["stories260K", () => stories260K()],
  ["BabyLlama", () => loadModel(babyLlamaPath)],
] as const)("bytes on %s", (name, load) => {
  const model = load();
  const backend = new ReferenceTransformer(model);
  const tokenizer = new Tokenizer(model.vocab!);
  const stories = JSON.parse(readFileSync(join(repoRoot, "prompts", "stories.json"), "utf8")).prompts as { text: string }[];
  const longest = stories.reduce((a, b) => (b.text.length > a.text.length ? b : a)).text;
  const prompt = tokenizer.encode(longest, { bos: true }).slice(0, Math.min(320, model.config.trainedContextLength - 160));
  const classes = computeTokenClasses(model.vocab!);
  const greedy = { maxTokens: 150, sampling: { temperature: 0, topP: 0.9, seed: 0 }, stopTokens: [] };
  const layout = kvLayoutOf(model.config);

  it.each([
    ["full", {}],
    ["fastgen", { threshold: 0.95 }],
    ["h2o", {}],
    ["local", {}],
  ] as const)(
    "%s %j: K, V, positions and spare room ≤ (1 − c) · full · 1.05 (+ one entry per head for baselines) at every step",
    (policy, over) => {
      const settings = compressionSettingsSchema.parse({ policy, ...over });
      const compressed = compressPrompt(backend, classes, settings, prompt);
      const cache = compressed.session.cache;
      let worst = 0;
      let worstWithScores = 0;
      let steps = 0;
      // A store under 128 entries keeps room for the next append once it has evicted (spareRoom):
      // a 28-entry local window on BabyLlama, where it is 3.6%. The targets (full, FastGen)
      // meet 1.05 with no such allowance.
      const allowance = policy === "full" || policy === "fastgen" ? 0 : layout.nLayers * layout.nKvHeads * (2 * layout.headDim * 4 + 2);
      for (const _ of decodeCompressed(backend, compressed, greedy)) {
        const f = cache.footprint();
        const kept = (1 - f.compression) * f.fullBytes;
        worst = Math.max(worst, (heldLessScores(f) - allowance) / kept);
        worstWithScores = Math.max(worstWithScores, (f.heldBytes - allowance) / kept);
        steps++;
      }
      expect(steps).toBe(150);
      const f = cache.footprint();
      console.info(
        `[bytes ${name} head dim ${layout.headDim}] ${policy} n=${prompt.length} L=${f.length} c=${f.compression.toFixed(3)} ` +
          `held/kept K+V: ${worst.toFixed(4)} without scores, ${worstWithScores.toFixed(4)} with; parts ${JSON.stringify(f.parts)}`,
      );
      expect(worst).toBeLessThanOrEqual(1.05);
      if (policy === "full" || policy === "local") expect(worstWithScores).toBeLessThanOrEqual(1.05);
      if (policy === "full") expect(f.heldBytes).toBeLessThanOrEqual(1.05 * f.fullBytes);
    },
  );
});
