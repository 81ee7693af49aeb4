/**
 * The page: controls, the story as token cells, FastGen's policy grid, the chosen head's attention
 * and the cache over time. The model runs in a Web Worker (worker.ts) through fastgen-ts's public
 * API; this thread only draws what the worker reports.
 */
import { BACKEND_NAMES, type BackendName, CANDIDATE_LABELS, CANDIDATE_NAMES, type DecodeStep, type PolicyName } from "fastgen-ts";
import { type FromWorker, type GenerateRequest, type ModelInfo, type ModelSource, type ProfileView, type TokenInfo, type ToWorker, unpackStep } from "./protocol.ts";

const DEFAULT_PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";

const BUILTIN_MODELS: Record<string, { file: string; tokenizer?: string; label: string }> = {
  "stories260K.gguf": { file: "stories260K.gguf", label: "stories260K" },
  "babyllama105.bin": { file: "babyllama105.bin", tokenizer: "tok105.bin", label: "babyllama105" },
};

const BACKEND_LABELS: Record<string, string> = {
  auto: "auto",
  reference: "reference",
  wasm: "wasm",
  gpu: "gpu.js WebGL2",
};


const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};

const ui = {
  status: $("run-status"),
  statusText: $("status-text"),
  form: $<HTMLFormElement>("controls"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  model: $<HTMLSelectElement>("model"),
  backend: $<HTMLSelectElement>("backend"),
  policy: $<HTMLSelectElement>("policy"),
  maxTokens: $<HTMLInputElement>("max-tokens"),
  threshold: $<HTMLInputElement>("threshold"),
  thresholdOut: $<HTMLOutputElement>("threshold-out"),
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

type RunState = "loading" | "idle" | "generating" | "done" | "error";

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

const state = {
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

const params = new URLSearchParams(location.search);

// ---------------------------------------------------------------------------------------------
// Worker

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
      const c = m.compression ? `, KV compression ${(100 * m.compression.final).toFixed(1)}% at the end (mean ${(100 * m.compression.mean).toFixed(1)}%)` : "";
      setStatus(
        "done",
        `${m.stopped ? "Stopped" : "Done"}: ${m.tokens.length} tokens in ${m.seconds.toFixed(2)} s, ${m.tokensPerSecond.toFixed(1)} tok/s on ${state.backendRan}${c}`,
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
  const source: ModelSource | undefined = builtin ? { kind: "builtin", file: builtin.file, tokenizer: builtin.tokenizer } : state.dropped.get(key);
  if (!source) return;
  if (state.runState === "generating") send({ type: "stop" });
  state.openId = state.nextId++;
  state.profile = undefined;
  setStatus("loading", `Loading ${key} on ${ui.backend.value}…`);
  send({ type: "open", id: state.openId, source, backend: ui.backend.value as BackendName });
}

function requestProfile(): void {
  if (!state.model) return;
  state.profileId = state.nextId++;
  send({ type: "profile", id: state.profileId, prompt: ui.prompt.value, threshold: Number(ui.threshold.value) });
}

function readRequest(): GenerateRequest {
  const num = (el: HTMLInputElement, fallback: number) => (Number.isFinite(el.valueAsNumber) ? el.valueAsNumber : fallback);
  return {
    prompt: ui.prompt.value,
    policy: ui.policy.value as PolicyName,
    threshold: Number(ui.threshold.value),
    temperature: num(ui.temperature, 0),
    topP: 0.9,
    seed: num(ui.seed, 42),
    maxTokens: Math.max(1, Math.round(num(ui.maxTokens, 256))),
    watch: params.get("watch") !== "0",
  };
}

function startGenerate(): void {
  if (!state.model || state.runState === "generating" || state.runState === "loading") return;
  const request = readRequest();
  const n = state.profile?.prompt === request.prompt ? state.profile.n : undefined;
  if (n !== undefined && n + request.maxTokens - 1 > state.model.contextLength) {
    // As the CLI: the last generated token is not fed back, so n + maxTokens - 1 positions run.
    setStatus("error", `The prompt's ${n} tokens and ${request.maxTokens} new tokens exceed ${state.model.name}'s context of ${state.model.contextLength}: ask for at most ${state.model.contextLength - n + 1}.`);
    ui.maxTokens.focus();
    return;
  }
  const id = state.nextId++;
  state.run = { id, request, promptTokens: [], generated: [], steps: new Map(), series: [], maxPositions: 1, lastStep: undefined, done: undefined, firstTokenAt: 0 };
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
    `(head size ${m.headDim}), vocabulary ${m.vocabSize}, context ${m.contextLength}; loaded in ${ms.toFixed(0)} ms.`;
}

// ---------------------------------------------------------------------------------------------
// Story: token cells

function visible(t: TokenInfo): string {
  if (t.text !== "") return t.text;
  return t.special ? t.piece.replace(/^<0x0A>$/, "\n") : "";
}

function tokenCell(t: TokenInfo, prompt: boolean): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = `tok${prompt ? " prompt" : ""}${t.special ? " special" : ""}${t.punct ? " punct" : ""}`;
  span.dataset.pos = String(t.position);
  const text = visible(t);
  span.textContent = text === "" ? (t.special ? `⟨${t.piece}⟩` : "·") : text;
  if (text === "" && t.special) span.classList.add("marker");
  return span;
}

function appendToken(t: TokenInfo, prompt: boolean): void {
  const nearBottom = ui.story.scrollHeight - ui.story.scrollTop - ui.story.clientHeight < 40;
  ui.story.append(tokenCell(t, prompt));
  if (nearBottom) ui.story.scrollTop = ui.story.scrollHeight;
}

function renderPromptOnly(): void {
  ui.story.replaceChildren(...state.profileTokens.map((t) => tokenCell(t, true)));
}

function renderStory(): void {
  const run = state.run;
  if (!run) {
    renderPromptOnly();
    return;
  }
  ui.story.replaceChildren(...run.promptTokens.map((t) => tokenCell(t, true)), ...run.generated.map((t) => tokenCell(t, false)));
}

function tokenAt(position: number): TokenInfo | undefined {
  const run = state.run;
  const list = run ? [...run.promptTokens, ...run.generated] : state.profileTokens;
  return list[position];
}

function describeToken(t: TokenInfo): string {
  const kind = [t.position < (state.run?.promptTokens.length ?? Infinity) ? "prompt" : "generated", t.special ? "special" : "", t.punct ? "punctuation" : ""]
    .filter(Boolean)
    .join(", ");
  return `position ${t.position}: token ${t.id} “${t.piece.replace(/▁/g, "␣")}” (${kind})`;
}

function pin(position: number | undefined): void {
  state.pinned = position;
  ui.story.querySelectorAll(".tok.pinned").forEach((el) => el.classList.remove("pinned"));
  if (position !== undefined) {
    const el = ui.story.querySelector(`.tok[data-pos="${position}"]`);
    el?.classList.add("pinned");
    const t = tokenAt(position);
    ui.tokenReadout.textContent = t ? describeToken(t) + (state.run?.steps.has(position) ? "" : " — not fed back through the model (no attention step)") : "";
  } else {
    ui.tokenReadout.textContent = "";
  }
  scheduleDraw();
}

ui.story.addEventListener("mouseover", (e) => {
  const el = (e.target as HTMLElement).closest<HTMLElement>(".tok");
  if (!el) return;
  const pos = Number(el.dataset.pos);
  pin(pos);
  const t = tokenAt(pos);
  if (t) showTooltip(el, `<strong>“${escapeHtml(t.piece.replace(/▁/g, "␣"))}”</strong><br>${escapeHtml(describeToken(t))}`);
});
ui.story.addEventListener("mouseleave", () => {
  hideTooltip();
  pin(undefined);
});
ui.story.addEventListener("keydown", (e) => {
  const cells = ui.story.querySelectorAll<HTMLElement>(".tok");
  if (cells.length === 0) return;
  let pos = state.pinned ?? cells.length - 1;
  if (e.key === "ArrowRight") pos = Math.min(cells.length - 1, pos + 1);
  else if (e.key === "ArrowLeft") pos = Math.max(0, pos - 1);
  else if (e.key === "Home") pos = 0;
  else if (e.key === "End") pos = cells.length - 1;
  else if (e.key === "Escape") return pin(undefined);
  else return;
  e.preventDefault();
  pin(pos);
  cells[pos]?.scrollIntoView({ block: "nearest" });
});
ui.story.addEventListener("blur", () => pin(undefined));

// ---------------------------------------------------------------------------------------------
// Policy grid

const POLICY_COLORS: Record<string, string> = {
  special: "var(--p-s)",
  "special+punct": "var(--p-sp)",
  "special+punct+frequent": "var(--p-spf)",
  "special+punct+frequent+local": "var(--p-spfl)",
  full: "var(--p-full)",
};

function renderLegend(): void {
  ui.legend.replaceChildren(
    ...CANDIDATE_NAMES.map((n) => {
      const li = document.createElement("li");
      li.innerHTML = `<span class="swatch" style="background:${POLICY_COLORS[n] ?? "#888"}"></span><b>${CANDIDATE_LABELS[n] ?? n}</b> ${escapeHtml(n)}`;
      return li;
    }),
  );
}

function renderGrid(): void {
  const p = state.profile;
  const m = state.model;
  if (!p || !m) return;
  ui.grid.style.setProperty("--cols", String(m.nKvHeads));
  ui.grid.dataset.threshold = String(p.threshold);
  ui.grid.dataset.prompt = p.prompt;
  const policy = state.run?.request.policy ?? (ui.policy.value as PolicyName);
  ui.gridCaption.textContent =
    `FastGen's profile of the ${p.n}-token prompt at T = ${p.threshold.toFixed(2)} (window ${p.window}, frequent k ${p.frequentK}; ${p.ms.toFixed(0)} ms)` +
    (policy !== "fastgen" ? `. This run uses ${policy} for every head.` : ".");
  const cells: HTMLElement[] = [];
  const corner = document.createElement("span");
  corner.className = "axis corner";
  corner.textContent = "layer \\ KV head";
  cells.push(corner);
  for (let g = 0; g < m.nKvHeads; g++) {
    const h = document.createElement("span");
    h.className = "axis col";
    h.textContent = `kv${g}`;
    cells.push(h);
  }
  p.layers.forEach((heads, l) => {
    const lab = document.createElement("span");
    lab.className = "axis row";
    lab.textContent = `L${l}`;
    cells.push(lab);
    for (const h of heads) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "cell";
      b.dataset.layer = String(h.layer);
      b.dataset.kvhead = String(h.kvHead);
      b.dataset.policy = h.policy;
      b.dataset.recovery = JSON.stringify(h.recovery);
      b.style.background = POLICY_COLORS[h.policy] ?? "#888";
      b.textContent = CANDIDATE_LABELS[h.policy] ?? h.policy;
      const selected = h.layer === state.head.layer && h.kvHead === state.head.kvHead;
      b.setAttribute("aria-pressed", String(selected));
      b.setAttribute("aria-label", `layer ${h.layer}, KV head ${h.kvHead}: ${h.policy}. ${recoverySentence(h.recovery, p.threshold)}`);
      cells.push(b);
    }
  });
  ui.grid.replaceChildren(...cells);
}

function recoverySentence(r: Record<string, number>, T: number): string {
  return CANDIDATE_NAMES.map((n) => `${n} recovers ${(100 * r[n]!).toFixed(1)}%${r[n]! >= T ? " (≥ T)" : ""}`).join("; ");
}

function recoveryTable(h: ProfileView["layers"][number][number], T: number): string {
  const rows = CANDIDATE_NAMES.map((n) => {
    const v = h.recovery[n];
    const ok = v >= T;
    const chosen = n === h.policy;
    const q = h.queryHeads.map((qh) => `${(100 * qh.recovery[n]).toFixed(1)}`).join(" / ");
    return `<tr class="${chosen ? "chosen" : ""}"><td><span class="swatch" style="background:${POLICY_COLORS[n]}"></span>${CANDIDATE_LABELS[n]}</td><td class="num">${(100 * v).toFixed(1)}%</td><td class="num dim">${q}</td><td>${ok ? (chosen ? "✓ chosen" : "≥ T") : "< T"}</td></tr>`;
  }).join("");
  return (
    `<strong>Layer ${h.layer}, KV head ${h.kvHead} → ${escapeHtml(h.policy)}</strong>` +
    `<table class="rec"><thead><tr><th>candidate</th><th>recovery (min)</th><th>per query head</th><th></th></tr></thead><tbody>${rows}</tbody></table>` +
    `<span class="dim">The first (cheapest) candidate that recovers ≥ T = ${T.toFixed(2)} of the prompt's attention wins.</span>`
  );
}

function gridCell(e: Event): HTMLElement | null {
  return (e.target as HTMLElement).closest<HTMLElement>(".cell");
}

function showCellTooltip(el: HTMLElement): void {
  const p = state.profile;
  if (!p) return;
  const h = p.layers[Number(el.dataset.layer)]?.[Number(el.dataset.kvhead)];
  if (h) showTooltip(el, recoveryTable(h, p.threshold));
}

ui.grid.addEventListener("mouseover", (e) => {
  const el = gridCell(e);
  if (el) showCellTooltip(el);
});
ui.grid.addEventListener("mouseleave", hideTooltip);
ui.grid.addEventListener("focusin", (e) => {
  const el = gridCell(e);
  // Keyboard focus shows the why; a mouse click only selects (hover already showed it).
  if (el?.matches(":focus-visible")) showCellTooltip(el);
});
ui.grid.addEventListener("focusout", hideTooltip);
ui.grid.addEventListener("click", (e) => {
  const el = gridCell(e);
  if (!el) return;
  state.head = { layer: Number(el.dataset.layer), kvHead: Number(el.dataset.kvhead) };
  ui.grid.querySelectorAll(".cell").forEach((c) => c.setAttribute("aria-pressed", String(c === el)));
  scheduleDraw();
});
ui.grid.addEventListener("keydown", (e) => {
  const el = gridCell(e);
  if (!el || !state.model) return;
  const moves: Record<string, [number, number]> = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
  const mv = moves[e.key];
  if (!mv) return;
  e.preventDefault();
  const l = Math.min(state.model.nLayers - 1, Math.max(0, Number(el.dataset.layer) + mv[0]));
  const g = Math.min(state.model.nKvHeads - 1, Math.max(0, Number(el.dataset.kvhead) + mv[1]));
  ui.grid.querySelector<HTMLElement>(`.cell[data-layer="${l}"][data-kvhead="${g}"]`)?.focus();
});

// ---------------------------------------------------------------------------------------------
// Tooltip

function showTooltip(anchor: HTMLElement, html: string): void {
  const t = ui.tooltip;
  t.innerHTML = html;
  t.hidden = false;
  const r = anchor.getBoundingClientRect();
  const tw = t.offsetWidth;
  const th = t.offsetHeight;
  let x = r.left + r.width / 2 - tw / 2;
  x = Math.max(8, Math.min(window.innerWidth - tw - 8, x));
  let y = r.bottom + 8;
  if (y + th > window.innerHeight - 8) y = Math.max(8, r.top - th - 8);
  t.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
}

function hideTooltip(): void {
  ui.tooltip.hidden = true;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------
// Drawing: attention and charts (canvas, sized to their boxes: no layout change while generating)

let drawQueued = false;
function scheduleDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawAttention();
    drawCharts();
  });
}

function setupCanvas(c: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth;
  const h = c.clientHeight;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
  }
  const ctx = c.getContext("2d")!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function drawAttention(): void {
  const { ctx, w, h } = setupCanvas(ui.attention);
  const run = state.run;
  const m = state.model;
  const { layer, kvHead } = state.head;
  const policyName = state.profile?.layers[layer]?.[kvHead]?.policy;
  const runPolicy = run?.request.policy;
  ui.attentionTitle.textContent = `Attention — layer ${layer}, KV head ${kvHead}`;
  const pinnedStep = run && state.pinned !== undefined ? run.steps.get(state.pinned) : undefined;
  const step = pinnedStep ?? run?.lastStep;
  const fg = css("--fg");
  const muted = css("--muted");
  ctx.font = "12px system-ui, sans-serif";
  if (!run || !m || !step) {
    ctx.fillStyle = muted;
    ctx.fillText(run ? "Waiting for the first decode step…" : "Press Generate to watch the cache.", 12, h / 2);
    ui.attentionCaption.textContent = policyName ? `Policy from the profile: ${policyName}.` : "";
    ui.attentionTop.textContent = "";
    return;
  }
  const head = step.heads[layer * m.nKvHeads + kvHead];
  if (!head) return;
  const group = head.probs.length;
  const total = Math.max(run.maxPositions, step.position + 1);
  const padL = 44;
  const padR = 8;
  const statusH = 14;
  const axisH = 16;
  const plotW = w - padL - padR;
  const rowsH = h - statusH - axisH - 6;
  const rowH = rowsH / group;
  const x = (p: number) => padL + (p / total) * plotW;
  const bw = Math.max(1, plotW / total - (plotW / total > 3 ? 1 : 0));
  const attended = new Map<number, number>();
  head.positions.forEach((p, i) => attended.set(p, i));
  const kept = new Set(head.kept);
  const cKept = css("--kept");
  const cDrop = css("--dropped");
  const cGone = css("--gone");
  // Rows: one per query head of the group, bar height ∝ √weight.
  for (let r = 0; r < group; r++) {
    const y0 = r * rowH;
    ctx.fillStyle = css("--plot-bg");
    ctx.fillRect(padL, y0 + 2, plotW, rowH - 4);
    ctx.fillStyle = muted;
    ctx.fillText(`q${kvHead * group + r}`, 6, y0 + rowH / 2 + 4);
    const probs = head.probs[r]!;
    for (const [p, i] of attended) {
      const v = Math.sqrt(probs[i]!);
      const bh = v * (rowH - 6);
      ctx.fillStyle = kept.has(p) ? cKept : cDrop;
      ctx.fillRect(x(p), y0 + rowH - 2 - bh, bw, bh);
    }
  }
  // Positions evicted at this step: a marker above the rows, so a one-position eviction is visible.
  ctx.fillStyle = cDrop;
  for (const p of attended.keys()) {
    if (kept.has(p)) continue;
    const cx = x(p) + bw / 2;
    ctx.beginPath();
    ctx.moveTo(cx - 5, 0);
    ctx.lineTo(cx + 5, 0);
    ctx.lineTo(cx, 8);
    ctx.closePath();
    ctx.fill();
    ctx.fillRect(x(p), 0, bw, rowsH + statusH - 4);
  }
  // Status strip: every position so far.
  const sy = rowsH + 2;
  for (let p = 0; p <= step.position; p++) {
    ctx.fillStyle = !attended.has(p) ? cGone : kept.has(p) ? cKept : cDrop;
    ctx.fillRect(x(p), sy, bw, statusH - 4);
  }
  // End of prompt and current position.
  const n = run.promptTokens.length;
  ctx.fillStyle = css("--prompt-mark");
  ctx.fillRect(x(n) - 1, 0, 2, rowsH + statusH);
  ctx.fillStyle = fg;
  ctx.fillText("cache", 6, sy + 9);
  // Axis.
  ctx.fillStyle = muted;
  const ay = h - 3;
  for (const p of [0, n, step.position]) {
    const label = String(p);
    const tx = Math.min(w - padR - ctx.measureText(label).width, Math.max(padL, x(p)));
    ctx.fillText(label, tx, ay);
  }
  const dropped = head.positions.length - head.kept.length;
  const effective = runPolicy === "fastgen" ? policyName : runPolicy;
  ui.attentionCaption.textContent =
    `Token at position ${step.position} (${pinnedStep ? "the one you point at" : state.pinned !== undefined ? `latest: position ${state.pinned} was not fed back` : "latest"}), policy ${effective}: ` +
    `attended ${head.positions.length} of ${step.position + 1} positions, kept ${head.kept.length}${dropped > 0 ? `, evicted ${dropped} now` : ""}. Bar height ∝ √weight.`;
  ui.attention.setAttribute("aria-label", `Attention of layer ${layer}, KV head ${kvHead}. ${ui.attentionCaption.textContent}`);
  // The strongest few, in words.
  const mean = head.positions.length ? Array.from(head.positions, (p, i) => [p, head.probs.reduce((a, row) => a + row[i]!, 0) / group] as const) : [];
  mean.sort((a, b) => b[1] - a[1]);
  ui.attentionTop.textContent =
    "Strongest: " +
    mean
      .slice(0, 5)
      .map(([p, v]) => `${p} “${(tokenAt(p)?.piece ?? "?").replace(/▁/g, "␣")}” ${(100 * v).toFixed(0)}%`)
      .join(" · ");
}

function drawLineChart(
  c: HTMLCanvasElement,
  series: { color: string; points: [number, number][]; label: string }[],
  xMax: number,
  yMax: number,
  yFormat: (v: number) => string,
  marker?: number,
): void {
  const { ctx, w, h } = setupCanvas(c);
  const padL = 52;
  const padB = 18;
  const padT = 18;
  const padR = 8;
  const pw = w - padL - padR;
  const ph = h - padT - padB;
  ctx.font = "11px system-ui, sans-serif";
  const muted = css("--muted");
  ctx.strokeStyle = css("--grid-line");
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = padT + ph - (i / 4) * ph;
    ctx.beginPath();
    ctx.moveTo(padL, Math.round(y) + 0.5);
    ctx.lineTo(padL + pw, Math.round(y) + 0.5);
    ctx.stroke();
    const label = yFormat((i / 4) * yMax);
    ctx.fillText(label, padL - 6 - ctx.measureText(label).width, y + 4);
  }
  ctx.fillText("0", padL, h - 4);
  const xl = `position ${xMax}`;
  ctx.fillText(xl, padL + pw - ctx.measureText(xl).width, h - 4);
  if (marker !== undefined) {
    // The token the user points at.
    const X = Math.round(padL + (marker / xMax) * pw) + 0.5;
    ctx.strokeStyle = css("--accent");
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(X, padT);
    ctx.lineTo(X, padT + ph);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  let lx = padL;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([px, py], i) => {
      const X = padL + (px / xMax) * pw;
      const Y = padT + ph - (py / yMax) * ph;
      if (i === 0) ctx.moveTo(X, Y);
      else ctx.lineTo(X, Y);
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, 4, 10, 3);
    ctx.fillStyle = css("--fg");
    ctx.fillText(s.label, lx + 14, 10);
    lx += 22 + ctx.measureText(s.label).width;
  }
}

function drawCharts(): void {
  const run = state.run;
  const xMax = Math.max(run?.maxPositions ?? 1, 1);
  const pts = run?.series ?? [];
  drawLineChart(
    ui.chartCompression,
    [
      { color: css("--full-line"), points: pts.map(([p]) => [p, 0]), label: "full" },
      { color: css("--kept"), points: pts.map(([p, c]) => [p, c]), label: run?.request.policy ?? "policy" },
    ],
    xMax,
    1,
    (v) => `${Math.round(100 * v)}%`,
    state.pinned,
  );
  // The full cache's bytes grow linearly with the position: scale to where this run will end,
  // so the axis stays put while tokens arrive.
  const first = pts[0];
  const perPosition = first ? first[2] / (first[0] + 1) : 0;
  const maxBytes = Math.max(1, perPosition * xMax, ...pts.map(([, , f, b]) => Math.max(f, b)));
  const nice = niceCeil(maxBytes);
  drawLineChart(
    ui.chartBytes,
    [
      { color: css("--full-line"), points: pts.map(([p, , f]) => [p, f]), label: "full cache" },
      { color: css("--kept"), points: pts.map(([p, , , b]) => [p, b]), label: run?.request.policy ?? "policy" },
    ],
    xMax,
    nice,
    formatBytes,
    state.pinned,
  );
  const last = pts[pts.length - 1];
  ui.chartsCaption.textContent = last
    ? `At position ${last[0]}: ${(100 * last[1]).toFixed(1)}% of K/V entries evicted; ${formatBytes(last[3])} held vs ${formatBytes(last[2])} for a full cache.`
    : "";
}

function niceCeil(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

function formatBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(b >= 10 << 10 ? 0 : 1)} KiB`;
  return `${Math.round(b)} B`;
}

new ResizeObserver(() => scheduleDraw()).observe(document.body);

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
  const policies: PolicyName[] = ["fastgen", "full", "local", "frequent", "h2o", "streaming"];
  fillSelect(
    ui.policy,
    policies.map((p) => [p, p]),
    params.get("policy") ?? "fastgen",
  );
  if (params.has("T")) ui.threshold.value = params.get("T")!;
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
if (!crossOriginIsolated) console.warn("This page is not cross-origin isolated: the wasm backend needs SharedArrayBuffer (serve with COOP/COEP, npm run web).");
openModel();
