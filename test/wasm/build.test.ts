/**
 * The compiled kernels are a build output (kernels/wasm/build/, not committed; `npm ci` builds them
 * through `prepare`). This fails when they are missing or stale: the build wrote the sha256 of the
 * sources and flags beside the .wasm, and it must equal the hash of the sources now.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { kernelsWasmUrl, wasmFeatures } from "../../kernels/wasm/runtime.ts";
import { hashUrl, sourceHash, wasmUrl } from "../../kernels/wasm/source-hash.mjs";

it("kernels.wasm is built from the current sources (else: npm run build:wasm)", () => {
  expect(fileURLToPath(kernelsWasmUrl)).toBe(fileURLToPath(wasmUrl));
  expect(existsSync(wasmUrl), "kernels/wasm/build/kernels.wasm is missing: run npm run build:wasm").toBe(true);
  expect(readFileSync(hashUrl, "utf8").trim(), "kernels.wasm is stale: run npm run build:wasm").toBe(sourceHash());
});

it("the module imports one memory (the host's shared memory) and exports every kernel", () => {
  const WA = (globalThis as unknown as { WebAssembly: WasmReflection }).WebAssembly;
  const module = new WA.Module(readFileSync(wasmUrl));
  expect(WA.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
  const names = WA.Module.exports(module).map((e) => e.name);
  for (const kernel of [
    "matvecF32",
    "matvecF16",
    "matvecQ8",
    "matmmF32",
    "matmmF16",
    "matmmQ8",
    "matmmSimpleF32",
    "matmmSimpleF16",
    "matmmSimpleQ8",
    "matmulPacked",
    "matmulPackedQ8",
    "dequantRow",
    "rmsnorm",
    "rope",
    "ropeQK",
    "swiglu",
    "softmax",
    "attend",
    "attendSimple",
  ]) {
    expect(names).toContain(kernel);
  }
});

it("wasmFeatures: SIMD128 is there (the kernels need it); relaxed SIMD is probed, Node 20 lacking it without a flag", () => {
  const f = wasmFeatures();
  expect(f.simd128).toBe(true);
  expect(f.kernels).toBe("simd128");
  const node = Number(process.versions.node.split(".")[0]);
  const flagged = process.execArgv.some((a) => a.includes("relaxed-simd"));
  if (node === 20 && !flagged && !("Deno" in globalThis) && !("Bun" in globalThis)) expect(f.relaxedSimd).toBe(false);
  else expect(typeof f.relaxedSimd).toBe("boolean");
});

/** WebAssembly's module reflection (the project's lib settings carry no WebAssembly types). */
interface WasmReflection {
  Module: {
    new (bytes: Uint8Array): object;
    imports(m: object): { module: string; name: string; kind: string }[];
    exports(m: object): { name: string; kind: string }[];
  };
}
