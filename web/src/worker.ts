/**
 * The model's thread: opens a model with fastgen-ts's public API (the browser entry), profiles
 * prompts and generates, posting every token and every decode step's attention to the page.
 */
import { CANDIDATE_NAMES, type CacheFootprint, encodeChat, type FastGen, POLICY_NAMES, openFastGen, weightCount } from "fastgen-ts";
import {
  type FromWorker,
  type ModelInfo,
  type ModelSource,
  packStep,
  type ProfileView,
  type TokenInfo,
  type ToWorker,
} from "./protocol.ts";

let fg: FastGen | undefined;
let modelName = "";
let stopRequested = false;
let busy: Promise<void> = Promise.resolve();
let latestProfile = 0;

const post = (m: FromWorker): void => (self as unknown as Worker).postMessage(m);

/** A macrotask boundary without timer clamping, so "stop" and "profile" messages are seen between tokens. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });

async function fetchBytes(file: string): Promise<Uint8Array> {
  // The worker runs from assets/ (build) or src/ (dev); the models sit in models/ beside index.html.
  const res = await fetch(new URL(`../models/${file}`, self.location.href));
  if (!res.ok) throw new Error(`models/${file}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** llama2.c checkpoints name their vocabulary size in the header (7th int32; negative for an unshared classifier). */
function llama2cVocabSize(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < 28 || (bytes[0] === 0x47 && bytes[1] === 0x47 && bytes[2] === 0x55 && bytes[3] === 0x46)) return undefined;
  return Math.abs(new DataView(bytes.buffer, bytes.byteOffset, 28).getInt32(20, true));
}

async function open(source: ModelSource, backend: ToWorker & { type: "open" }): Promise<FastGen> {
  let bytes: Uint8Array;
  let tokenizer: Uint8Array | undefined;
  let name: string;
  if (source.kind === "builtin") {
    name = source.file;
    bytes = await fetchBytes(source.file);
    if (source.tokenizer) tokenizer = await fetchBytes(source.tokenizer);
  } else {
    name = source.name;
    bytes = source.bytes;
    tokenizer = source.tokenizer;
  }
  if (!tokenizer) {
    // A dropped llama2.c checkpoint without its tokenizer: the page's own tok<vocab>.bin, if it has one.
    const vocab = llama2cVocabSize(bytes);
    if (vocab !== undefined) tokenizer = await fetchBytes(`tok${vocab}.bin`).catch(() => undefined);
  }
  fg?.dispose();
  fg = undefined;
  modelName = name;
  // The wasm backend on every core the browser reports, whatever the model's size: the page shows
  // the threaded path (the library's own default keeps small models on one thread).
  return openFastGen({ model: bytes, tokenizer, name, backend: backend.backend, threads: Math.max(1, navigator.hardwareConcurrency || 1) });
}

function modelInfo(f: FastGen): ModelInfo {
  const c = f.model.config;
  // Counted from the shape: reading a GGUF model's float32 matrices would dequantize them all.
  const p = f.model.packed;
  const tied = p ? p.output === p.tokenEmbedding : f.model.weights.output === f.model.weights.tokenEmbedding;
  const parameters = weightCount(c, tied);
  return {
    name: modelName,
    format: f.model.source.format,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    nKvHeads: c.nKvHeads,
    headDim: c.headDim,
    dim: c.dim,
    vocabSize: c.vocabSize,
    contextLength: c.contextLength,
    parameters,
    chatTemplate: f.tokenizer.vocab.chatTemplate !== undefined,
  };
}

function tokenInfo(f: FastGen, id: number, position: number, text: string): TokenInfo {
  return {
    id,
    position,
    piece: f.tokenizer.vocab.pieces[id] ?? `<${id}>`,
    text,
    special: f.classes.special[id] === 1,
    punct: f.classes.punct[id] === 1,
  };
}

/** The prompt's tokens: as text, or as a user message through the file's chat template. */
function promptTokensOf(f: FastGen, prompt: string, chat: boolean): number[] {
  return chat ? encodeChat(f.tokenizer, [{ role: "user", content: prompt }]) : f.tokenizer.promptTokens(prompt);
}

function promptInfo(f: FastGen, tokens: readonly number[]): TokenInfo[] {
  const stream = f.tokenizer.stream();
  return tokens.map((t, i) => tokenInfo(f, t, i, stream.push(t)));
}

function profile(f: FastGen, prompt: string, tokens: readonly number[], threshold: number): ProfileView {
  const t0 = performance.now();
  const report = f.profile(tokens, { threshold });
  return {
    prompt,
    threshold,
    n: report.n,
    window: report.sizes.window,
    frequentK: report.sizes.frequentK,
    candidates: CANDIDATE_NAMES,
    layers: report.layers.map((heads) =>
      heads.map((h) => ({
        layer: h.layer,
        kvHead: h.kvHead,
        policy: h.policy,
        recovery: h.recovery,
        queryHeads: h.queryHeads.map((q) => ({ head: q.head, recovery: q.recovery })),
      })),
    ),
    ms: performance.now() - t0,
  };
}

async function generate(f: FastGen, m: ToWorker & { type: "generate" }): Promise<void> {
  stopRequested = false;
  const ids = promptTokensOf(f, m.prompt, m.chat);
  const promptTokens = promptInfo(f, ids);
  post({ type: "profiled", id: m.id, profile: profile(f, m.prompt, ids, m.threshold), promptTokens });
  post({
    type: "started",
    id: m.id,
    promptTokens,
    maxPositions: Math.min(f.model.config.contextLength, promptTokens.length + m.maxTokens),
  });
  const tokens: number[] = [];
  let footprint: CacheFootprint | undefined;
  const started = performance.now();
  let lastYield = started;
  for await (const piece of f.generate(ids, {
    policy: m.policy,
    threshold: m.threshold,
    compression: m.compression,
    temperature: m.temperature,
    topP: m.topP,
    seed: m.seed,
    maxTokens: m.maxTokens,
    onStep: !m.watch
      ? undefined
      : (step) => {
          footprint = step.footprint;
          const { packed, transfer } = packStep(step);
          (self as unknown as Worker).postMessage({ type: "step", id: m.id, step: packed } satisfies FromWorker, transfer);
        },
  })) {
    tokens.push(piece.token);
    post({ type: "token", id: m.id, token: tokenInfo(f, piece.token, piece.position, piece.text) });
    // Give "stop" (and queued requests) a chance every few milliseconds, not after every token:
    // a task boundary per token would cost more than a small model's whole decode step.
    if (performance.now() - lastYield > 25) {
      await nextTask();
      lastYield = performance.now();
      if (stopRequested) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = f.stats;
  post({
    type: "done",
    id: m.id,
    stopped: stopRequested,
    text: f.tokenizer.decode([...promptTokens.map((t) => t.id), ...tokens]),
    tokens,
    promptTokens: promptTokens.map((t) => t.id),
    seconds,
    tokensPerSecond: tokens.length / seconds,
    footprint,
    compression: stats?.compression,
    kvBytes: stats?.kvBytes,
    policies: stats?.policies,
  });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === "stop") {
    stopRequested = true;
    return;
  }
  // The slider sends a profile request per step it moves: only the newest one still waiting runs.
  if (m.type === "profile") latestProfile = m.id;
  // One request at a time, in order (a profile sent while generating runs after it).
  busy = busy.then(async () => {
    if (m.type === "profile" && m.id !== latestProfile) return;
    try {
      if (m.type === "open") {
        const t0 = performance.now();
        const f = await open(m.source, m);
        fg = f;
        post({ type: "opened", id: m.id, backend: f.backend.name, model: modelInfo(f), ms: performance.now() - t0, methods: POLICY_NAMES });
        return;
      }
      if (!fg) throw new Error("no model is open");
      if (m.type === "profile") {
        const ids = promptTokensOf(fg, m.prompt, m.chat);
        post({ type: "profiled", id: m.id, profile: profile(fg, m.prompt, ids, m.threshold), promptTokens: promptInfo(fg, ids) });
      } else await generate(fg, m);
    } catch (err) {
      post({ type: "error", id: m.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
};
