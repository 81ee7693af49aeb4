// Bun smoke suite: `bun test smoke/bun.test.ts`.
import { expect, test } from "bun:test";
import { checkGoldenLogits, checkGreedyStory, checkProfile } from "./checks.ts";

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
