import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.ts";
import { openFastGen } from "../src/index.ts";

describe("library API", () => {
  it("generate defaults to the full cache whether policy is left out or undefined; fastgen profiles", async () => {
    const fg = await openFastGen();
    const run = async (options: Parameters<typeof fg.generate>[1]) => {
      let text = "";
      for await (const piece of fg.generate("Once upon a time", options)) text += piece.text;
      return { text, stats: fg.stats! };
    };
    const omitted = await run({ maxTokens: 10 });
    const undef = await run({ maxTokens: 10, policy: undefined });
    expect(omitted.stats.profile).toBeUndefined();
    expect(undef.stats.profile).toBeUndefined();
    expect(undef.text).toBe(omitted.text);
    expect(omitted.text.startsWith(", there was a little girl")).toBe(true);
    const fast = await run({ maxTokens: 10, policy: "fastgen", threshold: 0.5 });
    expect(fast.stats.profile?.settings.threshold).toBe(0.5);
    expect(fast.stats.policies.flat()).toHaveLength(20);
  });

  it("bad options are InputErrors naming the problem", async () => {
    const fg = await openFastGen();
    const drain = async (options: Parameters<typeof fg.generate>[1]) => {
      for await (const _ of fg.generate("Hi", options)) void _;
    };
    await expect(drain({ topP: 0 })).rejects.toThrow(InputError);
    await expect(drain({ topP: 0 })).rejects.toThrow(/topP: top-p must be in \(0, 1\]/);
    await expect(drain({ threshold: 3 })).rejects.toThrow(/threshold must be in \[0, 1\]/);
    expect(() => fg.profile("Hi", { rLocal: 0 })).toThrow(InputError);
    await expect(openFastGen({ threads: 0 })).rejects.toThrow(/threads must be a whole number in 1\.\.256, got 0/);
    await expect(openFastGen({ threads: 1.5 })).rejects.toThrow(InputError);
  });

  it("opens the fastest backend by default and says which ran; threads pass through", async () => {
    expect((await openFastGen()).backend.name).toMatch(/^wasm \(\d+ threads?\)$/);
    expect((await openFastGen({ threads: 1 })).backend.name).toBe("wasm (1 thread)");
    expect((await openFastGen({ backend: "reference" })).backend.name).toBe("reference");
  });
});
