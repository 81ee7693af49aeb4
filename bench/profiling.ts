/**
 * Profiling overhead as a share of a 128-token generation (the paper: 0.35%). FastGen's extra
 * work is: recording the prompt's attention during prefill, the profiler itself, and the
 * compression; we time each against the whole FastGen generation and a full-cache one.
 * Run: npx tsx bench/profiling.ts [--quick | --long] [--out DIR]
 */
import { Bench } from "tinybench";
import { type Backend, kvLayoutOf } from "../src/interfaces.ts";
import { compressionSettingsSchema } from "../src/fastgen/settings.ts";
import { profileHeads } from "../src/fastgen/profiler.ts";
import { CompressionSession } from "../src/fastgen/session.ts";
import { computeTokenClasses } from "../src/fastgen/token-classes.ts";
import { generateCompressed } from "../src/fastgen/pipeline.ts";
import { AdaptiveKvCache } from "../src/fastgen/adaptive-cache.ts";
import { Tokenizer } from "../src/tokenizer/tokenizer.ts";
import { benchBackends } from "./lib/backends.ts";
import { benchModel } from "./lib/models.ts";
import { benchSize, outDir, type Row, writeReport } from "./lib/report.ts";
import { isMainModule } from "../src/is-main.ts";

const PROMPTS = {
  short: 'Tom and Lily were playing in the garden. "Look, a butterfly!" said Lily.',
  long:
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friend Tom. " +
    'One day, they saw a big, red ball under a tree. "Can we play with it?" asked Tom. Lily nodded and smiled. ' +
    "They kicked the ball back and forth, and they laughed all afternoon. When the sun went down, Mom called them home. " +
    '"Come inside, it is time for dinner!" she said. Lily and Tom ran to the house, happy and tired.',
};

const SETTINGS = {
  quick: { tokens: 16, iterations: 2, prompts: ["short"] as const },
  default: { tokens: 128, iterations: 5, prompts: ["short", "long"] as const },
  long: { tokens: 128, iterations: 10, prompts: ["short", "long"] as const },
};

export async function profilingBench(argv: readonly string[] = process.argv.slice(2)): Promise<string> {
  const size = benchSize(argv);
  const s = SETTINGS[size];
  const model = benchModel("stories260K");
  const tokenizer = new Tokenizer(model.vocab!);
  const classes = computeTokenClasses(model.vocab!);
  const settings = compressionSettingsSchema.parse({ policy: "fastgen", threshold: 0.95 });
  const layout = kvLayoutOf(model.config);
  const rows: Row[] = [];
  for (const choice of benchBackends().slice(0, size === "long" ? undefined : 1)) {
    const backend: Backend = await choice.make(model);
    for (const name of s.prompts) {
      const prompt = tokenizer.encode(PROMPTS[name]);
      const gen = { maxTokens: s.tokens, sampling: { temperature: 0, topP: 0.9, seed: 0 } };
      const newCache = (record: boolean) =>
        new AdaptiveKvCache(layout, { classes, sizes: { rLocal: 0.3, rFrequent: 0.3, sinks: 0 }, recordPromptAttention: record });
      // A prefilled, recorded cache for timing the profiler alone; and a prefilled session whose
      // finishPrefill (the pipeline's profile + compress step) is timed.
      const profiled = newCache(true);
      backend.prefill(prompt, 0, profiled);
      let session = new CompressionSession(layout, classes, settings);
      const bench = new Bench({ iterations: s.iterations, time: 0, warmupIterations: 1, warmupTime: 0 });
      bench
        .add("generate (full cache)", () => void generateCompressed(backend, classes, { ...settings, policy: "full" }, prompt, gen))
        .add("generate (fastgen)", () => void generateCompressed(backend, classes, settings, prompt, gen))
        .add("prefill, not recording", () => void backend.prefill(prompt, 0, newCache(false)))
        .add("prefill, recording attention", () => void backend.prefill(prompt, 0, newCache(true)))
        .add("profile heads", () => void profileHeads(profiled.promptAttention(), layout, profiled, settings))
        .add("profile + compress", () => session.finishPrefill(), {
          beforeEach: () => {
            session = new CompressionSession(layout, classes, settings);
            backend.prefill(prompt, 0, session.cache);
          },
        });
      await bench.run();
      const ms = (task: string) => {
        const r = bench.getTask(task)?.result;
        return r && "latency" in r ? r.latency.mean : NaN;
      };
      const total = ms("generate (fastgen)");
      const overhead = ms("profile + compress") + Math.max(0, ms("prefill, recording attention") - ms("prefill, not recording"));
      rows.push({
        backend: choice.label,
        prompt: name,
        promptTokens: prompt.length,
        generatedTokens: s.tokens,
        generateFullMs: ms("generate (full cache)"),
        generateFastgenMs: total,
        recordingMs: ms("prefill, recording attention") - ms("prefill, not recording"),
        profileMs: ms("profile heads"),
        profileCompressMs: ms("profile + compress"),
        overheadPercent: (100 * overhead) / total,
      });
    }
    backend.dispose();
  }
  return writeReport(
    {
      bench: "profiling",
      command: `npx tsx bench/profiling.ts${size === "default" ? "" : ` --${size}`}`,
      startedAt: new Date().toISOString(),
      settings: { ...s, threshold: 0.95 },
      rows,
      notes: [
        "overheadPercent = (profile + compress + extra prefill time for recording attention) / FastGen generation " +
          "time. The paper reports 0.35% for a 128-token generation.",
      ],
    },
    outDir(argv),
  );
}

if (isMainModule(import.meta)) await profilingBench();
