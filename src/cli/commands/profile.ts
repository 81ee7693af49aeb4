/**
 * `fastgen profile`: the policy FastGen picks for every (layer, KV head) on a prompt, and why; with
 * `--policy budgeted`, the budget each head gets (docs/algorithm.md §10).
 */
import { z } from "zod";
import { CANDIDATE_NAMES } from "../../fastgen/candidates.ts";
import { compressionSettingsSchema } from "../../fastgen/settings.ts";
import { policyCounts } from "../../fastgen/profiler.ts";
import { compressPrompt } from "../../fastgen/pipeline.ts";
import { type FlagSpecs, parseFlags } from "../args.ts";
import { checkContext, COMPRESSION_FLAGS, encodePrompt, MODEL_FLAGS, modelFlagsSchema, openModel, tokenClassesFor } from "../common.ts";
import { renderBudgetGrid, renderProfileGrid } from "../grid.ts";
import type { CommandIO } from "../io.ts";
import { validateFlags } from "../validate.ts";
import type { Backend } from "../../interfaces.ts";
import type { TokenClasses } from "../../fastgen/token-classes.ts";
import { DEFAULT_PROMPT } from "./generate.ts";

const { policy: _policy, sinks: _sinks, ...profileCompressionFlags } = COMPRESSION_FLAGS;
const PROFILED = ["fastgen", "budgeted"] as const;

export const PROFILE_FLAGS: FlagSpecs = {
  prompt: { kind: "string", help: "the prompt to profile", default: `"${DEFAULT_PROMPT}"` },
  json: { kind: "boolean", help: "print the report as JSON" },
  verbose: { kind: "boolean", help: "also print every candidate's recovery per KV head" },
  ...MODEL_FLAGS,
  ...profileCompressionFlags,
  policy: { kind: "string", help: PROFILED.join(" | "), default: "fastgen" },
};

const schema = modelFlagsSchema.extend(compressionSettingsSchema.omit({ policy: true, sinks: true }).shape).extend({
  policy: z.enum(PROFILED, { error: `policy must be one of ${PROFILED.join(", ")} (the methods that profile)` }).default("fastgen"),
  prompt: z.string().default(DEFAULT_PROMPT),
  json: z.boolean().default(false),
  verbose: z.boolean().default(false),
  special: z.string().optional(),
  punct: z.string().optional(),
});

export async function profileCommand(argv: readonly string[], io: CommandIO, color = false): Promise<void> {
  const flags = validateFlags(schema, parseFlags(argv, PROFILE_FLAGS));
  const { model, tokenizer, backend } = await openModel(flags);
  const classes = tokenClassesFor(tokenizer, flags.special, flags.punct);
  const promptTokens = encodePrompt(model, tokenizer, flags.prompt, "--prompt");
  checkContext(model, promptTokens.length, "--prompt", io.warn);
  if (flags.policy === "budgeted") {
    budgetedProfile(backend, classes, flags, promptTokens, io, color);
    backend.dispose();
    return;
  }
  const { session, profile } = compressPrompt(backend, classes, { ...flags, policy: "fastgen", sinks: 0 }, promptTokens);
  const report = profile!;
  const compression = session.summary().afterPrefill;
  if (flags.json) {
    io.out(
      JSON.stringify({
        threshold: flags.threshold,
        gqa: flags.gqa,
        rLocal: flags.rLocal,
        rFrequent: flags.rFrequent,
        promptTokens,
        backend: backend.name,
        compression,
        kvBytes: session.kvBytes(),
        layers: report.layers.map((heads, l) => ({
          layer: l,
          kvHeads: heads.map((h) => ({ kvHead: h.kvHead, policy: h.policy, recovery: h.recovery, queryHeads: h.queryHeads })),
        })),
      }) + "\n",
    );
  } else {
    const counts = policyCounts(report);
    io.out(
      `FastGen profile of a ${report.n}-token prompt, T = ${flags.threshold}, GQA ${flags.gqa}, w = ` +
        `${report.sizes.window}, k = ${report.sizes.frequentK} (backend ${backend.name})\n\n`,
    );
    io.out(renderProfileGrid(report, color) + "\n\n");
    io.out(`KV heads per policy: ${CANDIDATE_NAMES.map((n) => `${n} ${counts[n]}`).join(", ")}\n`);
    io.out(`KV cache compression after the prompt: ${(100 * compression).toFixed(1)}%\n`);
    if (flags.verbose) {
      io.out(`\nrecovery per KV head (${CANDIDATE_NAMES.join(" / ")}):\n`);
      for (const heads of report.layers) {
        for (const h of heads) {
          io.out(`  layer ${h.layer} kv${h.kvHead}: ${CANDIDATE_NAMES.map((n) => h.recovery[n].toFixed(4)).join(" / ")} → ${h.policy}\n`);
        }
      }
    }
  }
  backend.dispose();
}

function budgetedProfile(
  backend: Backend,
  classes: TokenClasses,
  flags: z.infer<typeof schema>,
  promptTokens: number[],
  io: CommandIO,
  color: boolean,
): void {
  const { session } = compressPrompt(backend, classes, { ...flags, policy: "budgeted", sinks: 0 }, promptTokens);
  const report = session.budget!;
  const compression = session.summary().afterPrefill;
  if (flags.json) {
    const { observe, ...settings } = report.settings;
    io.out(
      JSON.stringify({
        policy: "budgeted",
        ...settings,
        ...(observe !== undefined ? { observe } : {}),
        promptTokens,
        backend: backend.name,
        total: report.total,
        floor: report.floor,
        structural: report.structural,
        compression,
        kvBytes: session.kvBytes(),
        layers: report.layers.map((heads, l) => ({ layer: l, kvHeads: heads.map(({ layer: _l, ...h }) => h) })),
      }) + "\n",
    );
    return;
  }
  const o = report.settings.observe;
  io.out(
    `Budgeted profile of a ${report.n}-token prompt, C = ${report.settings.compression}, GQA ${report.settings.gqa}, ` +
      `B = ${report.total} entries, floor ${report.floor}, ${report.structural} structural tokens (first position, ` +
      `special, punctuation)${o !== undefined ? `, recovery over the last ${o} rows` : ""} (backend ${backend.name})\n\n`,
  );
  io.out(renderBudgetGrid(report, color) + "\n\n");
  io.out(`KV cache compression after the prompt: ${(100 * compression).toFixed(1)}%\n`);
  if (flags.verbose) {
    io.out(`\nper KV head: kept / window width / heavy hitters → recovery at profiling\n`);
    for (const heads of report.layers) {
      for (const h of heads) {
        io.out(`  layer ${h.layer} kv${h.kvHead}: ${h.kept} / ${h.window} / ${h.heavy} → ${h.recovery.toFixed(4)}\n`);
      }
    }
  }
}
