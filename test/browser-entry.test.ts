import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as browser from "../src/browser.ts";
import * as node from "../src/index.ts";

/** The file-finding parts that only the Node entry has. */
const NODE_ONLY = ["DEFAULT_MODEL_FILE", "loadModel", "modelSearchPath", "resolveModelPath"];

describe("browser entry (src/browser.ts)", () => {
  it("exports the Node entry's API without the file-loading parts", () => {
    const expected = Object.keys(node)
      .filter((k) => !NODE_ONLY.includes(k))
      .sort();
    expect(Object.keys(browser).sort()).toEqual(expected);
  });

  it("opens a model from bytes and generates what the Node entry generates", async () => {
    const bytes = new Uint8Array(readFileSync(new URL("../models/stories260K.gguf", import.meta.url)));
    const fromBytes = await browser.openFastGen({ model: bytes, name: "stories260K.gguf" });
    const fromPath = await node.openFastGen();
    const run = async (fg: node.FastGen) => {
      let text = "";
      for await (const p of fg.generate("Once upon a time", { maxTokens: 12, policy: "fastgen", threshold: 0.5 })) text += p.text;
      return text;
    };
    expect(await run(fromBytes)).toBe(await run(fromPath));
    const tok = new Uint8Array(readFileSync(new URL("../models/tok105.bin", import.meta.url)));
    const ckpt = new Uint8Array(readFileSync(new URL("../models/babyllama105.bin", import.meta.url)));
    await expect(browser.openFastGen({ model: ckpt, name: "babyllama105.bin" })).rejects.toThrow(/no tokenizer/);
    const baby = await browser.openFastGen({ model: ckpt, tokenizer: tok, name: "babyllama105.bin" });
    expect(baby.model.config.vocabSize).toBe(105);
  });
});
