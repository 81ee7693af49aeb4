/**
 * Facts about known checkpoints that their files do not state correctly.
 * stories260K's GGUF says context_length 2048, but it was trained on 512 tokens
 * (its llama2.c header says 512; spec §12.14). We recognise it by its shape.
 */
import type { LlamaConfig } from "./types.ts";

type Shape = Pick<LlamaConfig, "dim" | "hiddenDim" | "nLayers" | "nHeads" | "nKvHeads" | "vocabSize">;

const KNOWN: readonly (Shape & { name: string; trainedContext: number })[] = [
  { name: "stories260K", dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, trainedContext: 512 },
];

export function knownTrainedContext(s: Shape): number | undefined {
  return KNOWN.find(
    (k) =>
      k.dim === s.dim &&
      k.hiddenDim === s.hiddenDim &&
      k.nLayers === s.nLayers &&
      k.nHeads === s.nHeads &&
      k.nKvHeads === s.nKvHeads &&
      k.vocabSize === s.vocabSize,
  )?.trainedContext;
}
