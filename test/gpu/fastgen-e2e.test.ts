/**
 * FastGen end to end, reference vs gpu.js: the same chosen policies (except recoveries within
 * 1e-5 of T, spec §7), the same kept positions after every step, the same greedy tokens — for
 * each of the five candidate policies applied to every head, FastGen itself, the budgeted policy
 * and every baseline (the cases and the trace: test/support/fastgen-trace.ts).
 */
import { beforeAll, it } from "vitest";
import { GpuBackend } from "../../kernels/gpu/gpu-backend.ts";
import { ReferenceTransformer } from "../../reference/transformer.ts";
import { CASES, expectSameTrace, model, trace } from "../support/fastgen-trace.ts";
import { describeEachMode } from "./support.ts";

const reference = new ReferenceTransformer(model);
const expected = new Map(CASES.map((c) => [c.name, trace(reference, c.settings, c.policy)]));

describeEachMode("FastGen reference vs gpu", (mode) => {
  // Built in beforeAll: a skipped mode's describe body still runs at collection time.
  let gpu: GpuBackend;
  beforeAll(() => {
    gpu = new GpuBackend(model, { mode });
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s: same policies, kept positions after every step, greedy tokens", (_, c) => {
    expectSameTrace(trace(gpu, c.settings, c.policy), expected.get(c.name)!, c.settings.threshold);
  });
});
