/** The literature's methods by name (spec §14); adding one is one file and one line here. */
import { adakv } from "./adakv.ts";
import { knorm } from "./knorm.ts";
import type { LiteratureMethod } from "./method.ts";
import { pyramidkv } from "./pyramidkv.ts";
import { snapkv } from "./snapkv.ts";
import { tova } from "./tova.ts";

export const LITERATURE_NAMES = ["snapkv", "pyramidkv", "adakv", "tova", "knorm"] as const;
export type LiteratureName = (typeof LITERATURE_NAMES)[number];

export const LITERATURE: Record<LiteratureName, LiteratureMethod> = { snapkv, pyramidkv, adakv, tova, knorm };

export function isLiterature(name: string): name is LiteratureName {
  return (LITERATURE_NAMES as readonly string[]).includes(name);
}
