/** Recording and replaying the cache protocol, whatever order a backend interleaves the stores in. */
import { describe, expect, it } from "vitest";
import { replayTrace, TracingCache } from "../../src/eval/trace.ts";
import type { KvCache, KvLayout } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";

const layout: KvLayout = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 2 };
const tokens = [1, 7, 9];
const key = (l: number, g: number, p: number) => Float32Array.from([l + g / 10, p]);
const value = (l: number, g: number, p: number) => Float32Array.from([-p, l * 2 + g]);
/** The two query heads of a group, over positions 0..p. */
const probs = (l: number, g: number, p: number) =>
  [0, 1].map((i) => Float32Array.from({ length: p + 1 }, (_, j) => (l + g + i + j + 1) / 100));

/** A backend that runs token by token (like reference/). */
function sequential(cache: KvCache): void {
  tokens.forEach((t, p) => {
    cache.registerToken(p, t);
    for (let l = 0; l < 2; l++) {
      for (let g = 0; g < 2; g++) cache.append(l, g, p, key(l, g, p), value(l, g, p));
      for (let g = 0; g < 2; g++) cache.afterAttention(l, g, p, probs(l, g, p));
    }
  });
}

/** A backend that batches the prompt: every store in turn, each in position order (src/kv/cache.ts contract). */
function interleaved(cache: KvCache): void {
  tokens.forEach((t, p) => cache.registerToken(p, t));
  for (let g = 1; g >= 0; g--) {
    for (let l = 0; l < 2; l++) {
      tokens.forEach((_, p) => {
        cache.append(l, g, p, key(l, g, p), value(l, g, p));
        cache.afterAttention(l, g, p, probs(l, g, p));
      });
    }
  }
}

describe("TracingCache", () => {
  it("files every call under its position, so interleaved stores record the same trace", () => {
    const a = new TracingCache(new FullKvCache(layout), { recording: true });
    const b = new TracingCache(new FullKvCache(layout), { recording: true });
    sequential(a);
    interleaved(b);
    expect(a.steps).toHaveLength(3);
    expect(b.steps).toEqual(a.steps);
    expect(a.steps[2]!.probs[3]).toEqual(probs(1, 1, 2));
  });

  it("replays a trace into a fresh cache exactly, and records nothing while not recording", () => {
    const a = new TracingCache(new FullKvCache(layout), { recording: true });
    sequential(a);
    const again = new TracingCache(new FullKvCache(layout), { recording: true });
    replayTrace(a.steps, again);
    expect(again.steps).toEqual(a.steps);
    expect(again.view(1, 0).keys).toEqual(Float32Array.from(tokens.flatMap((_, p) => [...key(1, 0, p)])));
    const off = new TracingCache(new FullKvCache(layout), { recording: false });
    sequential(off);
    expect(off.steps).toEqual([]);
  });

  it("shows an observer the positions each store attended", () => {
    const seen: string[] = [];
    const t = new TracingCache(new FullKvCache(layout), {
      recording: false,
      observe: (l, g, p, attended) => seen.push(`${l}${g}@${p}:${[...attended].join(",")}`),
    });
    sequential(t);
    expect(seen.filter((s) => s.startsWith("11@"))).toEqual(["11@0:0", "11@1:0,1", "11@2:0,1,2"]);
  });
});
