/**
 * The SwiGLU gate (reference/transformer.ts FFN): `out[r][i] = silu(gu[r][i]) · gu[r][h + i]`, where
 * `gu` is the fused product with `[w1; w3]` (gate columns first, then up).
 */
import type { DeviceArray, KernelArg, KernelRuntime, KernelThis } from "../runtime.ts";

function swigluBody(this: KernelThis<{ h: number }>, gu: number[][]): number {
  const r = this.thread.y;
  const gate = gu[r]![this.thread.x]!;
  const up = gu[r]![this.thread.x + this.constants.h]!;
  // silu(g) = g·σ(g); exp(-g) overflowing to +inf for very negative g gives -0, as in the reference.
  return (gate / (1 + Math.exp(-gate))) * up;
}

/** `gu [rows][2h]` → `[rows][h]`. */
export function swiglu(rt: KernelRuntime, role: string, rows: number, h: number, gu: KernelArg): DeviceArray {
  const k = rt.kernel(`swiglu:${role}[${rows}x${h}]`, swigluBody, { output: [h, rows], constants: { h } });
  return k(gu);
}
