// Bun smoke suite: `bun test smoke/bun.test.ts`.
import { expect, test } from "bun:test";
import { checkGoldenLogits, checkGreedyStory, checkProfile, checkWasmThreads } from "./checks.ts";

for (const name of ["once", "quotes", "long"]) {
  test(`golden logits (${name}), reference`, async () => expect(await checkGoldenLogits(name)).toBeLessThan(1e-4));
}
test("FastGen profile on a golden prompt, reference", async () => expect(await checkProfile()).toContain("compression="));
test("greedy story, reference", async () => expect(await checkGreedyStory()).toContain("Lily"));

// gpu.js: headless WebGL does not load under Bun; its WebAssembly and CPU modes do.
for (const mode of ["webasm", "cpu"] as const) {
  test(`golden logits (once, 48 rows) and greedy story, gpu ${mode}`, async () => {
    expect(await checkGoldenLogits("once", { backend: "gpu", mode }, 48)).toBeLessThan(1e-4);
    expect(await checkGreedyStory({ backend: "gpu", mode })).toContain("Lily");
  });
}

// wasm: worker threads (node:worker_threads) over one shared memory, the same bytes as one thread.
test("golden logits (once, 48 rows) on 1 and 2 wasm threads, and greedy story on 2", async () => {
  expect(await checkWasmThreads("once", 2)).toBeLessThan(1e-4);
  expect(await checkGreedyStory({ backend: "wasm", threads: 2 })).toContain("Lily");
});
