/** The GpuBackend as a Backend: its mode and name, prefill = per-token forward, argument checks. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { availableModes, modeAvailability, resolveMode } from "../../kernels/gpu/modes.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { InputError } from "../../src/errors.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { synthModel } from "../../src/model/synth.ts";
import { golden, stories260K } from "../support/shared.ts";
import { RecordingCache } from "./caches.ts";
import { argmax, describeEachMode, maxAbsDiff } from "./support.ts";

const model = stories260K();
const layout = kvLayoutOf(model.config);
const tokens = golden("once").tokens.slice(0, 70);

it("auto takes the first available mode, in the order headlessgl, webasm, cpu", () => {
  expect(resolveMode("auto")).toBe(availableModes()[0]);
  expect(availableModes()).toContain("cpu");
  const gl = modeAvailability("headlessgl");
  expect(resolveMode("auto") === "headlessgl").toBe(gl.available);
  if (!gl.available) expect(gl.reason).toMatch(/\w/);
});

it("refuses modes that do not exist or cannot run here, naming the ones that do", () => {
  expect(() => resolveMode("webgpu")).toThrow(InputError);
  expect(() => resolveMode("webgpu")).toThrow(/auto, headlessgl, webgl2, webasm, cpu/);
  // webgl2 is the browser's (web/ runs it); under Node it is refused with that reason.
  expect(() => resolveMode("webgl2")).toThrow(/webgl2 runs in a browser/);
  expect(() => resolveMode("gpu")).toThrow(/unknown gpu.js mode "gpu"/);
  const missing = (["headlessgl", "webasm"] as const).find((m) => !modeAvailability(m).available);
  if (missing !== undefined) expect(() => new GpuBackend(model, { mode: missing })).toThrow(/not available here/);
});

describeEachMode("GpuBackend", (mode) => {
  let gpu: GpuBackend;
  beforeAll(() => {
    gpu = new GpuBackend(model, { mode });
  });
  afterAll(() => gpu.dispose());

  it("reports the mode it runs in", () => {
    expect(gpu.mode).toBe(mode);
    expect(gpu.name).toBe(`gpu (${mode})`);
    expect(gpu.config).toBe(model.config);
  });

  it("prefill gives the logits of calling forward per token, in one call, in pieces, and in small chunks", () => {
    const cache = new FullKvCache(layout);
    const perToken = tokens.map((t, i) => gpu.forward(t, i, cache));
    const once = gpu.prefill(tokens, 0, new FullKvCache(layout));
    const split = new FullKvCache(layout);
    const pieces = [...gpu.prefill(tokens.slice(0, 29), 0, split), ...gpu.prefill(tokens.slice(29), 29, split)];
    const chunked = new GpuBackend(model, { mode, maxChunkRows: 7 });
    const small = chunked.prefill(tokens, 0, new FullKvCache(layout));
    chunked.dispose();
    // The same kernels compute every row whatever the batch size, so this agrees to float32
    // rounding at worst (in practice bit for bit).
    for (let i = 0; i < tokens.length; i++) {
      expect(maxAbsDiff(once[i]!, perToken[i]!), `row ${i}: prefill vs forward`).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(pieces[i]!, perToken[i]!), `row ${i}: two prefills vs forward`).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(small[i]!, perToken[i]!), `row ${i}: 7-row chunks vs forward`).toBeLessThanOrEqual(1e-5);
    }
    expect(once).toHaveLength(tokens.length);
    expect(new Set(once).size).toBe(tokens.length); // fresh arrays, not views of one buffer
  });

  it("rejects a bad token, position or cache before touching the cache", () => {
    const rec = new RecordingCache(new FullKvCache(layout));
    expect(() => gpu.prefill([1, model.config.vocabSize], 0, rec)).toThrow(RangeError);
    expect(() => gpu.forward(-1, 0, rec)).toThrow(/outside the vocabulary/);
    expect(() => gpu.forward(1, 1.5, rec)).toThrow(RangeError);
    expect(rec.calls).toHaveLength(0);
    const other = new FullKvCache({ ...layout, nLayers: layout.nLayers + 1 });
    expect(() => gpu.forward(1, 0, other)).toThrow(/layout/);
    expect(gpu.prefill([], 0, rec)).toEqual([]);
  });
});

describeEachMode("GpuBackend beyond gpu.js's 1000-iteration loop limit (trap 1)", (mode) => {
  it("a 2048-wide FFN over a 1030-token context matches the reference", () => {
    const wide = synthModel({ dim: 16, hiddenDim: 2048, nLayers: 1, nHeads: 2, nKvHeads: 1, vocabSize: 300, contextLength: 2048 }, 7);
    const ids = Array.from({ length: 1030 }, (_, i) => (i * 17 + 3) % 300);
    const want = new ReferenceTransformer(wide).prefill(ids, 0, new FullKvCache(kvLayoutOf(wide.config)));
    const gpu = new GpuBackend(wide, { mode });
    try {
      const got = gpu.prefill(ids, 0, new FullKvCache(kvLayoutOf(wide.config)));
      for (const i of [0, 999, 1000, 1029]) {
        expect(maxAbsDiff(got[i]!, want[i]!), `row ${i}`).toBeLessThan(1e-4);
        expect(argmax(got[i]!)).toBe(argmax(want[i]!));
      }
    } finally {
      gpu.dispose();
    }
  });
});
