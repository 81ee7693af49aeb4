/**
 * The gpu backend talks to the KV cache exactly as reference/transformer.ts does (src/kv/cache.ts):
 * same calls per store, in the same order, with attention probabilities computed by the kernels
 * that match the reference's; and a cache that evicts during prefill is seen row by row.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { golden, stories260K } from "../support/shared.ts";
import { type CacheCall, RecordingCache, ScalingCache, WindowCache } from "./caches.ts";
import { describeEachMode, expectClose, maxAbsDiff } from "./support.ts";

const model = stories260K();
const layout = kvLayoutOf(model.config);
/** 70 rows: more than one 64-row prefill chunk. */
const tokens = golden("quotes").tokens.slice(0, 70);

/** What a call is, without its float payload. */
function shape(c: CacheCall): string {
  switch (c.kind) {
    case "register":
      return `register ${c.position}:${c.token}`;
    case "append":
      return `append ${c.layer}/${c.kvHead} @${c.position}`;
    case "view":
      return `view ${c.layer}/${c.kvHead} [${Array.from(c.positions).join(",")}]`;
    case "after":
      return `after ${c.layer}/${c.kvHead} @${c.position} ${c.probs.map((p) => p.length).join(",")}`;
  }
}

describeEachMode("cache protocol", (mode) => {
  let gpu: GpuBackend;
  const reference = new ReferenceTransformer(model);
  beforeAll(() => {
    gpu = new GpuBackend(model, { mode });
  });
  afterAll(() => gpu.dispose());

  it("prefill makes the reference's calls on every store, in order, with matching keys, values and probabilities", () => {
    const ref = new RecordingCache(new FullKvCache(layout));
    const got = new RecordingCache(new FullKvCache(layout));
    reference.prefill(tokens, 0, ref);
    const before = gpu.attentionStats;
    gpu.prefill(tokens, 0, got);
    // A full cache never evicts, so every row of every layer was attended in the batch.
    expect(gpu.attentionStats.batchedRows - before.batchedRows).toBe(tokens.length * layout.nLayers);
    expect(gpu.attentionStats.singleRows - before.singleRows).toBe(0);

    const registers = (r: RecordingCache): string[] => r.calls.filter((c) => c.kind === "register").map(shape);
    expect(registers(got)).toEqual(registers(ref));
    for (let l = 0; l < layout.nLayers; l++) {
      for (let g = 0; g < layout.nKvHeads; g++) {
        const want = ref.store(l, g);
        const have = got.store(l, g);
        expect(have.map(shape), `store ${l}/${g}`).toEqual(want.map(shape));
        have.forEach((c, i) => {
          const w = want[i]!;
          if (c.kind === "append" && w.kind === "append") {
            expectClose(c.key, w.key, 1e-4, `key ${l}/${g} @${c.position}`);
            expectClose(c.value, w.value, 1e-4, `value ${l}/${g} @${c.position}`);
          }
          if (c.kind === "after" && w.kind === "after") {
            c.probs.forEach((p, h) => expectClose(p, w.probs[h]!, 1e-5, `probs ${l}/${g}/${h} @${c.position}`));
          }
        });
      }
    }
  });

  it("registers each token before any call at its position", () => {
    const rec = new RecordingCache(new FullKvCache(layout));
    gpu.prefill(tokens, 0, rec);
    const registered = new Set<number>();
    for (const c of rec.calls) {
      if (c.kind === "register") registered.add(c.position);
      else if (c.kind !== "view") expect(registered.has(c.position), `${shape(c)} before register`).toBe(true);
    }
    expect(registered.size).toBe(tokens.length);
  });

  it("a cache that evicts after every attention: prefill sees each row's view as the cache left it, like the reference", () => {
    const ref = new RecordingCache(new WindowCache(layout, 5));
    const got = new RecordingCache(new WindowCache(layout, 5));
    const refLogits = reference.prefill(tokens, 0, ref);
    const before = gpu.attentionStats;
    const gotLogits = gpu.prefill(tokens, 0, got);
    // Rows after the first eviction fell back to one-at-a-time attention over the actual views.
    expect(gpu.attentionStats.singleRows - before.singleRows).toBeGreaterThan((tokens.length * layout.nLayers) / 2);
    for (let l = 0; l < layout.nLayers; l++) {
      for (let g = 0; g < layout.nKvHeads; g++) expect(got.store(l, g).map(shape)).toEqual(ref.store(l, g).map(shape));
    }
    // Views never exceed position 0, the window and the new row: the evictions happened mid-prefill.
    const viewLengths = got.calls.map((c) => (c.kind === "view" ? c.positions.length : 0));
    expect(Math.max(...viewLengths)).toBe(1 + 5 + 1);
    gotLogits.forEach((row, i) => expectClose(row, refLogits[i]!, 1e-4, `logits row ${i}`));
    // And they differ from full-cache logits, so the window mattered.
    const full = reference.prefill(tokens, 0, new FullKvCache(layout));
    expect(maxAbsDiff(full[69]!, refLogits[69]!)).toBeGreaterThan(1e-2);
  });

  it("a cache that stores altered vectors: prefill attends over what the cache holds, like the reference", () => {
    const want = reference.prefill(tokens, 0, new ScalingCache(new FullKvCache(layout)));
    const before = gpu.attentionStats;
    const got = gpu.prefill(tokens, 0, new ScalingCache(new FullKvCache(layout)));
    expect(gpu.attentionStats.singleRows - before.singleRows).toBeGreaterThan(0);
    got.forEach((row, i) => expectClose(row, want[i]!, 1e-4, `logits row ${i}`));
    const exact = reference.prefill(tokens, 0, new FullKvCache(layout));
    expect(maxAbsDiff(exact[69]!, want[69]!)).toBeGreaterThan(1e-3);
  });
});
