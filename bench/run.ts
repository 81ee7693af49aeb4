/**
 * The benchmark suite: `npm run bench` (a few minutes), `npm run bench -- --long`, or
 * `npm run bench -- --quick` (the CI smoke setting). Each benchmark prints a table and writes
 * results/bench-<name>.json; `--only a,b` runs a subset, `--out DIR` writes elsewhere, `--help` lists the flags.
 */
import { contextBench } from "./context.ts";
import { kernelsBench } from "./kernels.ts";
import { llamaCppBench } from "./llama-cpp.ts";
import { longContextBench } from "./long-context.ts";
import { memoryBench } from "./memory.ts";
import { methodsBench } from "./methods.ts";
import { profilingBench } from "./profiling.ts";
import { throughputBench } from "./throughput.ts";
import { wasmBench } from "./wasm.ts";

const BENCHES: Record<string, (argv: readonly string[]) => Promise<unknown>> = {
  kernels: kernelsBench,
  throughput: throughputBench,
  context: contextBench,
  profiling: profilingBench,
  memory: memoryBench,
  methods: methodsBench,
  "llama-cpp": llamaCppBench,
  wasm: wasmBench,
  "long-context": longContextBench,
};

const HELP = `npm run bench -- [flags]: FastGen benchmarks; each prints a table and writes <out>/bench-<name>.json

  --quick         the tiny CI setting (seconds per benchmark)
  --long          longer contexts and the 110M shape (tens of minutes)
  --only a,b      run only these: ${Object.keys(BENCHES).join(", ")}
  --out DIR       where the JSON reports go (default results)
  --model FILE    throughput: measure this model file (any GGUF family) instead of the built-in shapes
  --help, -h      this text

Run it under \`xvfb-run -a\` to include gpu.js's headless-WebGL mode.
`;

const argv = process.argv.slice(2);
// Help before anything runs: the full suite takes minutes.
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}
// A mistyped flag would otherwise run the default suite for minutes.
const FLAGS_WITH_VALUE = new Set(["--only", "--out", "--model"]);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  if (FLAGS_WITH_VALUE.has(arg)) {
    if (argv[i + 1] === undefined) {
      console.error(`bench: ${arg} needs a value\n\n${HELP}`);
      process.exit(2);
    }
    i++;
  } else if (arg !== "--quick" && arg !== "--long") {
    console.error(`bench: unknown argument "${arg}"\n\n${HELP}`);
    process.exit(2);
  }
}
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? argv[onlyAt + 1]!.split(",") : Object.keys(BENCHES);
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
