/**
 * Threads (kernels/wasm/threads.ts): worker threads over the one shared memory, each computing a
 * slice of every product's output rows. Results must not depend on the thread count: identical
 * logits bytes (prefill and decode, F32 and Q8_0) and identical FastGen kept positions and tokens
 * for 1, 2 and 3 threads; and the CLI's --threads flag.
 */
import { afterAll, expect, it } from "vitest";
import { WasmBackend } from "../../kernels/wasm/backend.ts";
import { CompressionSession } from "../../src/fastgen/session.ts";
import { compressionSettingsSchema } from "../../src/fastgen/settings.ts";
import { computeTokenClasses } from "../../src/fastgen/token-classes.ts";
import { argmax } from "../../src/generation/sampler.ts";
import { kvLayoutOf } from "../../src/interfaces.ts";
import { FullKvCache } from "../../src/kv/full-cache.ts";
import { llamaToGguf } from "../../src/model/gguf-writer.ts";
import { loadModelFromBytes } from "../../src/model/load.ts";
import { SYNTH_SHAPES, synthModel } from "../../src/model/synth.ts";
import type { LlamaModel } from "../../src/model/types.ts";
import { runCli } from "../support/run-cli.ts";
import { golden, stories260K } from "../support/shared.ts";

const THREADS = [1, 2, 3];
const backends: WasmBackend[] = [];
afterAll(() => backends.forEach((b) => b.dispose()));

/** Every product split between the threads, however small (these models' products are). */
function backend(model: LlamaModel, threads: number): WasmBackend {
  const b = new WasmBackend(model, { threads, minParallelWork: 0 });
  backends.push(b);
  return b;
}

/** All logits of a prefill and 20 decode steps, as one byte string. */
function logitsBytes(b: WasmBackend, model: LlamaModel, prompt: readonly number[]): Buffer {
  const cache = new FullKvCache(kvLayoutOf(model.config), b.kvStorage);
  const rows = b.prefill(prompt, 0, cache);
  let token = argmax(rows.at(-1)!);
  for (let p = prompt.length; p < prompt.length + 20; p++) {
    const logits = b.forward(token, p, cache);
    rows.push(logits);
    token = argmax(logits);
  }
  return Buffer.concat(rows.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
}

it.each([
  ["stories260K F32", () => stories260K()],
  [
    "synthetic 260K-shape Q8_0",
    () => loadModelFromBytes(llamaToGguf(synthModel(SYNTH_SHAPES["260K"], 3), { tensorType: "Q8_0" }), "<synth Q8_0>"),
  ],
] as const)("%s: identical logits bytes for 1, 2 and 3 threads", (_, load) => {
  const model = load();
  const prompt = golden("quotes").promptTokens;
  const [one, ...more] = THREADS.map((t) => {
    const b = backend(model, t);
    expect(b.name).toBe(t === 1 ? "wasm (1 thread)" : `wasm (${t} threads)`);
    return logitsBytes(b, model, prompt);
  });
  for (const bytes of more) expect(bytes.equals(one!)).toBe(true);
});

it("FastGen: identical policies, kept positions after every step and greedy tokens for 1 and 2 threads", () => {
  const model = stories260K();
  const classes = computeTokenClasses(model.vocab!);
  const prompt = golden("quotes").promptTokens;
  const run = (b: WasmBackend) => {
    const session = new CompressionSession(
      kvLayoutOf(model.config),
      classes,
      compressionSettingsSchema.parse({ policy: "fastgen", threshold: 0.95 }),
      b.kvStorage,
    );
    const { cache } = session;
    const kept = () =>
      Array.from({ length: model.config.nLayers * model.config.nKvHeads }, (_, s) =>
        Array.from(cache.view(Math.floor(s / model.config.nKvHeads), s % model.config.nKvHeads).positions).join(","),
      ).join("|");
    let logits = b.prefill(prompt, 0, cache).at(-1)!;
    session.finishPrefill();
    const trace = [kept()];
    const tokens: number[] = [];
    for (let p = prompt.length; p < prompt.length + 40; p++) {
      tokens.push(argmax(logits));
      logits = b.forward(tokens.at(-1)!, p, cache);
      trace.push(kept());
    }
    const policies = Array.from({ length: model.config.nLayers }, (_, l) =>
      Array.from({ length: model.config.nKvHeads }, (_, g) => cache.policyOf(l, g)!.name),
    );
    return { trace, tokens, policies };
  };
  const one = run(backend(model, 1));
  const two = run(backend(model, 2));
  expect(two.policies).toEqual(one.policies);
  expect(two.trace).toEqual(one.trace);
  expect(two.tokens).toEqual(one.tokens);
  // Something was evicted: the comparison covers compression, not only full caches.
  expect(one.trace.at(-1)).not.toEqual(
    one.trace
      .at(-1)!
      .split("|")
      .map(() => Array.from({ length: prompt.length + 40 }, (_, i) => i).join(","))
      .join("|"),
  );
});

it("the CLI's --threads: the same story for 1 and 2 threads, the backend line says how many ran, bad counts refused", async () => {
  const a = await runCli("generate", "--max-tokens", "30", "--threads", "1");
  const b = await runCli("generate", "--max-tokens", "30", "--threads", "2");
  expect(a.code).toBe(0);
  expect(b.stdout).toBe(a.stdout);
  expect(a.stderr).toMatch(/backend wasm \(1 thread\)/);
  expect(b.stderr).toMatch(/backend wasm \(2 threads\)/);
  const bad = await runCli("generate", "--threads", "0");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--threads: threads must be at least 1/);
});

it("a kernel that traps in a worker thread is an error on the main thread, and the pool stays usable", () => {
  const model = stories260K();
  const b = backend(model, 2);
  const pool = (b as unknown as { pool: import("../../kernels/wasm/threads.ts").ThreadPool }).pool;
  // An output beyond the memory: both threads trap at their first store, writing nothing (the main thread's error wins).
  expect(() => pool.run([{ kind: 0, out: b.heap.memoryBytes, x: 0, xd: 0, w: 0, n: 4, d: 1024, rows: 1, scratch: 0 }])).toThrow(
    /out of bounds/,
  );
  // Only some shares trap: a 1024-row matrix of 4 floats per row whose first 512 rows are the last
  // bytes of the memory and whose other 512 lie beyond it. The threads claim shares as they come
  // (share.mjs), so whichever thread ran a trapping share, the job is an error on the main thread.
  const d = 1024;
  const out = b.heap.alloc(d * 4);
  const x = b.heap.alloc(16);
  const w = b.heap.memoryBytes - (d / 2) * 16;
  expect(() => pool.run([{ kind: 0, out, x, xd: 0, w, n: 4, d, rows: 1, scratch: 0 }])).toThrow(/worker thread failed|out of bounds/);
  // Afterwards the same pool still computes the same bytes.
  const cache = new FullKvCache(kvLayoutOf(model.config));
  const again = b.prefill([1, 403, 407], 0, cache);
  const ref = backend(model, 1).prefill([1, 403, 407], 0, new FullKvCache(kvLayoutOf(model.config)));
  again.forEach((row, i) => expect(Buffer.from(row.buffer).equals(Buffer.from(ref[i]!.buffer))).toBe(true));
});

it(
  "threads started ahead without blocking (startThreads, what a browser needs) give the same bytes; createBackend's " +
    "startThreads does it",
  async () => {
    const model = stories260K();
    const prompt = golden("quotes").promptTokens;
    const lazy = logitsBytes(backend(model, 1), model, prompt);
    const ahead = backend(model, 2);
    expect(ahead.workersStarted).toBe(0);
    await ahead.startThreads();
    expect(ahead.workersStarted).toBe(1);
    await ahead.startThreads(); // a second call finds them running
    expect(logitsBytes(ahead, model, prompt).equals(lazy)).toBe(true);
    const { createBackend } = await import("../../src/create-backend.ts");
    const created = await createBackend(model, { backend: "wasm", gpuMode: "auto", threads: 2, startThreads: true });
    expect(created.name).toBe("wasm (2 threads)");
    created.dispose?.();
  },
);

it(
  "the default thread count: one for models under 2 M multiply-adds per token (both embedded models), the machine's " + "cores above",
  async () => {
    const { availableParallelism } = await import("node:os");
    const { defaultThreads, SMALL_MODEL_WORK, tokenWork } = await import("../../kernels/wasm/backend.ts");
    const { createBackend } = await import("../../src/create-backend.ts");
    expect(tokenWork(stories260K().config)).toBe(259_328);
    expect(defaultThreads(stories260K().config)).toBe(1);
    const big = synthModel(SYNTH_SHAPES["15M"], 1).config;
    expect(tokenWork(big)).toBeGreaterThan(SMALL_MODEL_WORK);
    expect(defaultThreads(big)).toBe(availableParallelism());
    const b = await createBackend(stories260K(), { backend: "auto", gpuMode: "auto" });
    expect(b.name).toBe("wasm (1 thread)");
    b.dispose?.();
  },
);
