/**
 * The literature's methods (spec §14) held to a plain re-computation of each rule. A registry of
 * methods × settings, as kvpress tests its presses: for each, the compressed run through the
 * pipeline must reach the requested compression at the end of the prompt (±2%), keep exactly the
 * positions that the rule, written out here with sorts and plain loops, picks from the full-cache
 * attention and keys, and give the same logits bit for bit as that plain cache.
 */
import { describe, expect, it } from "vitest";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { LITERATURE_NAMES, type LiteratureName } from "../../src/fastgen/methods/index.ts";
import { pyramidBudgets } from "../../src/fastgen/methods/pyramidkv.ts";
import { compressPrompt, teacherForce } from "../../src/fastgen/pipeline.ts";
import { type CompressionSettings, compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { type KvCache, type KvLayout, type KvView, kvLayoutOf } from "../../src/interfaces.ts";
import { golden, stories260K } from "../support/shared.ts";

const model = stories260K();
const backend = new ReferenceTransformer(model);
const classes = computeTokenClasses(model.vocab!);
const layout = kvLayoutOf(model.config);
const group = layout.nHeads / layout.nKvHeads;
const tokens = golden("long").tokens.slice(0, 96);
const N = 64;

/** The registry: every method at a spread of compressions, SnapKV's kin with two windows. */
const SETTINGS: { method: LiteratureName; compression: number; observe?: number }[] = LITERATURE_NAMES.flatMap((method) =>
  [0.2, 0.5, 0.8].flatMap((compression) =>
    ["snapkv", "pyramidkv", "adakv"].includes(method)
      ? [
          { method, compression },
          { method, compression, observe: 6 },
        ]
      : [{ method, compression }],
  ),
);

interface Entry {
  position: number;
  key: Float32Array;
  value: Float32Array;
}

/** Ranks positions by score (larger first), equal scores to the later position, and returns the first k. */
function best(scores: number[], k: number): Set<number> {
  const order = scores.map((s, j) => ({ s, j })).sort((a, b) => b.s - a.s || b.j - a.j);
  return new Set(order.slice(0, Math.max(0, k)).map((o) => o.j));
}

const keepOf = (C: number, length: number) => Math.max(1, Math.round((1 - C) * length));

/** A cache written for this test alone: arrays of entries, every prompt row recorded, each rule spelled out. */
class PlainCache implements KvCache {
  readonly layout: KvLayout = layout;
  readonly stores: Entry[][] = Array.from({ length: layout.nLayers * layout.nKvHeads }, () => []);
  /** rows[layer][queryHead][i] while the prompt runs. */
  readonly rows: Float32Array[][][] = Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nHeads }, () => []));
  prompt = true;
  n = 0;
  readonly method: LiteratureName;
  readonly C: number;
  readonly observe: number;
  constructor(method: LiteratureName, C: number, observe: number) {
    this.method = method;
    this.C = C;
    this.observe = observe;
  }

  store(l: number, g: number): Entry[] {
    return this.stores[l * layout.nKvHeads + g]!;
  }
  registerToken(): void {}
  append(l: number, g: number, position: number, key: Float32Array, value: Float32Array): void {
    this.store(l, g).push({ position, key: key.slice(), value: value.slice() });
  }
  view(l: number, g: number): KvView {
    const s = this.store(l, g);
    const d = layout.headDim;
    const keys = new Float32Array(s.length * d);
    const values = new Float32Array(s.length * d);
    s.forEach((e, i) => {
      keys.set(e.key, i * d);
      values.set(e.value, i * d);
    });
    return { length: s.length, positions: Int32Array.from(s, (e) => e.position), keys, values };
  }
  afterAttention(l: number, g: number, _p: number, probs: readonly Float32Array[]): void {
    if (this.prompt) {
      probs.forEach((row, i) => this.rows[l]![g * group + i]!.push(row.slice()));
      return;
    }
    const s = this.store(l, g);
    const L = s.at(-1)!.position + 1;
    if (this.method === "tova" && s.length > keepOf(this.C, this.n)) {
      const weights = s.map((_, e) => (e === s.length - 1 ? Infinity : probs.reduce((sum, row) => sum + row[e]!, 0)));
      this.keepOnly(l, g, best(weights, keepOf(this.C, this.n)));
    }
    if (this.method === "knorm")
      this.keepOnly(
        l,
        g,
        best(
          s.map((e) => -norm2(e.key)),
          keepOf(this.C, L),
        ),
      );
  }
  /** Keeps the entries at the given indices. */
  keepOnly(l: number, g: number, indices: Set<number>): void {
    const s = this.store(l, g);
    this.stores[l * layout.nKvHeads + g] = s.filter((_, e) => indices.has(e));
  }

  /** The end of the prompt: each method's rule over the recorded rows and keys. */
  cutPrompt(): void {
    const n = this.stores[0]!.length;
    this.n = n;
    this.prompt = false;
    const b = keepOf(this.C, n);
    for (let l = 0; l < layout.nLayers; l++) {
      const layerBudget = this.method === "pyramidkv" ? pyramidBudgets(layout.nLayers, n, this.C)[l]! : b;
      const w = Math.max(1, Math.min(this.observe, layerBudget, n));
      const votes = Array.from({ length: layout.nKvHeads }, (_, g) => snapVotes(this.rows[l]!, g, n, w));
      const kept: Set<number>[] = votes.map((v, g) => {
        if (this.method === "snapkv" || this.method === "pyramidkv") return best(v, layerBudget);
        if (this.method === "tova") {
          const last = this.rows[l]!.slice(g * group, (g + 1) * group).map((r) => r[n - 1]!);
          return best(
            Array.from({ length: n }, (_, j) => (j === n - 1 ? Infinity : last.reduce((s, row) => s + row[j]!, 0))),
            b,
          );
        }
        if (this.method === "knorm")
          return best(
            this.store(l, g).map((e) => -norm2(e.key)),
            b,
          );
        return new Set<number>();
      });
      if (this.method === "adakv") adaSplit(votes, b).forEach((set, g) => (kept[g] = set));
      kept.forEach((set, g) => this.keepOnly(l, g, set));
    }
  }
}

/** ‖k‖² on spec §14.6's grid: log2 in steps of 2^-20, so norms equal to about six digits tie (the later position wins). */
function norm2(key: Float32Array): number {
  return Math.round(Math.log2(key.reduce((s, x) => s + x * x, 0)) * 2 ** 20);
}

/** SnapKV's vote: the window rows' mean weight on each earlier position, averaged over 5 neighbours (zeros outside); the window +∞. */
function snapVotes(rows: Float32Array[][], g: number, n: number, w: number): number[] {
  const heads = rows.slice(g * group, (g + 1) * group);
  const prefix = n - w;
  const mean = Array.from({ length: prefix }, (_, j) => {
    let s = 0;
    for (const head of heads) for (let i = prefix; i < n; i++) s += head[i]![j]!;
    return s / (w * heads.length);
  });
  const at = (j: number) => (j >= 0 && j < prefix ? mean[j]! : 0);
  return Array.from({ length: n }, (_, j) => (j >= prefix ? Infinity : (at(j - 2) + at(j - 1) + at(j) + at(j + 1) + at(j + 2)) / 5));
}

/** Ada-KV: every head its ⌊0.2 · b⌋ best, then the layer's remaining places to the best (score, later position, lower head). */
function adaSplit(votes: number[][], b: number): Set<number>[] {
  const kept = votes.map((v) => best(v, Math.floor(0.2 * b)));
  const rest = votes.flatMap((v, g) => v.map((s, j) => ({ s, j, g })).filter((x) => !kept[g]!.has(x.j)));
  rest.sort((x, y) => y.s - x.s || y.j - x.j || x.g - y.g);
  const room = votes.length * b - kept.reduce((s, k) => s + k.size, 0);
  for (const x of rest.slice(0, room)) kept[x.g]!.add(x.j);
  return kept;
}

function plainRun(method: LiteratureName, C: number, observe: number) {
  const cache = new PlainCache(method, C, observe);
  const rows = backend.prefill(tokens.slice(0, N), 0, cache);
  cache.cutPrompt();
  const afterPrompt = cache.stores.map((s) => s.map((e) => e.position).join(","));
  for (let p = N; p < tokens.length; p++) rows.push(backend.forward(tokens[p]!, p, cache));
  return { rows, afterPrompt, final: cache.stores.map((s) => s.map((e) => e.position).join(",")) };
}

const settingsOf = (c: (typeof SETTINGS)[number]): CompressionSettings =>
  compressionSettingsSchema.parse({ policy: c.method, compression: c.compression, ...(c.observe ? { observe: c.observe } : {}) });

describe.each(SETTINGS)("$method C=$compression observe=$observe", (c) => {
  it("reaches C within ±2% at the end of the prompt, keeps the rule's positions and gives its logits bit for bit", () => {
    const plain = plainRun(c.method, c.compression, c.observe ?? 32);
    const prompt = compressPrompt(backend, classes, settingsOf(c), tokens.slice(0, N));
    const { session } = prompt;
    const kept = () => {
      const out: string[] = [];
      for (let l = 0; l < layout.nLayers; l++)
        for (let g = 0; g < layout.nKvHeads; g++) out.push(Array.from(session.cache.view(l, g).positions).join(","));
      return out;
    };
    expect(Math.abs(session.summary().afterPrefill - c.compression)).toBeLessThanOrEqual(0.02);
    expect(kept()).toEqual(plain.afterPrompt);
    const rows = [...prompt.rows];
    for (let p = N; p < tokens.length; p++) rows.push(backend.forward(tokens[p]!, p, session.cache));
    expect(kept()).toEqual(plain.final);
    // The forced rows' logits depend on every kept set along the way.
    expect(rows).toEqual(plain.rows);
  });
});

describe("the rules' shapes", () => {
  it("prefill-only methods keep every decoded entry; TOVA keeps a fixed size; K-norm keeps its share", () => {
    for (const method of LITERATURE_NAMES) {
      const { session } = teacherForce(backend, classes, settingsOf({ method, compression: 0.5 }), tokens, N);
      const s = session.summary();
      const lengths = Array.from(
        { length: layout.nLayers * layout.nKvHeads },
        (_, i) => session.cache.view(Math.floor(i / layout.nKvHeads), i % layout.nKvHeads).length,
      );
      const total = lengths.reduce((a, b) => a + b, 0);
      const L = tokens.length;
      if (method === "tova") expect(lengths.every((x) => x === N / 2)).toBe(true);
      else if (method === "knorm") expect(lengths.every((x) => x === Math.round(L / 2))).toBe(true);
      else expect(total).toBe(layout.nLayers * layout.nKvHeads * (N / 2 + (L - N)));
      expect(s.afterPrefill).toBeCloseTo(0.5, 10);
    }
  });

  it("PyramidKV's budgets shrink with depth, sum to (1 − C) · n per layer, and cap at n", () => {
    const b = pyramidBudgets(6, 400, 0.8);
    expect(b.reduce((s, x) => s + x, 0)).toBe(480);
    for (let l = 1; l < b.length; l++) expect(b[l]!).toBeLessThan(b[l - 1]!);
    expect(b[0]! / b[5]!).toBeGreaterThan(15);
    const capped = pyramidBudgets(6, 100, 0.2);
    expect(capped.reduce((s, x) => s + x, 0)).toBe(480);
    expect(Math.max(...capped)).toBe(100);
    expect(pyramidBudgets(1, 50, 0.5)).toEqual([25]);
  });

  it("Ada-KV moves budget to the heads whose votes are highest, but leaves each its safeguard", () => {
    const { session } = teacherForce(backend, classes, settingsOf({ method: "adakv", compression: 0.8 }), tokens.slice(0, N), N);
    const b = keepOf(0.8, N);
    for (let l = 0; l < layout.nLayers; l++) {
      const lengths = Array.from({ length: layout.nKvHeads }, (_, g) => session.cache.view(l, g).length);
      expect(lengths.reduce((a, x) => a + x, 0)).toBe(layout.nKvHeads * b);
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(Math.floor(0.2 * b));
    }
  });
});
