/**
 * Prefill and decode tokens/s per model shape and backend (reference, each gpu.js mode).
 * Run: npx tsx bench/throughput.ts [--quick | --long] [--model FILE] [--out DIR]
 * `--model FILE` measures that file (a GGUF of any family, say) instead of the built-in shapes; a
 * backend that refuses it (an InputError) is skipped, saying why.
 */
import { Bench } from "tinybench";
import { kvLayoutOf } from "../src/interfaces.ts";
import { FullKvCache } from "../src/kv/full-cache.ts";
import { benchBackends } from "./lib/backends.ts";
import { type BenchShape, benchModel, benchTokens } from "./lib/models.ts";
import { benchSize, modelFlag, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";
import { InputError } from "../src/errors.ts";
import type { Backend } from "../src/interfaces.ts";
import { loadModel } from "../src/model/load.ts";

const SETTINGS = {
  quick: { shapes: ["stories260K", "tiny"] as BenchShape[], prefill: 16, decode: 8, iterations: 2 },
  default: { shapes: ["stories260K", "15M"] as BenchShape[], prefill: 64, decode: 32, iterations: 4 },
  long: { shapes: ["stories260K", "15M", "110M", "long"] as BenchShape[], prefill: 128, decode: 64, iterations: 5 },
};

export async function throughputBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const rows: Row[] = [];
  const file = modelFlag(argv);
  for (const shape of file ? [file] : s.shapes) {
    const model = file ? loadModel(file) : benchModel(shape as BenchShape);
    const tokens = benchTokens(model, s.prefill + s.decode);
    const prompt = tokens.slice(0, s.prefill);
    for (const choice of benchBackends()) {
      let backend: Backend;
      try {
        backend = await choice.make(model);
      } catch (e) {
        if (!(e instanceof InputError) || choice.label === "reference") throw e;
        console.log(`  (${choice.label} skipped on ${shape}: ${e.message})`);
        continue;
      }
      let cache = new FullKvCache(kvLayoutOf(model.config));
      const bench = new Bench({ iterations: s.iterations, time: 0, warmupIterations: 1, warmupTime: 0 });
      bench.add("prefill", () => void backend.prefill(prompt, 0, cache), {
        beforeEach: () => void (cache = new FullKvCache(kvLayoutOf(model.config))),
      });
      bench.add(
        "decode",
        () => {
          for (let p = s.prefill; p < s.prefill + s.decode; p++) backend.forward(tokens[p]!, p, cache);
        },
        {
          beforeEach: () => {
            cache = new FullKvCache(kvLayoutOf(model.config));
            backend.prefill(prompt, 0, cache);
          },
        },
      );
      await bench.run();
      const mean = (name: string) => {
        const r = bench.getTask(name)?.result;
        return r && "latency" in r ? r.latency.mean : NaN;
      };
      rows.push({
        shape,
        backend: choice.label,
        prefillTokens: s.prefill,
        prefillTokPerS: (1000 * s.prefill) / mean("prefill"),
        decodeTokens: s.decode,
        decodeTokPerS: (1000 * s.decode) / mean("decode"),
        decodeMsPerToken: mean("decode") / s.decode,
      });
      backend.dispose();
    }
  }
  // Ratios against the reference on the same shape.
  for (const r of rows) {
    const ref = rows.find((x) => x.shape === r.shape && x.backend === "reference")!;
    r.prefillVsReference = (r.prefillTokPerS as number) / (ref.prefillTokPerS as number);
    r.decodeVsReference = (r.decodeTokPerS as number) / (ref.decodeTokPerS as number);
  }
  return writeReport(
    {
      bench: "throughput",
      command: `npx tsx bench/throughput.ts${size === "default" ? "" : ` --${size}`}${file ? ` --model ${file}` : ""}`,
      startedAt: new Date().toISOString(),
      settings: s,
      rows,
      notes: ["prefill: the prompt through a fresh full cache; decode: tokens after that prefill, one forward each (full cache)."],
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await throughputBench();
