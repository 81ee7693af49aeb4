/**
 * The benchmark suite: `npm run bench` (a few minutes), `npm run bench -- --long`, or
 * `npm run bench -- --quick` (the CI smoke setting). Each benchmark prints a table and writes
 * results/bench-<name>.json; `--only a,b` runs a subset, `--out DIR` writes elsewhere.
 */
import { contextBench } from "./context.ts";
import { kernelsBench } from "./kernels.ts";
import { llamaCppBench } from "./llama-cpp.ts";
import { memoryBench } from "./memory.ts";
import { profilingBench } from "./profiling.ts";
import { throughputBench } from "./throughput.ts";

const BENCHES: Record<string, (argv: readonly string[]) => Promise<unknown>> = {
  kernels: kernelsBench,
  throughput: throughputBench,
  context: contextBench,
  profiling: profilingBench,
  memory: memoryBench,
  "llama-cpp": llamaCppBench,
};

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? "").split(",") : Object.keys(BENCHES);
const unknown = only.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
for (const name of only) {
  const t0 = performance.now();
  await BENCHES[name]!(argv);
  console.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
