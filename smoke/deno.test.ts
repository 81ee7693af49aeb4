// Deno smoke suite: `deno test --allow-read --allow-env smoke/deno.test.ts` (or `deno task test`).
import { checkGoldenLogits, checkGreedyStory, checkProfile, checkWasmThreads } from "./checks.ts";

for (const name of ["once", "quotes", "long"]) {
  Deno.test(`golden logits (${name}), reference`, async () => void (await checkGoldenLogits(name)));
}
Deno.test("FastGen profile on a golden prompt, reference", async () => void (await checkProfile()));
Deno.test("greedy story, reference", async () => void (await checkGreedyStory()));

// gpu.js: headless WebGL does not load under Deno; its WebAssembly and CPU modes do.
for (const mode of ["webasm", "cpu"] as const) {
  Deno.test(`golden logits (once, 48 rows) and greedy story, gpu ${mode}`, async () => {
    await checkGoldenLogits("once", { backend: "gpu", mode }, 48);
    await checkGreedyStory({ backend: "gpu", mode });
  });
}

// wasm: worker threads (node:worker_threads) over one shared memory, the same bytes as one thread.
Deno.test("golden logits (once, 48 rows) on 1 and 2 wasm threads, and greedy story on 2", async () => {
  await checkWasmThreads("once", 2);
  await checkGreedyStory({ backend: "wasm", threads: 2 });
});
