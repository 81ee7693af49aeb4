/**
 * Picture 2, the policy map (the paper's Figure 3 view): for each threshold, layers × KV heads
 * coloured by the policy most prompts chose (with its share), and each layer's policy shares.
 */
import type { TopLevelSpec } from "vega-lite";
import { CANDIDATE_LABELS, CANDIDATE_NAMES } from "../../fastgen/candidates.ts";
import type { ThresholdStability } from "../stability.ts";
import { CONFIG, POLICY_COLORS, POLICY_ORDER, policyLabel } from "./style.ts";

export function policyMapSpec(stability: readonly ThresholdStability[], subtitle: string): TopLevelSpec {
  const cells = stability.flatMap((t) =>
    t.heads.map((h) => ({
      T: `T = ${t.threshold}`,
      layer: h.layer,
      kvHead: `kv${h.kvHead}`,
      policy: policyLabel(h.mode),
      text: `${CANDIDATE_LABELS[h.mode]}\n${Math.round(100 * h.modeShare)}%`,
    })),
  );
  const shares = stability.flatMap((t) =>
    t.layerShares.flatMap((s, layer) =>
      CANDIDATE_NAMES.map((c, i) => ({ T: `T = ${t.threshold}`, layer, policy: policyLabel(c), order: i, share: s[c] })),
    ),
  );
  const color = { field: "policy", type: "nominal" as const, title: "policy", scale: { domain: POLICY_ORDER, range: POLICY_COLORS } };
  const columnOf = { field: "T", type: "nominal" as const, title: null, sort: stability.map((t) => `T = ${t.threshold}`) };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Which policy FastGen picks per (layer, KV head)", subtitle },
    vconcat: [
      {
        data: { values: cells },
        facet: { column: columnOf },
        spec: {
          width: 160,
          height: 170,
          encoding: {
            x: { field: "kvHead", type: "ordinal" as const, title: "KV head", axis: { labelAngle: 0 } },
            y: { field: "layer", type: "ordinal" as const, title: "layer" },
          },
          layer: [
            { mark: { type: "rect" as const, stroke: "white" }, encoding: { color } },
            {
              mark: { type: "text" as const, fontSize: 9, color: "black", lineBreak: "\n" },
              encoding: { text: { field: "text", type: "nominal" as const } },
            },
          ],
        },
      },
      {
        data: { values: shares },
        facet: { column: columnOf },
        spec: {
          width: 150,
          height: 140,
          mark: { type: "bar" as const },
          encoding: {
            y: { field: "layer", type: "ordinal" as const, title: "layer" },
            x: {
              field: "share",
              type: "quantitative" as const,
              stack: "normalize" as const,
              title: "share of heads",
              axis: { format: "%", tickCount: 3 },
            },
            color,
            order: { field: "order", type: "quantitative" as const },
          },
        },
      },
    ],
    config: CONFIG,
  };
}
