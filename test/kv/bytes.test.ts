/**
 * Bytes that follow entries (spec §8): over 1,000 decode steps the buffers hold at most
 * (1 − c) · full · 1.05 plus a fixed slack per head, and a `full` policy at most 1.05× a plain K/V
 * cache: positions as 16-bit while they fit, scores only for heads whose policy reads them.
 * A head that ranks by scores (frequent, h2o, FastGen's SPF/SPFL, budgeted) also holds its
 * float64 score per entry: 8 bytes against 2 · headDim · 4 of K and V, which fits in the 5% from
 * head dimension 32 up (64 is tested), and is stated as its own allowance at head dimension 8.
 */
import { describe, expect, it } from "vitest";
import { compressionSettingsSchema, type PolicyName } from "../../src/fastgen/settings.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { HeadStore, SLACK_ENTRIES } from "../../src/kv/head-store.ts";
import type { KvCache } from "../../src/interfaces.ts";

const small = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 8 };
type Layout = typeof small;
const PUNCT = 5;
const classes = {
  special: Uint8Array.from({ length: 10 }, (_, i) => (i === 1 ? 1 : 0)),
  punct: Uint8Array.from({ length: 10 }, (_, i) => (i === PUNCT ? 1 : 0)),
};
const plainEntry = (layout: Layout) => 2 * layout.headDim * 4;
/** The fixed slack a store may hold beyond its share: SLACK_ENTRIES entries of K, V, a 16-bit position and a score. */
const perHead = (layout: Layout) => SLACK_ENTRIES * (plainEntry(layout) + 2 + 8);

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
      `head dim ${layout.headDim}, ${policy} ${JSON.stringify(over)}: held ≤ (1 − c) · full · 1.05 (+ scores where ` +
        `read) + a fixed slack per head at every step of ${steps}`,
      () => {
        const H = layout.nLayers * layout.nKvHeads;
        const session = new CompressionSession(layout, classes, compressionSettingsSchema.parse({ policy, ...over }));
        run(layout, session.cache, 0, n);
        session.finishPrefill();
        const scoreHeads = Array.from(
          { length: H },
          (_, i) => session.cache.policyOf(Math.floor(i / layout.nKvHeads), i % layout.nKvHeads)!.readsScores,
        ).filter(Boolean).length;
        // The score allowance (8 bytes per entry): only below head dimension 32, only when some head reads scores.
        const allowance = layout.headDim >= 32 || scoreHeads === 0 ? 0 : 8 / plainEntry(layout);
        let worst = -Infinity;
        run(layout, session.cache, n, n + steps, () => {
          const f = session.cache.footprint();
          worst = Math.max(worst, f.heldBytes - ((1 - f.compression) * f.fullBytes * (1.05 + allowance) + H * perHead(layout)));
        });
        expect(worst).toBeLessThanOrEqual(0);
        const f = session.cache.footprint();
        if (policy === "full") expect(f.heldBytes).toBeLessThanOrEqual(1.05 * f.fullBytes);
        for (let l = 0; l < layout.nLayers; l++) {
          for (let g = 0; g < layout.nKvHeads; g++) {
            const store = session.cache.store(l, g);
            expect(store.positions).toBeInstanceOf(Uint16Array);
            // Scores only where the policy ranks by them.
            expect(store.scores.length > 0).toBe(session.cache.policyOf(l, g)!.readsScores);
          }
        }
      },
    );
  }

  it("a plain full cache holds at most 1.05× its K and V, with no scores", () => {
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
