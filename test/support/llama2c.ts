/** stories260K in llama2.c's format, for the tests that read it (kept apart: deriving it writes a file). */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { writeLlama2c } from "../../src/model/llama2c-writer.ts";
import { loadModel, repoRoot } from "../../src/model/load.ts";
import { modelPath } from "./shared.ts";

/**
 * The llama2.c checkpoint of stories260K: the one next to the GGUF when it is there (../shared has
 * the original), else written once from the GGUF by the project's own writer into a temporary folder
 * keyed by the hash of the GGUF and of the writer's source (the repository stores the weights once), with tok512.bin beside it.
 */
export const llama2cPath = ((): string => {
  const beside = join(dirname(modelPath), "stories260K.bin");
  if (existsSync(beside)) return beside;
  const gguf = readFileSync(modelPath);
  const writer = readFileSync(join(repoRoot, "src", "model", "llama2c-writer.ts"));
  const dir = join(tmpdir(), `fastgen-ts-${createHash("sha256").update(gguf).update(writer).digest("hex").slice(0, 16)}`);
  const path = join(dir, "stories260K.bin");
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    // Test files run in parallel: write under a unique name, then rename into place atomically.
    const part = `${path}.${process.pid}.part`;
    writeFileSync(part, writeLlama2c(loadModel(modelPath)));
    copyFileSync(join(repoRoot, "models", "tok512.bin"), join(dir, `tok512.bin.${process.pid}`));
    renameSync(join(dir, `tok512.bin.${process.pid}`), join(dir, "tok512.bin"));
    renameSync(part, path);
  }
  return path;
})();
