/**
 * Where an evaluation writes, checked before the model is even loaded: an evaluation takes minutes,
 * and a bad `--out` / `--report` / `--json` must not be found only when the results are written.
 * (Kept apart from outputs.ts, which loads the plotting libraries.)
 */
import { checkDistinctPaths, checkOutputFile, checkOutputFolder } from "../output-file.ts";

/** File names (without extension) of the pictures a run may draw in the output folder. */
export const PICTURE_NAMES = ["pareto", "policy-map", "budget-map", "recovery-drift", "attention"] as const;
export type PictureName = (typeof PICTURE_NAMES)[number];

export interface EvalOutputPaths {
  readonly outDir: string;
  readonly reportPath: string;
  readonly jsonPath?: string;
  readonly png: boolean;
}

/** The inputs an output must never overwrite. */
export interface EvalInputPaths {
  readonly promptsPath: string;
  readonly modelPath?: string;
  readonly tokenizerPath?: string;
  readonly notesPath?: string;
}

/** Throws an InputError naming the flag if any output of the run cannot be written. */
export function checkEvalOutputs(o: EvalOutputPaths, inputs: EvalInputPaths): void {
  checkOutputFolder(o.outDir, "--out");
  checkOutputFile(o.reportPath, "--report", true);
  if (o.jsonPath !== undefined) checkOutputFile(o.jsonPath, "--json", true);
  const pictures = PICTURE_NAMES.flatMap((name) => [`${o.outDir}/${name}.svg`, ...(o.png ? [`${o.outDir}/${name}.png`] : [])]);
  checkDistinctPaths(
    [
      { path: o.reportPath, what: "--report" },
      ...(o.jsonPath !== undefined ? [{ path: o.jsonPath, what: "--json" }] : []),
      ...pictures.map((path) => ({ path, what: "a picture of --out" })),
    ],
    [
      { path: inputs.promptsPath, what: "the prompt set (--prompts)" },
      ...(inputs.modelPath !== undefined ? [{ path: inputs.modelPath, what: "the model (--model)" }] : []),
      ...(inputs.tokenizerPath !== undefined ? [{ path: inputs.tokenizerPath, what: "the tokenizer (--tokenizer)" }] : []),
      ...(inputs.notesPath !== undefined ? [{ path: inputs.notesPath, what: "the notes (--notes)" }] : []),
    ],
  );
}
