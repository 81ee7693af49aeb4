/** Benchmarks are not timed tests: CI only checks that the suite runs on its tiny setting and writes valid JSON. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { availableModes } from "../kernels/gpu/modes.ts";
import { synthLike } from "../src/model/families.ts";
import { repoRoot } from "../src/model/load.ts";

const reportSchema = z.object({
  bench: z.string(),
  command: z.string().min(1),
  machine: z.object({
    cpu: z.string(),
    cores: z.number().int().positive(),
    memoryGiB: z.number(),
    runtime: z.string(),
    platform: z.string(),
    loadAverage: z.array(z.number()).length(3),
  }),
  startedAt: z.string().datetime(),
  settings: z.record(z.string(), z.unknown()),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).min(1),
  notes: z.array(z.string()).optional(),
});

describe("benchmark suite (--quick)", () => {
  it("runs every benchmark and writes one valid JSON report each", () => {
    const out = mkdtempSync(join(tmpdir(), "fastgen-bench-"));
    execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", "bench/run.ts", "--quick", "--out", out], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 240_000,
    });
    const files = readdirSync(out)
      .filter((f) => f.endsWith(".json"))
      .sort();
    expect(files).toEqual([
      "bench-context.json",
      "bench-kernels.json",
      "bench-llama-cpp.json",
      "bench-long-context.json",
      "bench-memory.json",
      "bench-methods.json",
      "bench-profiling.json",
      "bench-throughput.json",
      "bench-wasm.json",
    ]);
    for (const f of files) {
      const report = reportSchema.parse(JSON.parse(readFileSync(join(out, f), "utf8")));
      expect(`bench-${report.bench}.json`).toBe(f);
      for (const row of report.rows) {
        for (const [k, v] of Object.entries(row)) if (typeof v === "number") expect(Number.isNaN(v), `${f} ${k}`).toBe(false);
      }
    }
    // Memory: the compressed caches hold fewer bytes than the full one.
    const memory = reportSchema.parse(JSON.parse(readFileSync(join(out, "bench-memory.json"), "utf8")));
    const held = memory.rows.map((r) => r.heldBytes as number);
    expect(Math.min(...held.slice(1))).toBeLessThan(held[0]!);
  }, 300_000);

  it("throughput --model measures a given file (a Qwen3-shaped GGUF) on every backend", () => {
    const out = mkdtempSync(join(tmpdir(), "fastgen-bench-"));
    const model = join(out, "qwen3.gguf");
    writeFileSync(model, synthLike("qwen3-0.6b", { layers: 1, vocabSize: 1024, type: "Q4_K_M", seed: 1, narrow: true }));
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--quick", "--only", "throughput", "--model", model, "--out", out],
      {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(join(out, "bench-throughput.json"), "utf8")));
    const gpu = availableModes()
      .filter((m) => m !== "webgl2")
      .map((m) => `gpu:${m}`);
    expect(report.rows.map((row) => row.backend)).toEqual(["reference", "wasm", ...gpu]);
    expect(report.rows.every((row) => row.shape === model && (row.decodeTokPerS as number) > 0)).toBe(true);
    expect(r.stdout).not.toMatch(/skipped on/);
  }, 150_000);

  it("--help prints the flags and runs nothing; an unknown flag is refused, not ignored", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--quick/);
    expect(help.stdout).toMatch(/--only a,b .*kernels, throughput/);
    expect(help.stdout).not.toMatch(/tok\/s|bench:/);
    const typo = run("--quik");
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/^bench: unknown argument "--quik"/);
  });
});
