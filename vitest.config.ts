import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine. Two overlap one
    // file's module loading and child processes with another's work: the whole suite 553 → 386 s
    // on the 2-core development machine (2026-12-08).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
