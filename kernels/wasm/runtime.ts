/**
 * Loading the wasm kernels (kernels/wasm/assembly, built by `npm run build:wasm`) and managing the
 * one linear memory they run over: weights, activations and scratch all live there, placed by a
 * small first-fit allocator, so the kernels take plain byte offsets.
 *
 * The memory is a shared `WebAssembly.Memory` (the module is built to import one): worker threads
 * can run kernels over the same bytes, and — what matters even on one thread — growing a shared
 * memory never detaches the buffers of views taken before, so a view handed to a cache stays valid.
 * Views of the whole memory are still re-derived after growth (`f32` etc.), since an old view
 * does not reach the new pages.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The few parts of the WebAssembly JS API used here. Declared locally: the project's lib settings
 * (ES2023, @types/node 20) carry no WebAssembly types, and a global declaration would leak into
 * the library's .d.ts.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
/** An opaque compiled module (shareable with worker threads by postMessage). */
export type WasmModule = object;
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of kernels/wasm/assembly/index.ts (offsets are byte offsets into the memory). */
export interface Kernels {
  heapBase(): number;
  dequantRow(type: number, w: number, row: number, n: number, out: number): void;
  matvecF32(out: number, x: number, w: number, n: number, r0: number, r1: number): void;
  matvecF16(out: number, x: number, w: number, n: number, r0: number, r1: number): void;
  quantizeQ16(x: number, n: number, rows: number, xq: number, xd: number): void;
  quantizeInputQ8(x: number, n: number, rows: number, xq: number, xd: number): void;
  roundInput(format: number, x: number, n: number, rows: number, out: number): void;
  q8_1SumErrors(x: number, n: number, rows: number, out: number): void;
  addMinTerms(out: number, errors: number, w: number, blockBytes: number, n: number, d: number, rows: number): void;
  matvecQ8(out: number, xq: number, xd: number, w: number, n: number, r0: number, r1: number): void;
  matmmF32(out: number, x: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  matmmF16(out: number, x: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  matmmQ8(out: number, xq: number, xd: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  /** The simple matrix–matrix products (one row's dot product per element): what the tiled ones must equal bit for bit. */
  matmmSimpleF32(out: number, x: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  matmmSimpleF16(out: number, x: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  matmmSimpleQ8(out: number, xq: number, xd: number, w: number, n: number, d: number, rows: number, r0: number, r1: number): void;
  rmsnorm(out: number, x: number, weight: number, n: number, rows: number, eps: number): void;
  rope(x: number, nHeads: number, headDim: number, pos: number, theta: number): void;
  ropeQK(
    q: number,
    nHeads: number,
    k: number,
    nKvHeads: number,
    headDim: number,
    pos: number,
    theta: number,
    neox: number,
    freqs: number,
  ): void;
  matmulPacked(
    type: number,
    out: number,
    x: number,
    w: number,
    n: number,
    d: number,
    rows: number,
    r0: number,
    r1: number,
    scratch: number,
  ): void;
  matmulPackedQ8(
    type: number,
    out: number,
    xq: number,
    xd: number,
    w: number,
    n: number,
    d: number,
    rows: number,
    r0: number,
    r1: number,
    scratch: number,
  ): void;
  /** 1 for the types matmulPackedQ8 takes (Q4_0, Q5_0, IQ4_NL), else 0. */
  packedAsQ8(type: number): number;
  dequantPackedRow(type: number, p: number, n: number, out: number): void;
  packedGroupRows(n: number): number;
  swiglu(h: number, u: number, n: number): void;
  addInPlace(x: number, y: number, n: number): void;
  softmax(x: number, n: number): void;
  attend(q: number, keys: number, values: number, len: number, headDim: number, group: number, probs: number, out: number): void;
  attendSimple(q: number, keys: number, values: number, len: number, headDim: number, group: number, probs: number, out: number): void;
}

/** The compiled module's location: beside this file in build/ (dist/ gets a copy, scripts/build-lib.ts). */
export const kernelsWasmUrl = new URL("./build/kernels.wasm", import.meta.url);

let compiled: WasmModule | undefined;

/** The compiled kernels, read with node:fs (Node, Deno and Bun alike) and compiled once per process. */
export function kernelModule(): WasmModule {
  if (!compiled) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(kernelsWasmUrl);
    } catch {
      throw new Error(`the wasm kernels are not built (${fileURLToPath(kernelsWasmUrl)} is missing): run "npm run build:wasm"`);
    }
    compiled = new WA.Module(bytes);
  }
  return compiled;
}

/** What this runtime's WebAssembly offers, and what the kernels use (bench JSON, issue 20). */
export interface WasmFeatures {
  readonly simd128: boolean;
  /** Relaxed SIMD (fused multiply-add, i8 dot products): Node 22+, Deno, Bun, Chromium. */
  readonly relaxedSimd: boolean;
  /** The instruction set the kernels are built for: SIMD128 only, so results are the same on every runtime. */
  readonly kernels: "simd128";
}

/** A module with one function () → v128 whose body is `body` (checks that a runtime accepts its opcodes). */
function v128Module(body: number[]): Uint8Array {
  const code = [0x00, ...body, 0x0b]; // no locals, body, end
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: () → v128
    ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
    ...[0x0a, code.length + 2, 0x01, code.length, ...code], // code section
  ]);
}
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0

/** Probes the runtime by validating two tiny modules: SIMD128's v128.const, relaxed SIMD's f32x4.relaxed_madd. */
export function wasmFeatures(): WasmFeatures {
  return {
    simd128: WA.validate(v128Module(V128_ZERO)),
    relaxedSimd: WA.validate(v128Module([...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02])),
    kernels: "simd128",
  };
}

const PAGE = 65536;
/** wasm32's whole address space, the maximum the module declares. */
const MAX_PAGES = 65536;
const ALIGN = 16;

/** A span of the memory: `at` byte offset, `bytes` length (a multiple of 16). */
interface Span {
  at: number;
  bytes: number;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly kernels: Kernels;
  /** Free spans below `top`, sorted by offset, never adjacent (merged on release). */
  private readonly free: Span[] = [];
  private top: number;
  private allocated = 0;
  private views: { f32: Float32Array; i32: Int32Array; u8: Uint8Array } | undefined;
  /** Every buffer object this memory has shown (a shared memory shows a new one after growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  /** A fresh memory and kernel instance, or an instance over `memory` (a worker thread's). */
  constructor(memory?: WasmMemory) {
    this.memory = memory ?? new WA.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WA.Instance(kernelModule(), { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as Kernels;
    this.top = roundUp(this.kernels.heapBase());
  }

  /** Bytes handed out and not released. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Bytes of the linear memory (allocated, free spans, and pages not yet used). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** `bytes` bytes (16-aligned, contents unspecified); grows the memory when no free span fits. */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, ALIGN));
    this.allocated += size;
    for (let i = 0; i < this.free.length; i++) {
      const span = this.free[i]!;
      if (span.bytes < size) continue;
      const at = span.at;
      if (span.bytes === size) this.free.splice(i, 1);
      else {
        span.at += size;
        span.bytes -= size;
      }
      return at;
    }
    const at = this.top;
    this.top += size;
    const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) {
      if (this.top > MAX_PAGES * PAGE) throw new RangeError(`wasm memory exhausted: ${this.top} bytes needed, wasm32 addresses 4 GiB`);
      // Grow by at least 1/4 of the current size: amortised O(1) growth, few grow calls.
      this.memory.grow(
        Math.min(MAX_PAGES - this.memory.buffer.byteLength / PAGE, Math.max(need, this.memory.buffer.byteLength / PAGE / 4)),
      );
    }
    return at;
  }

  /** Gives back a span from {@link alloc} (same `bytes`); it is reused by later allocations. */
  release(at: number, bytes: number): void {
    const size = roundUp(Math.max(bytes, ALIGN));
    this.allocated -= size;
    let i = 0;
    while (i < this.free.length && this.free[i]!.at < at) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.at + prev.bytes === at) {
      prev.bytes += size;
      if (next && prev.at + prev.bytes === next.at) {
        prev.bytes += next.bytes;
        this.free.splice(i, 1);
      }
    } else if (next && at + size === next.at) {
      next.at = at;
      next.bytes += size;
    } else {
      this.free.splice(i, 0, { at, bytes: size });
    }
    // A free span at the top goes back to the bump pointer.
    const last = this.free.at(-1);
    if (last && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.free.pop();
    }
  }

  /** Whether `array` is a view of this memory (taken through `f32`/`i32`/`u8`), so kernels can read it in place. */
  owns(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }

  /** Float32 view of the whole memory (re-derived after growth). */
  get f32(): Float32Array {
    return this.current().f32;
  }

  get i32(): Int32Array {
    return this.current().i32;
  }

  get u8(): Uint8Array {
    return this.current().u8;
  }

  private current(): { f32: Float32Array; i32: Int32Array; u8: Uint8Array } {
    const buffer = this.memory.buffer;
    if (!this.views || this.views.u8.byteLength !== buffer.byteLength) {
      this.views = { f32: new Float32Array(buffer), i32: new Int32Array(buffer), u8: new Uint8Array(buffer) };
      this.buffers.add(buffer);
    }
    return this.views;
  }
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}
