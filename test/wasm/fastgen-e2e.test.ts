/**
 * FastGen end to end, reference vs wasm (the sibling of test/gpu/fastgen-e2e.test.ts), with 1
 * and 2 threads (every product split between them) and with the cache's buffers in JS arrays and in
 * the wasm backend's memory (Backend.kvStorage): the same chosen policies (except recoveries within
 * 1e-5 of T, spec §7), the same kept positions of every (layer, KV head) after prefill and after
 * every decode step, the same greedy tokens — for each of the five candidate policies applied to
 * every head, FastGen itself, the budgeted policy and every baseline.
 */
import { afterAll, expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { CASES, expectSameTrace, model, trace } from "../support/fastgen-trace.ts";

const reference = new ReferenceTransformer(model);
const expected = new Map(CASES.map((c) => [c.name, trace(reference, c.settings, c.policy)]));
// minParallelWork 0: stories260K's products are small enough to stay on one thread otherwise.
const BACKENDS = [1, 2].map((threads) => new WasmBackend(model, { threads, minParallelWork: 0 }));
afterAll(() => BACKENDS.forEach((b) => b.dispose()));

const RUNS = BACKENDS.flatMap((wasm) =>
  (["JS arrays (views copied for the kernel)", "wasm memory (views read in place)"] as const).flatMap((where) =>
    CASES.map((c) => [c.name, wasm.name, where, c, wasm] as const),
  ),
);

it.each(RUNS)("%s on %s, cache in %s: same policies, kept positions after every step, greedy tokens", (_, _name, where, c, wasm) => {
  const storage = where.startsWith("wasm") ? wasm.kvStorage : undefined;
  const before = { ...wasm.viewStats };
  const got = trace(wasm, c.settings, c.policy, storage);
  // Which attention path ran: in place for the wasm storage, copies for JS arrays, never a mix.
  const inPlace = wasm.viewStats.inPlace - before.inPlace;
  const copied = wasm.viewStats.copied - before.copied;
  expect(storage ? copied : inPlace).toBe(0);
  expect(storage ? inPlace : copied).toBeGreaterThan(0);
  expectSameTrace(got, expected.get(c.name)!, c.settings.threshold);
});
