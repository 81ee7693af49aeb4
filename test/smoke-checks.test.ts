/** The plain checks the Deno and Bun smoke suites run, run here under Node too. */
import { describe, expect, it } from "vitest";
import { checkGoldenLogits, checkGreedyStory, checkProfile, checkWasmThreads } from "../smoke/checks.ts";

describe("cross-runtime smoke checks (Node)", () => {
  it.each(["once", "quotes", "long"])("golden logits %s", async (name) => {
    expect(await checkGoldenLogits(name)).toBeLessThan(1e-4);
  });
  it("profile and story", async () => {
    expect(await checkProfile()).toMatch(/^(full|special[a-z+]*)(,|;)/);
    expect(await checkGreedyStory()).toMatch(/^Once upon a time, there was a little girl named Lily/);
  });
  it("wasm threads: the same bytes on 1 and 2 threads, golden within 1e-4, the story on 2", async () => {
    expect(await checkWasmThreads("once", 2)).toBeLessThan(1e-4);
    expect(await checkGreedyStory({ backend: "wasm", threads: 2 })).toMatch(/^Once upon a time, there was a little girl named Lily/);
  });
  it("a check really fails on a wrong expectation", async () => {
    await expect(checkGoldenLogits("no-such-case")).rejects.toThrow();
  });
});
