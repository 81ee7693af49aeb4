/**
 * Vega-Lite spec → SVG (vega's headless renderer, no browser or canvas) → PNG (resvg, a Rust SVG
 * renderer shipped as a prebuilt binary). Text uses DejaVu Sans from the system fonts.
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export const FONT = "DejaVu Sans";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at `scale` × the SVG's size, on white. */
export function svgToPng(svg: string, scale = 1.5): Uint8Array {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT },
  });
  return resvg.render().asPng();
}
