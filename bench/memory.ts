/**
 * KV-cache bytes and process memory vs. compression: a cache at context L filled and compressed
 * by each policy; we read the bytes its buffers hold and the process's heap + ArrayBuffer memory
 * after a forced GC. If eviction only masked entries, the process memory would not move.
 * Run: node --expose-gc --import tsx bench/memory.ts [--quick | --long] [--out DIR]
 */
import { BASELINE_POLICIES } from "../src/fastgen/settings.ts";
import type { AdaptiveKvCache } from "../src/fastgen/adaptive-cache.ts";
import { filledCache } from "./lib/fill-cache.ts";
import { benchModel } from "./lib/models.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";

const SETTINGS = {
  quick: { shape: "tiny" as const, length: 120 },
  default: { shape: "long" as const, length: 4096 },
  long: { shape: "long" as const, length: 8192 },
};

const CONFIGS = [
  { name: "full", policy: BASELINE_POLICIES.full, ratios: { rLocal: 1, rFrequent: 1 } },
  { name: "h2o 0.3+0.3", policy: BASELINE_POLICIES.h2o, ratios: { rLocal: 0.3, rFrequent: 0.3 } },
  { name: "h2o 0.15+0.15", policy: BASELINE_POLICIES.h2o, ratios: { rLocal: 0.15, rFrequent: 0.15 } },
  { name: "local 0.1", policy: BASELINE_POLICIES.local, ratios: { rLocal: 0.1, rFrequent: 0.1 } },
  { name: "streaming 0.02", policy: BASELINE_POLICIES.streaming, ratios: { rLocal: 0.02, rFrequent: 0.02 } },
];

const gc = (globalThis as { gc?: () => void }).gc;

function used(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export async function memoryBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const model = benchModel(s.shape);
  const notes = ["processBytes = growth of heapUsed + arrayBuffers while the cache is alive, after forced GC (node --expose-gc)."];
  if (!gc) notes.push("WARNING: run without --expose-gc, so processBytes include garbage and are unreliable.");
  const rows: Row[] = [];
  for (const c of CONFIGS) {
    const before = used();
    let cache: AdaptiveKvCache | undefined = filledCache(model, s.length, c.policy, c.ratios);
    const f = cache.footprint();
    const held = used() - before;
    rows.push({
      cache: c.name,
      context: f.length,
      compression: f.compression,
      fullKvBytes: f.fullBytes,
      heldBytes: f.heldBytes,
      heldVsFull: f.heldBytes / f.fullBytes,
      processBytes: held,
      processVsFullKv: held / f.fullBytes,
    });
    cache = undefined;
  }
  return writeReport(
    {
      bench: "memory",
      command: `node --expose-gc --import tsx bench/memory.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: s,
      rows,
      notes,
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await memoryBench();
