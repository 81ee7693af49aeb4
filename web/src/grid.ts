/** FastGen's policy grid: one cell per (layer, KV head), its legend and its recovery tooltip. */
import { CANDIDATE_LABELS, CANDIDATE_NAMES, type PolicyName } from "fastgen-ts";
import type { ProfileView } from "./protocol.ts";
import { state, ui } from "./page.ts";
import { escapeHtml, hideTooltip, showTooltip } from "./tooltip.ts";
import { scheduleDraw } from "./draw.ts";

const POLICY_COLORS: Record<string, string> = {
  special: "var(--p-s)",
  "special+punct": "var(--p-sp)",
  "special+punct+frequent": "var(--p-spf)",
  "special+punct+frequent+local": "var(--p-spfl)",
  full: "var(--p-full)",
};

export function renderLegend(): void {
  ui.legend.replaceChildren(
    ...CANDIDATE_NAMES.map((n) => {
      const li = document.createElement("li");
      li.innerHTML =
        `<span class="swatch" ` +
        `style="background:${POLICY_COLORS[n] ?? "#888"}"></span><b>${CANDIDATE_LABELS[n] ?? n}</b> ${escapeHtml(n)}`;
      return li;
    }),
  );
}

export function renderGrid(): void {
  const p = state.profile;
  const m = state.model;
  if (!p || !m) return;
  ui.grid.style.setProperty("--cols", String(m.nKvHeads));
  ui.grid.dataset.threshold = String(p.threshold);
  ui.grid.dataset.prompt = p.prompt;
  const policy = state.run?.request.policy ?? (ui.policy.value as PolicyName);
  ui.gridCaption.textContent =
    `FastGen's profile of the ${p.n}-token prompt at T = ${p.threshold.toFixed(2)} (window ${p.window}, frequent k ` +
    `${p.frequentK}; ${p.ms.toFixed(0)} ms)` +
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
    const swatch = `<span class="swatch" style="background:${POLICY_COLORS[n]}"></span>`;
    const verdict = ok ? (chosen ? "✓ chosen" : "≥ T") : "< T";
    return (
      `<tr class="${chosen ? "chosen" : ""}"><td>${swatch}${CANDIDATE_LABELS[n]}</td>` +
      `<td class="num">${(100 * v).toFixed(1)}%</td><td class="num dim">${q}</td><td>${verdict}</td></tr>`
    );
  }).join("");
  return (
    `<strong>Layer ${h.layer}, KV head ${h.kvHead} → ${escapeHtml(h.policy)}</strong>` +
    `<table class="rec"><thead><tr><th>candidate</th><th>recovery (min)</th><th>per query ` +
    `head</th><th></th></tr></thead><tbody>${rows}</tbody></table>` +
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
