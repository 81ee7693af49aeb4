/** The candidate policies FastGen tries, in the paper's order (Eq. 2, spec §3). */
import { frequent, full, local, punct, special } from "./components/index.ts";
import { type KvHeadPolicy, unionPolicy } from "./policy.ts";

export const CANDIDATE_NAMES = ["special", "special+punct", "special+punct+frequent", "special+punct+frequent+local", "full"] as const;
export type CandidateName = (typeof CANDIDATE_NAMES)[number];

export const CANDIDATES: readonly KvHeadPolicy[] = [
  unionPolicy([special]),
  unionPolicy([special, punct]),
  unionPolicy([special, punct, frequent]),
  unionPolicy([special, punct, frequent, local]),
  unionPolicy([full]),
];

/** Short labels for the profile grid. */
export const CANDIDATE_LABELS: Record<CandidateName, string> = {
  special: "S",
  "special+punct": "SP",
  "special+punct+frequent": "SPF",
  "special+punct+frequent+local": "SPFL",
  full: "FULL",
};

export function candidateByName(name: CandidateName): KvHeadPolicy {
  return CANDIDATES[CANDIDATE_NAMES.indexOf(name)]!;
}
