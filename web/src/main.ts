/**
 * The page: controls, the story as token cells, FastGen's policy grid, the chosen head's attention
 * and the cache over time. The model runs in a Web Worker (worker.ts) through fastgen-ts's public
 * API; this thread only draws what the worker reports.
 */
import { BACKEND_NAMES, type BackendName, POLICY_NAMES, type PolicyName } from "fastgen-ts";
import { type FromWorker, type GenerateRequest, type ModelInfo, type ModelSource, type ToWorker, unpackStep } from "./protocol.ts";
import { BACKEND_LABELS, BUILTIN_MODELS, DEFAULT_PROMPT, params, type RunState, state, ui } from "./page.ts";
import { appendToken, renderPromptOnly, renderStory } from "./story.ts";
import { renderGrid, renderLegend } from "./grid.ts";
import { scheduleDraw } from "./draw.ts";

function send(m: ToWorker): void {
  state.worker!.postMessage(m);
}

function startWorker(): void {
  state.worker?.terminate();
  const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  w.onerror = (e) => setStatus("error", `The worker failed: ${e.message}`);
  state.worker = w;
}

function onWorker(m: FromWorker): void {
  switch (m.type) {
    case "opened":
      if (m.id !== state.openId) return;
      state.model = m.model;
      state.backendRan = m.backend;
      ui.status.dataset.backend = m.backend;
      showModelInfo(m.model, m.ms);
      setStatus("idle", `Ready: ${m.model.name} on ${m.backend}`);
      requestProfile();
      if (params.get("autostart") !== "0" && !autostarted) {
        autostarted = true;
        startGenerate();
      }
      return;
    case "profiled":
      if (m.id < state.profileId && !(state.run && m.id === state.run.id)) return;
      state.profile = m.profile;
      state.profileTokens = [...m.promptTokens];
      if (!state.run || state.runState !== "generating") renderPromptOnly();
      renderGrid();
      return;
    case "started": {
      const run = state.run;
      if (!run || run.id !== m.id) return;
      run.promptTokens = [...m.promptTokens];
      run.maxPositions = m.maxPositions;
      renderStory();
      return;
    }
    case "token": {
      const run = state.run;
      if (!run || run.id !== m.id) return;
      run.generated.push(m.token);
      appendToken(m.token, false);
      updateProgress();
      return;
    }
    case "step": {
      const run = state.run;
      if (!run || run.id !== m.id) return;
      const step = unpackStep(m.step);
      run.steps.set(step.position, step);
      run.lastStep = step;
      const f = step.footprint;
      run.series.push([step.position, f.compression, f.fullBytes, f.heldBytes]);
      scheduleDraw();
      return;
    }
    case "done": {
      const run = state.run;
      if (!run || run.id !== m.id) return;
      run.done = m;
      ui.story.dataset.text = m.text;
      ui.story.dataset.tokens = m.tokens.join(",");
      ui.status.dataset.tps = m.tokensPerSecond.toFixed(1);
      const c = m.compression
        ? `, KV compression ${(100 * m.compression.final).toFixed(1)}% at the end (mean ${(100 * m.compression.mean).toFixed(1)}%)`
        : "";
      setStatus(
        "done",
        `${m.stopped ? "Stopped" : "Done"}: ${m.tokens.length} tokens in ${m.seconds.toFixed(2)} s, ` +
          `${m.tokensPerSecond.toFixed(1)} tok/s on ${state.backendRan}${c}`,
      );
      scheduleDraw();
      return;
    }
    case "error":
      setStatus("error", m.message);
      return;
  }
}

let autostarted = false;

function openModel(): void {
  const key = ui.model.value;
  const builtin = BUILTIN_MODELS[key];
  const source: ModelSource | undefined = builtin
    ? { kind: "builtin", file: builtin.file, tokenizer: builtin.tokenizer }
    : state.dropped.get(key);
  if (!source) return;
  if (state.runState === "generating") send({ type: "stop" });
  state.openId = state.nextId++;
  state.profile = undefined;
  setStatus("loading", `Loading ${key} on ${ui.backend.value}…`);
  send({ type: "open", id: state.openId, source, backend: ui.backend.value as BackendName });
}

/** Whether the prompt goes through the chat template: asked for, and the open model has one. */
const chatOn = () => ui.chat.checked && !ui.chat.disabled;

function requestProfile(): void {
  if (!state.model) return;
  state.profileId = state.nextId++;
  send({ type: "profile", id: state.profileId, prompt: ui.prompt.value, threshold: Number(ui.threshold.value), chat: chatOn() });
}

function readRequest(): GenerateRequest {
  const num = (el: HTMLInputElement, fallback: number) => (Number.isFinite(el.valueAsNumber) ? el.valueAsNumber : fallback);
  return {
    prompt: ui.prompt.value,
    policy: ui.policy.value as PolicyName,
    threshold: Number(ui.threshold.value),
    compression: Number(ui.compression.value),
    temperature: num(ui.temperature, 0),
    topP: 0.9,
    seed: num(ui.seed, 42),
    maxTokens: Math.max(1, Math.round(num(ui.maxTokens, 256))),
    watch: params.get("watch") !== "0",
    chat: chatOn(),
  };
}

function startGenerate(): void {
  if (!state.model || state.runState === "generating" || state.runState === "loading") return;
  const request = readRequest();
  const n = state.profile?.prompt === request.prompt ? state.profile.n : undefined;
  if (n !== undefined && n + request.maxTokens - 1 > state.model.contextLength) {
    // As the CLI: the last generated token is not fed back, so n + maxTokens - 1 positions run.
    setStatus(
      "error",
      `The prompt's ${n} tokens and ${request.maxTokens} new tokens exceed ${state.model.name}'s context of ` +
        `${state.model.contextLength}: ask for at most ${state.model.contextLength - n + 1}.`,
    );
    ui.maxTokens.focus();
    return;
  }
  const id = state.nextId++;
  state.run = {
    id,
    request,
    promptTokens: [],
    generated: [],
    steps: new Map(),
    series: [],
    maxPositions: 1,
    lastStep: undefined,
    done: undefined,
    firstTokenAt: 0,
  };
  state.pinned = undefined;
  // The previous story goes at once; the prompt's tokens stay until the worker sends them again.
  if (state.profile?.prompt === request.prompt) renderPromptOnly();
  else ui.story.replaceChildren();
  ui.story.dataset.text = "";
  ui.story.dataset.tokens = "";
  delete ui.status.dataset.tps;
  setStatus("generating", `Generating with ${request.policy} on ${state.backendRan}…`);
  send({ type: "generate", id, ...request });
}

// ---------------------------------------------------------------------------------------------
// Status, model info

function setStatus(s: RunState, text: string): void {
  state.runState = s;
  ui.status.dataset.state = s;
  ui.statusText.textContent = text;
  ui.generate.disabled = s === "generating" || s === "loading";
  ui.stop.disabled = s !== "generating";
}

function updateProgress(): void {
  const run = state.run!;
  const now = performance.now();
  if (run.generated.length === 1) run.firstTokenAt = now;
  const rate = run.generated.length > 1 ? ((run.generated.length - 1) * 1000) / (now - run.firstTokenAt) : undefined;
  ui.statusText.textContent =
    `Generating with ${run.request.policy} on ${state.backendRan}: ${run.generated.length} / ${run.request.maxTokens} tokens` +
    (rate !== undefined ? ` · ${rate.toFixed(rate < 100 ? 1 : 0)} tok/s` : "");
}

function showModelInfo(m: ModelInfo, ms: number): void {
  const params = m.parameters >= 1e6 ? `${(m.parameters / 1e6).toFixed(1)}M` : `${(m.parameters / 1e3).toFixed(0)}K`;
  ui.modelInfo.textContent =
    `${m.name}: ${m.format}, ${params} parameters, ${m.nLayers} layers, ${m.nHeads} query heads over ${m.nKvHeads} KV heads ` +
    `(head size ${m.headDim}), vocabulary ${m.vocabSize}, context ${m.contextLength}${m.chatTemplate ? ", chat template" : ""}; ` +
    `loaded in ${ms.toFixed(0)} ms.`;
  ui.chat.disabled = !m.chatTemplate;
}

// ---------------------------------------------------------------------------------------------
// Controls

function fillSelect(sel: HTMLSelectElement, options: [string, string][], value: string): void {
  sel.replaceChildren(
    ...options.map(([v, label]) => {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = label;
      return o;
    }),
  );
  sel.value = options.some(([v]) => v === value) ? value : options[0]![0];
}

function initControls(): void {
  ui.prompt.value = params.get("prompt") ?? DEFAULT_PROMPT;
  fillSelect(
    ui.model,
    Object.entries(BUILTIN_MODELS).map(([k, v]) => [k, v.label]),
    params.get("model") ?? "stories260K.gguf",
  );
  const defaultBackend = (BACKEND_NAMES as readonly string[]).includes("wasm") && crossOriginIsolated ? "wasm" : "reference";
  fillSelect(
    ui.backend,
    BACKEND_NAMES.map((b) => [b, BACKEND_LABELS[b] ?? b]),
    params.get("backend") ?? defaultBackend,
  );
  // Every method the library has (spec §9, §14), in its order.
  fillSelect(
    ui.policy,
    POLICY_NAMES.map((p) => [p, p]),
    params.get("policy") ?? "fastgen",
  );
  if (params.has("T")) ui.threshold.value = params.get("T")!;
  if (params.has("C")) ui.compression.value = params.get("C")!;
  ui.compressionOut.value = Number(ui.compression.value).toFixed(2);
  ui.compression.addEventListener("input", () => {
    ui.compressionOut.value = Number(ui.compression.value).toFixed(2);
  });
  if (params.has("maxTokens")) ui.maxTokens.value = params.get("maxTokens")!;
  if (params.has("temperature")) ui.temperature.value = params.get("temperature")!;
  if (params.has("seed")) ui.seed.value = params.get("seed")!;
  ui.thresholdOut.value = Number(ui.threshold.value).toFixed(2);
  renderLegend();

  ui.threshold.addEventListener("input", () => {
    ui.thresholdOut.value = Number(ui.threshold.value).toFixed(2);
    requestProfile();
  });
  let promptTimer: ReturnType<typeof setTimeout> | undefined;
  ui.prompt.addEventListener("input", () => {
    clearTimeout(promptTimer);
    promptTimer = setTimeout(requestProfile, 200);
  });
  if (params.get("chat") === "1") ui.chat.checked = true;
  ui.chat.addEventListener("change", requestProfile);
  ui.model.addEventListener("change", openModel);
  ui.backend.addEventListener("change", openModel);
  ui.policy.addEventListener("change", renderGrid);
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    startGenerate();
  });
  ui.stop.addEventListener("click", () => send({ type: "stop" }));
  ui.file.addEventListener("change", () => {
    if (ui.file.files) void useFiles([...ui.file.files]);
  });
  // Drop anywhere.
  let depth = 0;
  window.addEventListener("dragenter", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    depth++;
    ui.dropOverlay.hidden = false;
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) ui.dropOverlay.hidden = true;
  });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    ui.dropOverlay.hidden = true;
    if (e.dataTransfer?.files.length) void useFiles([...e.dataTransfer.files]);
  });
}

/** The largest file is the model; a second one is its llama2.c tokenizer. */
async function useFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  files.sort((a, b) => b.size - a.size);
  const [model, tok] = files;
  const bytes = new Uint8Array(await model!.arrayBuffer());
  const tokenizer = tok ? new Uint8Array(await tok.arrayBuffer()) : undefined;
  const key = `file:${model!.name}`;
  state.dropped.set(key, { kind: "bytes", name: model!.name, bytes, tokenizer, tokenizerName: tok?.name });
  if (![...ui.model.options].some((o) => o.value === key)) {
    const o = document.createElement("option");
    o.value = key;
    o.textContent = `${model!.name}${tok ? ` + ${tok.name}` : ""} (your file)`;
    ui.model.append(o);
  }
  ui.model.value = key;
  openModel();
}

initControls();
startWorker();
if (!crossOriginIsolated)
  console.warn("This page is not cross-origin isolated: the wasm backend needs SharedArrayBuffer (serve with COOP/COEP, npm run web).");
openModel();
