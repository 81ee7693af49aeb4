/**
 * The compression methods a user can pick: FastGen (a profiled policy per KV head), budgeted (one
 * KV budget spread over the heads, docs/algorithm.md §10), the baselines of spec §9 (one policy
 * for every head) and the literature's methods of spec §14, all over the same cache machinery.
 */
import { z } from "zod";
import { frequent, full, local, sinks } from "./components/index.ts";
import { LITERATURE_NAMES, type LiteratureName } from "./methods/index.ts";
import { type KvHeadPolicy, unionPolicy } from "./policy.ts";

export const POLICY_NAMES = ["fastgen", "budgeted", "full", "local", "frequent", "h2o", "streaming", ...LITERATURE_NAMES] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
export type BaselineName = Exclude<PolicyName, "fastgen" | "budgeted" | LiteratureName>;

const ratio = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .gt(0, `${what} must be in (0, 1]`)
    .max(1, `${what} must be in (0, 1]`);

export const compressionSettingsSchema = z.object({
  policy: z.enum(POLICY_NAMES, { error: `policy must be one of ${POLICY_NAMES.join(", ")}` }).default("fastgen"),
  /** Recovery threshold T (spec §3 default 0.95). */
  threshold: z
    .number({ error: "threshold must be a number" })
    .min(0, "threshold must be in [0, 1]")
    .max(1, "threshold must be in [0, 1]")
    .default(0.95),
  rLocal: ratio("r-local").default(0.3),
  rFrequent: ratio("r-frequent").default(0.3),
  gqa: z.enum(["min", "mean"], { error: "gqa must be min or mean" }).default("min"),
  /** Attention sinks of `streaming` (spec §9 default 4). */
  sinks: z
    .number()
    .int("sinks must be a whole number")
    .min(0, "sinks must be ≥ 0")
    .max(1 << 20)
    .default(4),
  /** `budgeted` and the literature's methods (spec §14.1): share of KV entries to prune, 0 ≤ C < 1. */
  compression: z
    .number({ error: "compression must be a number" })
    .min(0, "compression must be in [0, 1)")
    .lt(1, "compression must be in [0, 1)")
    .default(0.5),
  /**
   * Recovery over the last W prompt rows only (fastgen and budgeted; absent: every row); the
   * observation window of snapkv, pyramidkv and adakv (absent: 32, spec §14.2).
   */
  observe: z
    .number({ error: "observe must be a number" })
    .int("observe must be a whole number")
    .min(1, "observe must be at least 1")
    .optional(),
});
export type CompressionSettings = z.infer<typeof compressionSettingsSchema>;

/** Methods that profile the prompt's attention. */
export function profiles(policy: PolicyName): policy is "fastgen" | "budgeted" {
  return policy === "fastgen" || policy === "budgeted";
}

/** The one policy a baseline applies to every head (spec §9). */
export const BASELINE_POLICIES: Record<BaselineName, KvHeadPolicy> = {
  full: unionPolicy([full]),
  local: unionPolicy([local]),
  frequent: unionPolicy([frequent]),
  h2o: unionPolicy([frequent, local]),
  streaming: unionPolicy([sinks, local]),
};
