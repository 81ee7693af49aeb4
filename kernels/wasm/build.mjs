/**
 * `npm run build:wasm`: compiles kernels/wasm/assembly/index.ts to kernels/wasm/build/kernels.wasm
 * (SIMD, -O3) and writes the sources' sha256 beside it (source-hash.mjs). The .wasm is a build
 * output, not committed: `npm ci` builds it through the `prepare` script.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import asc from "assemblyscript/asc";
import { ascFlags, assemblyDir, buildDir, hashUrl, sourceHash, wasmUrl } from "./source-hash.mjs";

mkdirSync(buildDir, { recursive: true });
const { error, stderr } = await asc.main([assemblyDir + "index.ts", ...ascFlags, "--outFile", buildDir + "kernels.wasm"], {});
if (error) {
  console.error(stderr.toString());
  console.error(`build:wasm failed: ${error.message}`);
  process.exit(1);
}
writeFileSync(hashUrl, sourceHash() + "\n");
console.log(`build:wasm: ${wasmUrl.pathname}`);
