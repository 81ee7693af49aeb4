/**
 * Plain, runtime-agnostic checks (they throw on failure) shared by the Node (vitest), Deno
 * (`deno test`) and Bun (`bun test`) suites: golden logits, a FastGen profile on a golden prompt,
 * and a short greedy generation, on the reference backend, on a gpu.js mode, and on the wasm
 * backend with its worker threads (node:worker_threads in all three runtimes).
 */
import { kvLayoutOf } from "../src/interfaces.ts";
import { createBackend, type GpuMode } from "../src/create-backend.ts";
import { compressionSettingsSchema } from "../src/fastgen/settings.ts";
import { computeTokenClasses } from "../src/fastgen/token-classes.ts";
import { compressPrompt, generateCompressed } from "../src/fastgen/pipeline.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { WasmBackend } from "../kernels/wasm/backend.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
// The same loaders and comparison the vitest suites use (plain modules, no test runner inside).
import { compareLogits } from "../test/support/compare.ts";
import { golden, stories260K as stories } from "../test/support/shared.ts";

export type CheckBackend = { backend: "reference" } | { backend: "gpu"; mode: GpuMode } | { backend: "wasm"; threads: number };

function fail(message: string): never {
  throw new Error(message);
}

async function backendFor(choice: CheckBackend) {
  // wasm: every product and attention job split between the threads, however small (stories260K's are).
  if (choice.backend === "wasm") return new WasmBackend(stories(), { threads: choice.threads, minParallelWork: 0 });
  return createBackend(stories(), { backend: choice.backend, gpuMode: choice.backend === "gpu" ? choice.mode : "auto" });
}

/** Golden case `name`: promptTokens from the tokenizer, logits within 1e-4 and the same argmax on the first `rows` rows. */
export async function checkGoldenLogits(name: string, choice: CheckBackend = { backend: "reference" }, rows = Infinity): Promise<number> {
  const meta = golden(name);
  const m = stories();
  const encoded = new Tokenizer(m.vocab!).encode(meta.prompt);
  if (JSON.stringify(encoded) !== JSON.stringify(meta.promptTokens))
    fail(`${name}: tokenizer gave ${encoded}, expected ${meta.promptTokens}`);
  const backend = await backendFor(choice);
  const n = Math.min(rows, meta.rows);
  const out = backend.prefill(meta.tokens.slice(0, n), 0, new FullKvCache(kvLayoutOf(m.config)));
  backend.dispose();
  const cmp = compareLogits(out, meta.logits, meta.vocabSize);
  if (cmp.argmaxMismatches.length > 0) fail(`${name}: argmax differs on rows ${cmp.argmaxMismatches.join(", ")}`);
  if (!(cmp.maxAbsDiff < 1e-4)) fail(`${name}: max |Δlogit| ${cmp.maxAbsDiff} ≥ 1e-4`);
  return cmp.maxAbsDiff;
}

/** FastGen's profile of the quotes prompt at T = 0.95: a policy per KV head, as a compact string. */
export async function checkProfile(choice: CheckBackend = { backend: "reference" }): Promise<string> {
  const m = stories();
  const tokenizer = new Tokenizer(m.vocab!);
  const prompt = 'Tom and Lily were playing in the garden. "Look, a butterfly!" said Lily.';
  const backend = await backendFor(choice);
  const { session } = compressPrompt(
    backend,
    computeTokenClasses(m.vocab!),
    compressionSettingsSchema.parse({ policy: "fastgen", threshold: 0.95 }),
    tokenizer.encode(prompt),
  );
  backend.dispose();
  const table = session.policyTable();
  if (table.length !== m.config.nLayers || table.some((l) => l.length !== m.config.nKvHeads)) fail("profile has the wrong shape");
  return table.map((l) => l.join(",")).join(";") + ` compression=${session.summary().afterPrefill.toFixed(6)}`;
}

export const DOCUMENTED_STORY =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

/** Greedy generation from the default prompt; must start with the documented story. */
export async function checkGreedyStory(choice: CheckBackend = { backend: "reference" }, maxTokens = 40): Promise<string> {
  const m = stories();
  const tokenizer = new Tokenizer(m.vocab!);
  const prompt = tokenizer.encode("Once upon a time");
  const backend = await backendFor(choice);
  const { tokens } = generateCompressed(
    backend,
    computeTokenClasses(m.vocab!),
    compressionSettingsSchema.parse({ policy: "full" }),
    prompt,
    {
      maxTokens,
      sampling: { temperature: 0, topP: 0.9, seed: 0 },
      stopTokens: [1, 2],
    },
  );
  backend.dispose();
  const text = tokenizer.decode([...prompt, ...tokens]);
  if (!text.startsWith(DOCUMENTED_STORY)) fail(`greedy story differs: ${JSON.stringify(text.slice(0, 160))}`);
  return text;
}

/**
 * The wasm backend's threads: golden case `name`'s logits on 1 and on `threads` threads (worker
 * threads started, every job split) must be the same bytes, and within 1e-4 of the golden ones.
 */
export async function checkWasmThreads(name: string, threads = 2, rows = 48): Promise<number> {
  const meta = golden(name);
  const n = Math.min(rows, meta.rows);
  const run = async (t: number) => {
    const backend = await backendFor({ backend: "wasm", threads: t });
    const out = backend.prefill(meta.tokens.slice(0, n), 0, new FullKvCache(kvLayoutOf(stories().config)));
    backend.dispose();
    return out;
  };
  const one = await run(1);
  const many = await run(threads);
  for (let r = 0; r < n; r++) {
    const a = one[r]!;
    const b = many[r]!;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], b[i])) fail(`${name}: row ${r}, logit ${i}: ${a[i]} on 1 thread, ${b[i]} on ${threads}`);
    }
  }
  return checkGoldenLogits(name, { backend: "wasm", threads }, rows);
}
