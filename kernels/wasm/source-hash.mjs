/**
 * The fingerprint of the wasm kernels' sources: sha256 over the compiler flags, the pinned
 * AssemblyScript version and every file under kernels/wasm/assembly (sorted by name). The build
 * writes it beside the .wasm; test/wasm/build.test.ts recomputes it, so a stale module fails a test.
 * Plain JavaScript so that `npm run build:wasm` needs nothing but node.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const assemblyDir = fileURLToPath(new URL("./assembly/", import.meta.url));
export const buildDir = fileURLToPath(new URL("./build/", import.meta.url));
export const wasmUrl = new URL("./build/kernels.wasm", import.meta.url);
export const hashUrl = new URL("./build/kernels.sha256", import.meta.url);

/**
 * asc flags: -O3, SIMD (f32x4 kernels), a stub runtime (the host manages memory; nothing here
 * allocates), memory imported from the host and shared, so worker threads can run over the same
 * weights and the host's typed-array views stay valid when the memory grows (a shared buffer is
 * never detached). 65536 pages = 4 GiB, wasm32's whole address space.
 */
export const ascFlags = [
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--noAssert",
  "--runtime",
  "stub",
  "--enable",
  "simd",
  "--enable",
  "threads",
  "--importMemory",
  "--sharedMemory",
  "--maximumMemory",
  "65536",
];

export function sourceHash() {
  const h = createHash("sha256");
  h.update(JSON.stringify(ascFlags));
  const pkg = JSON.parse(readFileSync(new URL("../../node_modules/assemblyscript/package.json", import.meta.url), "utf8"));
  h.update(`assemblyscript ${pkg.version}\n`);
  for (const name of readdirSync(assemblyDir).sort()) {
    h.update(`${name}\n`);
    h.update(readFileSync(assemblyDir + name));
  }
  return h.digest("hex");
}
