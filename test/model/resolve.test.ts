/**
 * Model path resolution: --model PATH > $FASTGEN_MODEL > $FASTGEN_MODELS_PATH folders > default folders.
 * The file system is faked (existsSync answers from a set), and the environment is a plain object.
 */
import { delimiter, join, resolve } from "node:path";
import { beforeEach, describe, expect, test, vi } from "vitest";

const files = vi.hoisted(() => new Set<string>());
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  return { ...actual, existsSync: (p: string) => files.has(p) };
});

const { InputError, ModelFileError } = await import("../../src/errors.ts");
const { DEFAULT_MODEL_FILE, modelSearchPath, repoRoot, resolveModelPath } = await import("../../src/model/load.ts");

const DEFAULTS = [resolve("models"), join(repoRoot, "models"), join(repoRoot, "..", "shared", "models"), resolve("..", "shared", "models")];
const inDir = (dir: string) => join(dir, DEFAULT_MODEL_FILE);
const envDirs = ["/env/a", "/env/b"];
const env = { FASTGEN_MODELS_PATH: envDirs.join(delimiter) };

beforeEach(() => files.clear());

describe("resolveModelPath", () => {
  test("the default folders are ./models, <repo>/models, <repo>/../shared/models, ../shared/models", () => {
    expect(modelSearchPath({})).toEqual(DEFAULTS);
    expect(modelSearchPath({ FASTGEN_MODELS_PATH: `/x${delimiter}${delimiter}/y` })).toEqual(["/x", "/y", ...DEFAULTS]);
  });

  test("precedence: explicit path > FASTGEN_MODEL > FASTGEN_MODELS_PATH > defaults", () => {
    const fullEnv = { ...env, FASTGEN_MODEL: "/pinned/model.gguf" };
    for (const f of ["/given.gguf", "/pinned/model.gguf", inDir("/env/b"), inDir(DEFAULTS[3]!)]) files.add(f);
    expect(resolveModelPath("/given.gguf", fullEnv)).toBe("/given.gguf");
    expect(resolveModelPath(undefined, fullEnv)).toBe("/pinned/model.gguf");
    expect(resolveModelPath(undefined, env)).toBe(inDir("/env/b"));
    expect(resolveModelPath(undefined, {})).toBe(inDir(DEFAULTS[3]!));
  });

  test("folders are searched in order: the first one holding the file wins", () => {
    files.add(inDir("/env/a")).add(inDir("/env/b"));
    expect(resolveModelPath(undefined, env)).toBe(inDir("/env/a"));
    files.clear();
    files.add(inDir(DEFAULTS[1]!)).add(inDir(DEFAULTS[2]!));
    expect(resolveModelPath(undefined, env)).toBe(inDir(DEFAULTS[1]!));
  });

  test("an explicit or FASTGEN_MODEL path that does not exist is an error, not a fallback", () => {
    files.add(inDir(DEFAULTS[0]!));
    expect(() => resolveModelPath("/missing.gguf", {})).toThrow(new InputError("model file not found: /missing.gguf"));
    expect(() => resolveModelPath(undefined, { FASTGEN_MODEL: "/gone.gguf" })).toThrow("model file not found: /gone.gguf");
    expect(resolveModelPath(undefined, { FASTGEN_MODEL: "" })).toBe(inDir(DEFAULTS[0]!)); // empty = unset
  });

  test("when nothing is found the error names every searched folder and where to get the model", () => {
    let err: unknown;
    try {
      resolveModelPath(undefined, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err).not.toBeInstanceOf(ModelFileError);
    const message = (err as Error).message;
    for (const dir of [...envDirs, ...DEFAULTS]) expect(message).toContain(dir);
    for (const hint of [
      `${DEFAULT_MODEL_FILE} not found`,
      "--model PATH",
      "FASTGEN_MODEL",
      "./models",
      "ggml-org/models",
      "tinyllamas/stories260K.gguf",
    ]) {
      expect(message).toContain(hint);
    }
  });
});
