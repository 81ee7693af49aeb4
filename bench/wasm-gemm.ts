/**
 * Kernel-level timing of the wasm backend's products on the 15M shape (llm.c dev/cuda style):
 * each exported product kernel named on the command line (default: all matmm and matvec exports),
 * over one layer's products (Q, K, V, O: 288 × 288; gate, up: 768 × 288; down: 288 × 768) for a
 * 32-row prefill chunk (matmm) or one row (matvec), and the 32000 × 288 classifier for one row.
 * Kernels alternate round by round, best round each; G multiply-adds/s. Run:
 * npx tsx bench/wasm-gemm.ts [kernel names...]
 */
import { WasmHeap } from "../kernels/wasm/runtime.ts";

const heap = new WasmHeap();
const k = heap.kernels as unknown as Record<string, (...a: number[]) => void>;
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(k).filter((n) => /^mat(mm|vec)(F32|F16|Q8)/.test(n));
const rows = 32;
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const fill = (bytes: number) => {
  const at = heap.alloc(bytes);
  const f = heap.f32;
  for (let i = 0; i < bytes / 4; i++) f[(at >> 2) + i] = rand();
  return at;
};
const layer = [
  [288, 288],
  [288, 288],
  [288, 288],
  [288, 288],
  [288, 768],
  [288, 768],
  [768, 288],
].map(([n, d]) => ({ n: n!, d: d!, w: fill(n! * d! * 4) }));
const cls = { n: 288, d: 32000, w: fill(288 * 32000 * 4) };
const x = fill(rows * 768 * 4);
// Q8_0 copies: scale 1/16 (an f16), random int8; the input quantized per block as the backend does.
const q8 = (n: number, d: number) => {
  const blocks = (n * d) / 32;
  const at = heap.alloc(blocks * 34);
  const u8 = heap.u8;
  for (let b = 0; b < blocks; b++) {
    u8[at + b * 34] = 0x00;
    u8[at + b * 34 + 1] = 0x2c;
    for (let j = 0; j < 32; j++) u8[at + b * 34 + 2 + j] = (rand() * 127) & 0xff;
  }
  return at;
};
const layerQ8 = layer.map((m) => ({ ...m, w: q8(m.n, m.d) }));
const clsQ8 = { ...cls, w: q8(cls.n, cls.d) };
const xq = heap.alloc(rows * 768 * 2);
const xd = heap.alloc(rows * 24 * 4);
heap.kernels.quantizeQ16(x, 768, rows, xq, xd);
const out = heap.alloc(rows * 32000 * 4);
// F16 runs read the same bytes as halves (any bit pattern is a finite half or not: timing only).

function run(name: string): { ms: number; macs: number } {
  const f = k[name]!;
  const mm = name.startsWith("matmm");
  const isQ8 = name.includes("Q8");
  const t0 = performance.now();
  let macs = 0;
  const reps = mm ? 4 : 64;
  for (let r = 0; r < reps; r++) {
    for (const m of isQ8 ? layerQ8 : layer) {
      if (isQ8 && mm) f(out, xq, xd, m.w, m.n, m.d, rows, 0, m.d);
      else if (isQ8) f(out, xq, xd, m.w, m.n, 0, m.d);
      else if (mm) f(out, x, m.w, m.n, m.d, rows, 0, m.d);
      else f(out, x, m.w, m.n, 0, m.d);
      macs += m.n * m.d * (mm ? rows : 1);
    }
  }
  return { ms: performance.now() - t0, macs };
}
function runCls(name: string): { ms: number; macs: number } {
  const f = k[name]!;
  const t0 = performance.now();
  for (let r = 0; r < 8; r++) {
    if (name.includes("Q8")) f(out, xq, xd, clsQ8.w, cls.n, 0, cls.d);
    else f(out, x, cls.w, cls.n, 0, cls.d);
  }
  return { ms: performance.now() - t0, macs: 8 * cls.n * cls.d };
}
const best = new Map<string, number>();
const bestCls = new Map<string, number>();
for (let round = 0; round < 12; round++) {
  for (const name of names) {
    const r = run(name);
    best.set(name, Math.max(best.get(name) ?? 0, r.macs / r.ms / 1e6));
    if (name.startsWith("matvec")) {
      const c = runCls(name);
      bestCls.set(name, Math.max(bestCls.get(name) ?? 0, c.macs / c.ms / 1e6));
    }
  }
}
for (const name of names) {
  console.log(
    `${name.padEnd(20)} layer ${best.get(name)!.toFixed(2)} ` +
      `G/s${bestCls.has(name) ? `   classifier ${bestCls.get(name)!.toFixed(2)} G/s` : ""}`,
  );
}
