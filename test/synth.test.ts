import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../src/model/load.ts";
import { SYNTH_SHAPES, synthModel } from "../src/model/synth.ts";
import { runCli } from "./support/run-cli.ts";

describe("fastgen synth", () => {
  const dir = mkdtempSync(join(tmpdir(), "fastgen-synth-"));

  it.each(["F32", "F16", "Q8_0"] as const)("writes a %s GGUF that loads with the named shape and runs", async (type) => {
    const out = join(dir, `tiny-${type}.gguf`);
    const r = await runCli("synth", "--shape", "tiny", "--type", type, "--seed", "3", "--out", out);
    expect(r.code).toBe(0);
    const model = loadModel(out);
    expect(model.config).toMatchObject(SYNTH_SHAPES.tiny);
    const want = synthModel(SYNTH_SHAPES.tiny, 3).weights.layers[0]!.wq;
    const got = model.weights.layers[0]!.wq;
    // F32 is exact; F16 and Q8_0 are within their quantization error of the seeded weights.
    const tol = { F32: 0, F16: 1e-3, Q8_0: 1e-2 }[type];
    expect(Math.max(...got.map((x, i) => Math.abs(x - want[i]!)))).toBeLessThanOrEqual(tol);
    const gen = await runCli("generate", "--model", out, "--max-tokens", "5", "--json");
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.stdout).promptTokens[0]).toBe(1);
  });

  it("is deterministic for a seed and validates its flags", async () => {
    expect(synthModel(SYNTH_SHAPES.tiny, 9).weights.tokenEmbedding).toEqual(synthModel(SYNTH_SHAPES.tiny, 9).weights.tokenEmbedding);
    expect((await runCli("synth", "--shape", "7B", "--out", join(dir, "x.gguf"))).stderr).toMatch(/shape must be one of/);
    expect((await runCli("synth", "--type", "Q4_K", "--out", join(dir, "x.gguf"))).stderr).toMatch(/type must be F32, F16 or Q8_0/);
    expect((await runCli("synth")).stderr).toMatch(/--out FILE is required/);
  });
});
