/**
 * fastgen-ts: FastGen adaptive KV-cache compression (Ge et al., ICLR 2024) in TypeScript.
 *
 * Start with {@link openFastGen} (api.ts). The lower-level pieces are exported too: model
 * loading, the tokenizer, backends, the cache interface and caches, policies, the profiler,
 * generation and teacher forcing.
 * @module
 */

// Opening a model from a file (the browser entry opens one from bytes instead).
export { openFastGen } from "./api/open.ts";
export type { OpenOptions } from "./api/open.ts";
export { DEFAULT_MODEL_FILE, loadModel, modelSearchPath, resolveModelPath } from "./model/load.ts";

// Everything else: the same in every entry.
export * from "./api/public.ts";
