/**
 * Every compression method side by side on one model and one prompt (spec §9, §14): the real
 * prefill through the pipeline, the cut, then greedy decode on the wasm backend; prefill and decode
 * time, compression after the prompt and at the end, and the KV bytes the cache really holds.
 * Run: npx tsx bench/methods.ts [--quick | --long] [--out DIR]
 */
import { compressPrompt, decodeCompressed } from "../src/fastgen/pipeline.ts";
import { LITERATURE_NAMES } from "../src/fastgen/methods/index.ts";
import { compressionSettingsSchema } from "../src/fastgen/settings.ts";
import { createBackend } from "../src/create-backend.ts";
import { isMainModule } from "../src/is-main.ts";
import { benchModel, benchTokens } from "./lib/models.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";

const SETTINGS = {
  quick: { shape: "tiny" as const, prompt: 64, decode: 16 },
  default: { shape: "long" as const, prompt: 1024, decode: 128 },
  long: { shape: "long" as const, prompt: 4096, decode: 256 },
};

/** C = 0.5 for every method that takes it; FastGen at T = 0.95; H2O with half of the kept share each. */
const METHODS = [
  { name: "full", settings: { policy: "full" } },
  { name: "fastgen T=0.95", settings: { policy: "fastgen", threshold: 0.95 } },
  { name: "budgeted C=0.5", settings: { policy: "budgeted", compression: 0.5 } },
  { name: "h2o 0.25+0.25", settings: { policy: "h2o", rLocal: 0.25, rFrequent: 0.25 } },
  ...LITERATURE_NAMES.map((policy) => ({ name: `${policy} C=0.5`, settings: { policy, compression: 0.5 } })),
];

export async function methodsBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const model = benchModel(s.shape);
  const backend = await createBackend(model, { backend: "wasm", gpuMode: "auto", threads: 1 });
  const prompt = benchTokens(model, s.prompt);
  const classes = { special: new Uint8Array(model.config.vocabSize), punct: new Uint8Array(model.config.vocabSize) };
  classes.special[1] = 1;
  const greedy = { maxTokens: s.decode, sampling: { temperature: 0, topP: 1, seed: 0 }, stopTokens: [] };
  const rows: Row[] = [];
  // One untimed pass warms the JIT and the kernels.
  for (const m of METHODS.slice(0, 2)) {
    const p = compressPrompt(backend, classes, compressionSettingsSchema.parse(m.settings), prompt.slice(0, 16));
    for (const _ of decodeCompressed(backend, p, { ...greedy, maxTokens: 4 }));
    p.session.cache.release();
  }
  for (const m of METHODS) {
    const t0 = performance.now();
    const p = compressPrompt(backend, classes, compressionSettingsSchema.parse(m.settings), prompt);
    const t1 = performance.now();
    let decoded = 0;
    for (const _ of decodeCompressed(backend, p, greedy)) decoded++;
    const t2 = performance.now();
    const summary = p.session.summary();
    const bytes = p.session.kvBytes();
    rows.push({
      method: m.name,
      prefillMs: t1 - t0,
      decodeTokPerSec: (1000 * decoded) / (t2 - t1),
      compressionAfterPrompt: summary.afterPrefill,
      compressionFinal: summary.final,
      heldBytes: bytes.compressed,
      fullKvBytes: bytes.full,
      heldVsFull: bytes.compressed / bytes.full,
    });
    p.session.cache.release();
  }
  backend.dispose();
  const c = model.config;
  return writeReport(
    {
      bench: "methods",
      command: `npx tsx bench/methods.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: { ...s, backend: backend.name, model: { dim: c.dim, nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads } },
      rows,
      notes: [
        "prefillMs includes the method's own work at the end of the prompt (FastGen's profile, SnapKV's vote, ...).",
        "snapkv, pyramidkv and adakv keep every decoded entry (spec §14.2), so their final compression falls below C; " +
          "tova keeps a fixed size, so it rises; knorm holds C.",
      ],
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await methodsBench();
