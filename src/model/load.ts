/**
 * Finding and loading a model file: GGUF (detected by its magic) or a llama2.c checkpoint
 * with its tokenizer file. Default resolution (README "Models"):
 *   --model PATH  >  $FASTGEN_MODEL  >  stories260K.gguf in each folder of $FASTGEN_MODELS_PATH,
 *   ./models, <repo>/models, <repo>/../shared/models, ../shared/models.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { InputError, ModelFileError, readProblem } from "../errors.ts";
import { packageRoot } from "../package-root.ts";
import { parseLlama2c, parseLlama2cTokenizer } from "./llama2c.ts";
import { isLlama2cQ80, parseLlama2cQ80 } from "./llama2c-q80.ts";
import type { LlamaModel } from "./types.ts";
import { isGgufBytes, loadModelFromBytes } from "./from-bytes.ts";
import { type ByteSource, parseGguf } from "./gguf.ts";
import { llamaFromGguf } from "./gguf-llama.ts";

export const DEFAULT_MODEL_FILE = "stories260K.gguf";
export const MODEL_SOURCE_HINT =
  "stories260K.gguf is published on the Hugging Face hub in the repository ggml-org/models, path tinyllamas/stories260K.gguf";
/** Files larger than this are refused before reading (they would not fit the float32 weight limit anyway). */
const MAX_FILE_BYTES = 8 * 1024 ** 3;

/** The package's root folder, from the sources and from the compiled dist/ alike (see package-root.ts). */
export const repoRoot = packageRoot;

/** Folders searched for the default model, in order. */
export function modelSearchPath(env: Record<string, string | undefined> = process.env): string[] {
  const fromEnv = (env.FASTGEN_MODELS_PATH ?? "").split(delimiter).filter((p) => p.length > 0);
  return [
    ...fromEnv,
    resolve("models"),
    join(repoRoot, "models"),
    join(repoRoot, "..", "shared", "models"),
    resolve("..", "shared", "models"),
  ];
}

/** Where the model comes from: an explicit path, $FASTGEN_MODEL, or the search path. */
export function resolveModelPath(explicit?: string, env: Record<string, string | undefined> = process.env): string {
  const given = explicit ?? env.FASTGEN_MODEL;
  if (given !== undefined && given !== "") {
    if (!existsSync(given)) throw new InputError(`model file not found: ${given}`);
    return given;
  }
  const searched = modelSearchPath(env);
  for (const dir of searched) {
    const candidate = join(dir, DEFAULT_MODEL_FILE);
    if (existsSync(candidate)) return candidate;
  }
  throw new InputError(
    `no model given and ${DEFAULT_MODEL_FILE} not found in: ${[...new Set(searched)].join(", ")}.\n` +
      `Pass --model PATH, set FASTGEN_MODEL, or put the file in ./models. ${MODEL_SOURCE_HINT}.`,
  );
}

function checkedSize(path: string): number {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ModelFileError(path, "not a regular file");
    size = st.size;
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(path, `cannot read: ${readProblem(e)}`);
  }
  if (size > MAX_FILE_BYTES) throw new ModelFileError(path, `${size} bytes is larger than the ${MAX_FILE_BYTES}-byte limit`);
  return size;
}

export function readModelBytes(path: string): Uint8Array {
  checkedSize(path);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    // E.g. ERR_FS_FILE_TOO_LARGE: Node reads at most 2 GiB into one buffer, under our own size limit.
    throw new ModelFileError(path, `cannot read: ${readProblem(e)}`);
  }
}

export interface LoadOptions {
  /** llama2.c tokenizer file; default: tok<vocab>.bin or tokenizer.bin next to the checkpoint. */
  tokenizerPath?: string;
}

// Loading from bytes needs no file system (the browser entry uses it alone).
export { loadModelFromBytes };

/**
 * A GGUF file read on demand: the header once, each tensor when it is asked for (never the whole
 * file into one buffer, so a model's weights are in memory once — in the backend — and files over
 * Node's 2 GiB buffer limit open).
 */
export function fileSource(path: string, size: number): ByteSource {
  return {
    size,
    resident: false,
    read(offset, length) {
      const out = new Uint8Array(length);
      let fd: number | undefined;
      try {
        fd = openSync(path, "r");
        for (let done = 0; done < length; ) {
          const n = readSync(fd, out, done, length - done, offset + done);
          if (n === 0) throw new Error(`the file ended at ${offset + done} bytes (it changed since it was opened?)`);
          done += n;
        }
      } catch (e) {
        throw new ModelFileError(path, `cannot read: ${readProblem(e)}`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      return out;
    },
  };
}

/** Loads the model at `path` (see {@link resolveModelPath}). */
export function loadModel(path: string, options: LoadOptions = {}): LlamaModel {
  const size = checkedSize(path);
  const source = fileSource(path, size);
  if (isGgufBytes(source.read(0, Math.min(4, size)))) {
    if (options.tokenizerPath) throw new InputError("--tokenizer is for llama2.c checkpoints; a GGUF file carries its own tokenizer");
    return llamaFromGguf(parseGguf(source, path));
  }
  const bytes = readModelBytes(path);
  const model = isLlama2cQ80(bytes) ? parseLlama2cQ80(bytes, path) : parseLlama2c(bytes, path);
  const tokPath = options.tokenizerPath ?? findLlama2cTokenizer(path, model.config.vocabSize);
  if (!tokPath) return model;
  const vocab = parseLlama2cTokenizer(readModelBytes(tokPath), tokPath, model.config.vocabSize);
  return { ...model, vocab };
}

function findLlama2cTokenizer(modelPath: string, vocabSize: number): string | undefined {
  const dir = dirname(modelPath);
  return [`tok${vocabSize}.bin`, "tokenizer.bin"]
    .map((f) => join(dir, f))
    .find((p) => existsSync(p) && basename(p) !== basename(modelPath));
}
