export { frequent, markTopK, topK } from "./frequent.ts";
export { full } from "./full.ts";
export { local } from "./local.ts";
export { punct } from "./punct.ts";
export { sinks } from "./sinks.ts";
export { special } from "./special.ts";
