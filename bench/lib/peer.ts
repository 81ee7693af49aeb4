/** The llama.cpp peer (node-llama-cpp 3.21.1, installed apart in bench/peer): loaded when present. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const peerDir = resolve(import.meta.dirname ?? "bench/lib", "..", "peer");

/** bench/peer/llama.mjs as `T`, or the reason it cannot be had (the benchmark then notes it and runs ours alone). */
export async function loadPeer<T>(): Promise<T | string> {
  if (!existsSync(join(peerDir, "node_modules", "node-llama-cpp")))
    return "node-llama-cpp is not installed: run `npm run bench:peer-install`";
  try {
    return (await import(pathToFileURL(join(peerDir, "llama.mjs")).href)) as T;
  } catch (e) {
    return `node-llama-cpp failed to load: ${(e as Error).message}`;
  }
}
