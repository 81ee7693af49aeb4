/** The llama2.c writer: what it writes loads back to the same weights, and matches the original checkpoint. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeLlama2c } from "../../src/model/llama2c-writer.ts";
import { parseLlama2c } from "../../src/model/llama2c.ts";
import { loadModel, repoRoot } from "../../src/model/load.ts";
import { namedWeights, sameBits } from "./helpers.ts";
import { babyLlamaPath, stories260K } from "../support/shared.ts";

describe("writeLlama2c", () => {
  it("round-trips stories260K (tied classifier) bit for bit, with seq_len = the trained context", () => {
    const model = stories260K();
    const back = parseLlama2c(writeLlama2c(model), "written.bin");
    expect(back.config.contextLength).toBe(512);
    // The GGUF stores its tied classifier as a tensor of its own; the checkpoint ties it.
    expect(back.weights.output).toBe(back.weights.tokenEmbedding);
    const a = namedWeights(model);
    const b = namedWeights(back);
    expect(b.map(([name]) => name)).toEqual(a.map(([name]) => name));
    a.forEach(([name, tensor], i) => expect(sameBits(tensor, b[i]![1]), name).toBe(true));
  });

  it("writes BabyLlama back to the very bytes of its checkpoint, the RoPE tables aside", () => {
    const original = readFileSync(babyLlamaPath);
    const written = writeLlama2c(loadModel(babyLlamaPath));
    expect(written.byteLength).toBe(original.byteLength);
    const c = loadModel(babyLlamaPath).config;
    // The legacy RoPE tables sit just before the end (the classifier is tied): run.c skips them.
    const ropeBytes = 2 * c.contextLength * (c.headDim / 2) * 4;
    const ropeStart = written.byteLength - ropeBytes;
    expect(Buffer.from(written.subarray(0, ropeStart)).equals(original.subarray(0, ropeStart))).toBe(true);
    // Our tables are computed in float64 and rounded; torch's float32 ones differ by a few ulps at most.
    const ours = new Float32Array(written.slice(ropeStart).buffer);
    const theirs = new Float32Array(original.buffer.slice(original.byteOffset + ropeStart, original.byteOffset + original.byteLength));
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  const shared = join(repoRoot, "..", "shared", "models", "stories260K.bin");
  it.runIf(existsSync(shared))("matches the original stories260K.bin from ../shared, the RoPE tables aside", () => {
    const original = readFileSync(shared);
    const written = writeLlama2c(stories260K());
    expect(written.byteLength).toBe(original.byteLength);
    const c = stories260K().config;
    const ropeStart = written.byteLength - 2 * 512 * (c.headDim / 2) * 4;
    expect(Buffer.from(written.subarray(0, ropeStart)).equals(original.subarray(0, ropeStart))).toBe(true);
  });
});
