/**
 * Decode step time vs. context length: the full cache against H2O caches keeping 50% and 30%
 * (rLocal = rFrequent = f/2). The attention part should shrink with the kept fraction; we
 * estimate it as step(L) − step(L₀) with a tiny L₀, so the fixed matmul cost cancels.
 * Run: npx tsx bench/context.ts [--quick | --long] [--out DIR]
 */
import { Bench } from "tinybench";
import { BASELINE_POLICIES } from "../src/fastgen/settings.ts";
import { benchBackends } from "./lib/backends.ts";
import { filledCache } from "./lib/fill-cache.ts";
import { benchModel } from "./lib/models.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";

const SETTINGS = {
  quick: { shape: "tiny" as const, lengths: [8, 64, 120], iterations: 8, allBackends: false },
  default: { shape: "long" as const, lengths: [16, 256, 1024, 2048, 4096], iterations: 16, allBackends: false },
  long: { shape: "long" as const, lengths: [16, 256, 1024, 2048, 4096, 8192], iterations: 32, allBackends: true },
};

const CACHES = [
  { name: "full", kept: 1, policy: BASELINE_POLICIES.full, ratios: { rLocal: 1, rFrequent: 1 } },
  { name: "h2o-50%", kept: 0.5, policy: BASELINE_POLICIES.h2o, ratios: { rLocal: 0.25, rFrequent: 0.25 } },
  { name: "h2o-30%", kept: 0.3, policy: BASELINE_POLICIES.h2o, ratios: { rLocal: 0.15, rFrequent: 0.15 } },
];

export async function contextBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const model = benchModel(s.shape);
  const backends = benchBackends();
  const chosen = s.allBackends ? backends : backends.slice(0, 1);
  const rows: Row[] = [];
  for (const choice of chosen) {
    const backend = await choice.make(model);
    // Warm the JIT (and compile gpu kernels) on every cache type before anything is timed.
    for (const c of CACHES) {
      const warm = filledCache(model, s.lengths[0]!, c.policy, c.ratios);
      for (let p = s.lengths[0]!; p < s.lengths[0]! + 30; p++) backend.forward(5, p, warm);
    }
    for (const L of s.lengths) {
      for (const c of CACHES) {
        const cache = filledCache(model, L, c.policy, c.ratios);
        let position = L;
        const bench = new Bench({ iterations: s.iterations, time: 0, warmupIterations: 4, warmupTime: 0 });
        bench.add("step", () => void backend.forward(5, position++, cache));
        await bench.run();
        const r = bench.getTask("step")?.result;
        const ms = r && "latency" in r ? r.latency.mean : NaN;
        const f = cache.footprint();
        rows.push({
          backend: choice.label,
          context: L,
          cache: c.name,
          keptFraction: f.kept / (f.length * model.config.nLayers * model.config.nKvHeads),
          stepMs: ms,
        });
      }
    }
    backend.dispose();
  }
  // Attention part: subtract the step time at the smallest context (same backend and cache).
  const L0 = s.lengths[0]!;
  for (const r of rows) {
    const base = rows.find((x) => x.backend === r.backend && x.cache === r.cache && x.context === L0)!;
    r.attentionMs = Math.max(0, (r.stepMs as number) - (base.stepMs as number));
    const full = rows.find((x) => x.backend === r.backend && x.cache === "full" && x.context === r.context)!;
    r.stepVsFull = (r.stepMs as number) / (full.stepMs as number);
  }
  for (const r of rows) {
    const full = rows.find((x) => x.backend === r.backend && x.cache === "full" && x.context === r.context)!;
    r.attentionVsFull = (full.attentionMs as number) > 0 ? (r.attentionMs as number) / (full.attentionMs as number) : null;
  }
  const c = model.config;
  return writeReport(
    {
      bench: "context",
      command: `npx tsx bench/context.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: { ...s, model: { dim: c.dim, nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim } },
      rows,
      notes: [
        `attentionMs = stepMs(L) − stepMs(${L0}) for the same backend and cache; attentionVsFull is its ratio to the ` +
          `full cache at the same L.`,
      ],
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await contextBench();
