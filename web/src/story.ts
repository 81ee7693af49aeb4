/** The story as token cells: the prompt and generated tokens, and the token a user points at. */
import type { TokenInfo } from "./protocol.ts";
import { state, tokenAt, ui, visible } from "./page.ts";
import { escapeHtml, hideTooltip, showTooltip } from "./tooltip.ts";
import { scheduleDraw } from "./draw.ts";

function tokenCell(t: TokenInfo, prompt: boolean): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = `tok${prompt ? " prompt" : ""}${t.special ? " special" : ""}${t.punct ? " punct" : ""}`;
  span.dataset.pos = String(t.position);
  const text = visible(t);
  span.textContent = text === "" ? (t.special ? `⟨${t.piece}⟩` : "·") : text;
  if (text === "" && t.special) span.classList.add("marker");
  return span;
}

export function appendToken(t: TokenInfo, prompt: boolean): void {
  const nearBottom = ui.story.scrollHeight - ui.story.scrollTop - ui.story.clientHeight < 40;
  ui.story.append(tokenCell(t, prompt));
  if (nearBottom) ui.story.scrollTop = ui.story.scrollHeight;
}

export function renderPromptOnly(): void {
  ui.story.replaceChildren(...state.profileTokens.map((t) => tokenCell(t, true)));
}

export function renderStory(): void {
  const run = state.run;
  if (!run) {
    renderPromptOnly();
    return;
  }
  ui.story.replaceChildren(...run.promptTokens.map((t) => tokenCell(t, true)), ...run.generated.map((t) => tokenCell(t, false)));
}

function describeToken(t: TokenInfo): string {
  const kind = [
    t.position < (state.run?.promptTokens.length ?? Infinity) ? "prompt" : "generated",
    t.special ? "special" : "",
    t.punct ? "punctuation" : "",
  ]
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
    ui.tokenReadout.textContent = t
      ? describeToken(t) + (state.run?.steps.has(position) ? "" : " — not fed back through the model (no attention step)")
      : "";
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
