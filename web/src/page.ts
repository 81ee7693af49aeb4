/** What every part of the page shares: its elements (`ui`), the run's state, and token lookups. */
import type { DecodeStep } from "fastgen-ts";
import type { FromWorker, GenerateRequest, ModelInfo, ModelSource, ProfileView, TokenInfo } from "./protocol.ts";

export const DEFAULT_PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";

/** The ../shared models the build found (web/vite.config.ts `SHARED_MODELS`). */
declare const __SHARED_MODELS__: readonly string[];

export const BUILTIN_MODELS: Record<string, { file: string; tokenizer?: string; label: string }> = {
  "stories260K.gguf": { file: "stories260K.gguf", label: "stories260K" },
  "babyllama105.bin": { file: "babyllama105.bin", tokenizer: "tok105.bin", label: "babyllama105" },
  // A trained model with head size 32 and GQA 3:1, where this checkout has it (../shared/models).
  ...(__SHARED_MODELS__.includes("stories3M-q80.bin") && __SHARED_MODELS__.includes("tok4096.bin")
    ? { "stories3M-q80.bin": { file: "stories3M-q80.bin", tokenizer: "tok4096.bin", label: "stories3M (int8, ../shared)" } }
    : {}),
};

export const BACKEND_LABELS: Record<string, string> = {
  auto: "auto",
  reference: "reference",
  wasm: "wasm",
  gpu: "gpu.js WebGL2",
};

export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};

export const ui = {
  status: $("run-status"),
  statusText: $("status-text"),
  form: $<HTMLFormElement>("controls"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  chat: $<HTMLInputElement>("chat"),
  model: $<HTMLSelectElement>("model"),
  backend: $<HTMLSelectElement>("backend"),
  policy: $<HTMLSelectElement>("policy"),
  maxTokens: $<HTMLInputElement>("max-tokens"),
  threshold: $<HTMLInputElement>("threshold"),
  thresholdOut: $<HTMLOutputElement>("threshold-out"),
  compression: $<HTMLInputElement>("compression"),
  compressionOut: $<HTMLOutputElement>("compression-out"),
  temperature: $<HTMLInputElement>("temperature"),
  seed: $<HTMLInputElement>("seed"),
  generate: $<HTMLButtonElement>("generate"),
  stop: $<HTMLButtonElement>("stop"),
  file: $<HTMLInputElement>("file"),
  modelInfo: $("model-info"),
  story: $("story"),
  tokenReadout: $("token-readout"),
  grid: $("grid"),
  gridCaption: $("grid-caption"),
  legend: $("legend"),
  attention: $<HTMLCanvasElement>("attention"),
  attentionTitle: $("attention-title"),
  attentionCaption: $("attention-caption"),
  attentionTop: $("attention-top"),
  chartCompression: $<HTMLCanvasElement>("chart-compression"),
  chartBytes: $<HTMLCanvasElement>("chart-bytes"),
  chartsCaption: $("charts-caption"),
  tooltip: $("tooltip"),
  dropOverlay: $("drop-overlay"),
};

// ---------------------------------------------------------------------------------------------
// State

export type RunState = "loading" | "idle" | "generating" | "done" | "error";

interface Run {
  readonly id: number;
  readonly request: GenerateRequest;
  promptTokens: TokenInfo[];
  readonly generated: TokenInfo[];
  /** Decode steps by position. */
  readonly steps: Map<number, DecodeStep>;
  /** [position, compression, full bytes, held bytes] per step. */
  readonly series: [number, number, number, number][];
  maxPositions: number;
  lastStep: DecodeStep | undefined;
  done: (FromWorker & { type: "done" }) | undefined;
  /** When the first token arrived (the live rate in the status line; the final figure is the worker's). */
  firstTokenAt: number;
}

export const state = {
  worker: undefined as Worker | undefined,
  nextId: 1,
  openId: 0,
  profileId: 0,
  model: undefined as ModelInfo | undefined,
  backendRan: "",
  profile: undefined as ProfileView | undefined,
  profileTokens: [] as TokenInfo[],
  run: undefined as Run | undefined,
  runState: "loading" as RunState,
  /** Chosen (layer, KV head). */
  head: { layer: 0, kvHead: 0 },
  /** A token the user points at (position), else the latest step is shown. */
  pinned: undefined as number | undefined,
  dropped: new Map<string, ModelSource>(),
};

export const params = new URLSearchParams(location.search);

// ---------------------------------------------------------------------------------------------
// Tokens of the current run

export function visible(t: TokenInfo): string {
  if (t.text !== "") return t.text;
  return t.special ? t.piece.replace(/^<0x0A>$/, "\n") : "";
}

export function tokenAt(position: number): TokenInfo | undefined {
  const run = state.run;
  const list = run ? [...run.promptTokens, ...run.generated] : state.profileTokens;
  return list[position];
}
