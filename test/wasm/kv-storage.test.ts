/**
 * KV caches in the wasm backend's memory (Backend.kvStorage, spec §8): the stores' buffers are
 * spans of the wasm memory, eviction frees what it no longer needs and later allocations reuse
 * it, held bytes follow the kept entries, and the logits equal those over a plain JS cache.
 */
import { expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { AdaptiveKvCache } from "../../src/fastgen/adaptive-cache.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { local as localComponent } from "../../src/fastgen/components/index.ts";
import { unionPolicy } from "../../src/fastgen/policy.ts";
import { golden, stories260K } from "../support/shared.ts";

const model = stories260K();
const layout = kvLayoutOf(model.config);
const prompt = golden("long").promptTokens.slice(0, 200);

it("a cache in wasm memory gives the same logits bytes as one in JS arrays, and its stores lie in that memory", () => {
  const wasm = new WasmBackend(model);
  const inWasm = new FullKvCache(layout, wasm.kvStorage);
  const inJs = new FullKvCache(layout);
  const a = wasm.prefill(prompt, 0, inWasm);
  const b = wasm.prefill(prompt, 0, inJs);
  a.forEach((row, i) => expect(Buffer.from(row.buffer).equals(Buffer.from(b[i]!.buffer)), `row ${i}`).toBe(true));
  expect(wasm.heap.owns(inWasm.view(0, 0).keys)).toBe(true);
  expect(wasm.heap.owns(inJs.view(0, 0).keys)).toBe(false);
  // Positions and vectors are exactly what was appended, in order.
  expect(Array.from(inWasm.view(2, 1).positions)).toEqual(prompt.map((_, i) => i));
  expect(Buffer.from(inWasm.view(2, 1).keys.buffer, inWasm.view(2, 1).keys.byteOffset, inWasm.view(2, 1).keys.byteLength)).toEqual(
    Buffer.from(inJs.view(2, 1).keys.buffer, inJs.view(2, 1).keys.byteOffset, inJs.view(2, 1).keys.byteLength),
  );
});

it("eviction frees wasm memory, held bytes follow what is kept, and released space is reused", () => {
  const wasm = new WasmBackend(model);
  const classes = computeTokenClasses(model.vocab!);
  const newCache = () =>
    new AdaptiveKvCache(
      layout,
      { classes, sizes: { rLocal: 0.1, rFrequent: 0.1, sinks: 0 }, recordPromptAttention: false },
      wasm.kvStorage,
    );
  // A first run sizes the backend's attention scratch for this prompt length; then only caches allocate.
  const warmup = newCache();
  wasm.prefill(prompt, 0, warmup);
  warmup.release();
  const base = wasm.heap.allocatedBytes;
  const cache = newCache();
  wasm.prefill(prompt, 0, cache);
  const full = wasm.heap.allocatedBytes - base;
  const heldFull = cache.footprint().heldBytes;
  const local = unionPolicy([localComponent]);
  cache.compress(Array.from({ length: layout.nLayers }, () => Array.from({ length: layout.nKvHeads }, () => local)));
  const kept = wasm.heap.allocatedBytes - base;
  // A 10% window keeps 20 of 200 entries per head: the wasm bytes and the reported bytes shrink alike.
  expect(kept).toBeLessThan(full / 4);
  expect(cache.footprint().heldBytes).toBeLessThan(heldFull / 4);
  // Keys, values and positions (in wasm) plus scores (JS) are what footprint reports; the wasm
  // spans are those three, each rounded up to 16 bytes.
  const stores = layout.nLayers * layout.nKvHeads;
  const scoreBytes = Array.from(
    { length: stores },
    (_, s) => cache.store(Math.floor(s / layout.nKvHeads), s % layout.nKvHeads).scores.byteLength,
  ).reduce((x, y) => x + y, 0);
  expect(kept).toBeGreaterThanOrEqual(cache.footprint().heldBytes - scoreBytes);
  expect(kept).toBeLessThanOrEqual(cache.footprint().heldBytes - scoreBytes + stores * 3 * 15);
  cache.release();
  expect(wasm.heap.allocatedBytes).toBe(base);
  // Ten more caches one after another: the memory does not grow, the freed spans are reused.
  const memory = wasm.memoryBytes;
  for (let i = 0; i < 10; i++) {
    const c = newCache();
    wasm.prefill(prompt.slice(0, 100), 0, c);
    c.release();
  }
  expect(wasm.memoryBytes).toBe(memory);
  expect(wasm.heap.allocatedBytes).toBe(base);
});
