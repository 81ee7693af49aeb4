/** Drawing: the chosen head's attention and the cache-over-time charts, on canvases sized to their boxes. */
import { state, tokenAt, ui } from "./page.ts";

let drawQueued = false;
export function scheduleDraw(): void {
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
  const which = pinnedStep
    ? "the one you point at"
    : state.pinned !== undefined
      ? `latest: position ${state.pinned} was not fed back`
      : "latest";
  ui.attentionCaption.textContent =
    `Token at position ${step.position} ` +
    `(${which}), policy ${effective}: ` +
    `attended ${head.positions.length} of ${step.position + 1} positions, kept ` +
    `${head.kept.length}${dropped > 0 ? `, evicted ${dropped} now` : ""}. Bar height ∝ √weight.`;
  ui.attention.setAttribute("aria-label", `Attention of layer ${layer}, KV head ${kvHead}. ${ui.attentionCaption.textContent}`);
  // The strongest few, in words.
  const mean = head.positions.length
    ? Array.from(head.positions, (p, i) => [p, head.probs.reduce((a, row) => a + row[i]!, 0) / group] as const)
    : [];
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
    ? `At position ${last[0]}: ${(100 * last[1]).toFixed(1)}% of K/V entries evicted; ${formatBytes(last[3])} held vs ` +
      `${formatBytes(last[2])} for a full cache.`
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
