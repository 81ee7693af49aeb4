/**
 * The FastGen page (web/): `npm run web:build` builds it into web/dist, `npm run web` serves that
 * build with the headers that make the page cross-origin isolated (SharedArrayBuffer, which the
 * wasm backend's shared memory needs). The embedded models are copied next to index.html.
 */
import { copyFileSync, createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");
/** The models the page offers without a download (models/README.md: provenance and licences). */
export const PAGE_MODELS = ["stories260K.gguf", "babyllama105.bin", "tok105.bin", "LICENSE-stories260K", "LICENSE-babyllama105"];

/**
 * Models the page offers when this checkout has them in ../shared/models (stories3M: no licence
 * statement, so never in the repository). They are served and copied into the local build only.
 */
const sharedDir = resolve(repo, "../shared/models");
export const SHARED_MODELS = ["stories3M-q80.bin", "tok4096.bin"].filter((f) => existsSync(join(sharedDir, f)));

const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Serves models/ under /models/ in dev and copies the page's models into the build. */
function models(): Plugin {
  let outDir = "";
  return {
    name: "fastgen-models",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/models\/([^/?]+)/.exec(req.url ?? "");
        if (!m || !(PAGE_MODELS.includes(m[1]!) || SHARED_MODELS.includes(m[1]!))) return next();
        const file = SHARED_MODELS.includes(m[1]!) ? join(sharedDir, m[1]!) : join(repo, "models", m[1]!);
        res.setHeader("Content-Type", "application/octet-stream");
        res.setHeader("Content-Length", String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    writeBundle() {
      mkdirSync(join(outDir, "models"), { recursive: true });
      for (const f of PAGE_MODELS) {
        const src = join(repo, "models", f);
        if (existsSync(src)) copyFileSync(src, join(outDir, "models", f));
      }
      for (const f of SHARED_MODELS) copyFileSync(join(sharedDir, f), join(outDir, "models", f));
    },
  };
}

// Node built-ins that modules on the backends' paths import for Node-only work (finding the gl
// addon, reading the wasm kernels from disk, the wasm backend's worker threads): the page gets
// browser versions (web/shims/).
const shims = {
  "node:fs": resolve(here, "shims/node-fs.ts"),
  "node:url": resolve(here, "shims/node-url.ts"),
  "node:module": resolve(here, "shims/node-module.ts"),
  "node:os": resolve(here, "shims/node-os.ts"),
  "node:worker_threads": resolve(here, "shims/node-worker-threads.ts"),
};

export default defineConfig({
  root: here,
  base: "./",
  resolve: {
    alias: [
      // The page uses the library's public API, through its browser entry.
      { find: /^fastgen-ts$/, replacement: resolve(repo, "src/browser.ts") },
      ...Object.entries(shims).map(([find, replacement]) => ({ find: new RegExp(`^${find}$`), replacement })),
    ],
  },
  define: { __SHARED_MODELS__: JSON.stringify(SHARED_MODELS) },
  worker: { format: "es" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // gpu.js compiles kernel bodies from their source text (Function.prototype.toString): a minifier
    // that rewrites them (renamed locals, merged declarations, `x*x` folded) breaks its type inference.
    minify: false,
    chunkSizeWarningLimit: 2000,
  },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  plugins: [models()],
});
