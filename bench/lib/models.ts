/** The models benchmarks run: stories260K (real weights) and seeded synthetic shapes. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type GgufTensorType, llamaToGguf } from "../../src/model/gguf-writer.ts";
import { loadModel, resolveModelPath } from "../../src/model/load.ts";
import { SYNTH_SHAPES, synthModel, type SynthShapeName } from "../../src/model/synth.ts";
import { type FamilyName, synthLike } from "../../src/model/families.ts";
import type { LlamaModel } from "../../src/model/types.ts";

export type BenchShape = "stories260K" | SynthShapeName;

export function benchModel(shape: BenchShape): LlamaModel {
  return shape === "stories260K" ? loadModel(resolveModelPath()) : synthModel(SYNTH_SHAPES[shape], 1);
}

/** Tokens to feed: a fixed pseudo-random sequence that starts with BOS. */
export function benchTokens(model: LlamaModel, count: number): number[] {
  const V = model.config.vocabSize;
  return Array.from({ length: count }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (V - 3))));
}

/**
 * A seeded synthetic shape as a GGUF file of `type`, written once under `<dir>/models` (the peer
 * reads files): the path.
 */
export function synthGguf(dir: string, shape: SynthShapeName, type: GgufTensorType): string {
  return writtenOnce(dir, `synth-${shape}-${type.toLowerCase()}.gguf`, () =>
    llamaToGguf(synthModel(SYNTH_SHAPES[shape], 1), { tensorType: type }),
  );
}

/** A family-shaped GGUF (`synth --like`, seed 1, the family's synthetic vocabulary) of `type`, written once the same way. */
export function likeGguf(dir: string, family: FamilyName, type: string): string {
  return writtenOnce(dir, `like-${family}-${type.toLowerCase()}.gguf`, () => synthLike(family, { type, seed: 1 }));
}

function writtenOnce(dir: string, name: string, make: () => Uint8Array): string {
  const path = join(dir, "models", name);
  if (!existsSync(path)) {
    mkdirSync(join(dir, "models"), { recursive: true });
    writeFileSync(path, make());
  }
  return path;
}
