/**
 * GGUF v3 writer: the inverse of {@link parseGguf} (gguf.ts).
 *
 * - {@link writeGguf} writes any metadata (every GGUF value type, arrays nested to any depth)
 *   and F32 / F16 / Q8_0 tensors from float32 data. Use it for tests, conversions and
 *   synthetic (random-weight) models.
 * - {@link llamaToGguf} writes a {@link LlamaModel} with the metadata keys and tensor names
 *   that gguf-llama.ts (and llama.cpp) read.
 *
 * Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): header (magic, version 3,
 * tensor count, metadata count), metadata key/values, tensor infos, zero padding up to the
 * alignment, then each tensor's data at an aligned offset, each followed by zero padding up to
 * the alignment (as ggml writes it). All numbers little-endian.
 *
 * Conversions: F16 rounds to nearest, ties to even (values beyond ±65504 become ±Infinity, as in
 * IEEE). The block types are encoded by quantize.ts (Q8_0 there is ggml's `quantize_row_q8_0_ref`,
 * bit for bit; the value read back is f16(d) · q).
 *
 * The whole file is built in one Uint8Array, so it must fit in memory (and under the engine's
 * typed-array limit, a few GiB): fine for the small and synthetic models this project writes.
 *
 * Misuse (a value out of range for its type, data that does not match the dims, duplicate names)
 * throws a plain Error naming the key or tensor: these are programming errors, not bad files.
 */
import { BLOCK_LAYOUT, TENSOR_TYPE_NAMES, TENSOR_TYPES, type TensorType } from "../../reference/quants.ts";
import { floatToHalf, GgufValueType } from "./gguf.ts";
import { quantize } from "./quantize.ts";
import type { LlamaModel } from "./types.ts";

export type GgufIntTypeName = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "uint64" | "int64";
export type GgufNumberTypeName = GgufIntTypeName | "float32" | "float64";
export type GgufScalarTypeName = GgufNumberTypeName | "bool" | "string";

/**
 * The items of an array value. GGUF arrays are homogeneous; an array of arrays holds arrays that
 * may each have their own item type. 64-bit integers may be given as bigint for the full range.
 */
export type GgufArraySpec =
  | { readonly itemType: GgufNumberTypeName; readonly items: ArrayLike<number | bigint> }
  | { readonly itemType: "bool"; readonly items: ArrayLike<boolean> }
  | { readonly itemType: "string"; readonly items: ArrayLike<string> }
  | { readonly itemType: "array"; readonly items: readonly GgufArraySpec[] };

/** A metadata value with its GGUF type spelled out (a JS number alone does not say uint32 or float32). */
export type GgufTypedValue =
  | { readonly type: GgufNumberTypeName; readonly value: number | bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | ({ readonly type: "array" } & GgufArraySpec);

export type GgufMetadataEntry = { readonly key: string } & GgufTypedValue;

/** Every type of reference/quants.ts; F32, F16 and Q8_0 are encoded here, the others by quantize.ts. */
export type GgufTensorType = TensorType;

export interface GgufTensorSpec {
  readonly name: string;
  /** ggml order: `dims[0]` is the fastest-varying (a matrix `[out][in]` has dims `[in, out]`). */
  readonly dims: readonly number[];
  readonly type: GgufTensorType;
  /** Row-major values, `product(dims)` of them. */
  readonly data: Float32Array;
}

export interface GgufWriteSpec {
  /** Written in this order. */
  readonly metadata: readonly GgufMetadataEntry[];
  /** Written in this order. */
  readonly tensors: readonly GgufTensorSpec[];
  /**
   * Data alignment in bytes, a power of two (default: `general.alignment` from the metadata, else 32).
   * When it is not 32 and the metadata lacks `general.alignment`, a uint32 entry is appended.
   */
  readonly alignment?: number;
}

const MAGIC = 0x46554747; // "GGUF" as a little-endian u32
const VERSION = 3;
const DEFAULT_ALIGNMENT = 32;
/** The GGUF spec caps tensor names at 64 bytes. */
const MAX_TENSOR_NAME_BYTES = 64;
const MAX_KEY_BYTES = 65535;
const Q8_0_BLOCK = 32;

const TYPE_CODE: Record<GgufScalarTypeName | "array", number> = {
  uint8: GgufValueType.UINT8,
  int8: GgufValueType.INT8,
  uint16: GgufValueType.UINT16,
  int16: GgufValueType.INT16,
  uint32: GgufValueType.UINT32,
  int32: GgufValueType.INT32,
  float32: GgufValueType.FLOAT32,
  bool: GgufValueType.BOOL,
  string: GgufValueType.STRING,
  array: GgufValueType.ARRAY,
  uint64: GgufValueType.UINT64,
  int64: GgufValueType.INT64,
  float64: GgufValueType.FLOAT64,
};

const TENSOR_TYPE_CODE: Record<GgufTensorType, number> = TENSOR_TYPES;

/** Integer ranges as bigint so the 64-bit types are exact. */
const INT_RANGE: Record<GgufIntTypeName, readonly [bigint, bigint]> = {
  uint8: [0n, 0xffn],
  int8: [-0x80n, 0x7fn],
  uint16: [0n, 0xffffn],
  int16: [-0x8000n, 0x7fffn],
  uint32: [0n, 0xffffffffn],
  int32: [-0x80000000n, 0x7fffffffn],
  uint64: [0n, 0xffffffffffffffffn],
  int64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

const utf8 = new TextEncoder();
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A growable little-endian byte buffer. */
class ByteSink {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.byteLength) {
      const next = new Uint8Array(Math.max(2 * this.buf.byteLength, at + n));
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }
  // Each reserves first: reserve() may replace `view`, so it must not be read before the call.
  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  i8(v: number): void {
    const at = this.reserve(1);
    this.view.setInt8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  i16(v: number): void {
    const at = this.reserve(2);
    this.view.setInt16(at, v, true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }
  i64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.byteLength);
    this.buf.set(b, at);
  }
  /** GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(BigInt(b.byteLength));
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function fail(what: string, problem: string): never {
  throw new Error(`GGUF writer: ${what}: ${problem}`);
}

function checkedInt(type: GgufIntTypeName, v: number | bigint, what: string): bigint {
  if (typeof v === "number" && !Number.isSafeInteger(v))
    fail(what, `${type} value ${v} is not a safe integer (pass a bigint for 64-bit values)`);
  if (typeof v !== "number" && typeof v !== "bigint") fail(what, `${type} value must be a number or bigint, got ${typeof v}`);
  const b = BigInt(v);
  const [lo, hi] = INT_RANGE[type];
  if (b < lo || b > hi) fail(what, `${type} value ${b} is out of range [${lo}, ${hi}]`);
  return b;
}

function writeNumber(out: ByteSink, type: GgufNumberTypeName, v: number | bigint, what: string): void {
  if (type === "float32" || type === "float64") {
    if (typeof v !== "number") fail(what, `${type} value must be a number, got ${typeof v}`);
    if (type === "float32") out.f32(v);
    else out.f64(v);
    return;
  }
  const b = checkedInt(type, v, what);
  switch (type) {
    case "uint8":
      out.u8(Number(b));
      return;
    case "int8":
      out.i8(Number(b));
      return;
    case "uint16":
      out.u16(Number(b));
      return;
    case "int16":
      out.i16(Number(b));
      return;
    case "uint32":
      out.u32(Number(b));
      return;
    case "int32":
      out.i32(Number(b));
      return;
    case "uint64":
      out.u64(b);
      return;
    case "int64":
      out.i64(b);
      return;
  }
}

function writeScalar(out: ByteSink, type: GgufScalarTypeName, v: unknown, what: string): void {
  if (type === "bool") {
    if (typeof v !== "boolean") fail(what, `bool value must be a boolean, got ${typeof v}`);
    out.u8(v ? 1 : 0);
  } else if (type === "string") {
    if (typeof v !== "string") fail(what, `string value must be a string, got ${typeof v}`);
    out.string(v);
  } else if (TYPE_CODE[type] === undefined) {
    fail(what, `unknown value type "${String(type)}"`);
  } else {
    writeNumber(out, type, v as number | bigint, what);
  }
}

/** Array body: u32 item type, u64 count, items (each nested array with its own type and count). */
function writeArray(out: ByteSink, spec: GgufArraySpec, what: string): void {
  const code = TYPE_CODE[spec.itemType];
  if (code === undefined) fail(what, `unknown array item type "${String(spec.itemType)}"`);
  out.u32(code);
  out.u64(BigInt(spec.items.length));
  for (let i = 0; i < spec.items.length; i++) {
    const item = spec.items[i];
    if (spec.itemType === "array") writeArray(out, item as GgufArraySpec, `${what}[${i}]`);
    else writeScalar(out, spec.itemType, item, `${what}[${i}]`);
  }
}

function writeEntry(out: ByteSink, e: GgufMetadataEntry): void {
  const what = `metadata "${e.key}"`;
  const keyBytes = utf8.encode(e.key).byteLength;
  if (keyBytes === 0 || keyBytes > MAX_KEY_BYTES) fail(what, `key must be 1 to ${MAX_KEY_BYTES} bytes`);
  const code = TYPE_CODE[e.type];
  if (code === undefined) fail(what, `unknown value type "${String(e.type)}"`);
  out.string(e.key);
  out.u32(code);
  if (e.type === "array") writeArray(out, e, what);
  else writeScalar(out, e.type, e.value, what);
}

function resolveAlignment(spec: GgufWriteSpec): { alignment: number; metadata: readonly GgufMetadataEntry[] } {
  const declared = spec.metadata.find((e) => e.key === "general.alignment");
  let declaredValue: number | undefined;
  if (declared) {
    if (declared.type === "array" || declared.type === "bool" || declared.type === "string" || typeof declared.value !== "number") {
      fail(`metadata "general.alignment"`, "must be a number");
    }
    declaredValue = declared.value;
  }
  const alignment = spec.alignment ?? declaredValue ?? DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment > 1 << 20 || (alignment & (alignment - 1)) !== 0) {
    fail("alignment", `must be a power of two up to 2^20, got ${alignment}`);
  }
  if (declaredValue !== undefined && declaredValue !== alignment) {
    fail("alignment", `option ${alignment} contradicts metadata general.alignment = ${declaredValue}`);
  }
  const metadata =
    alignment === DEFAULT_ALIGNMENT || declared
      ? spec.metadata
      : [...spec.metadata, { key: "general.alignment", type: "uint32", value: alignment } as const];
  return { alignment, metadata };
}

/** Bytes of one tensor's data (before padding), after checking its spec. */
function tensorByteSize(t: GgufTensorSpec): number {
  const what = `tensor "${t.name}"`;
  const nameBytes = utf8.encode(t.name).byteLength;
  if (nameBytes === 0 || nameBytes > MAX_TENSOR_NAME_BYTES) fail(what, `name must be 1 to ${MAX_TENSOR_NAME_BYTES} bytes`);
  if (t.dims.length < 1 || t.dims.length > 4) fail(what, `has ${t.dims.length} dimensions (1 to 4 allowed)`);
  if (t.dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) fail(what, `dims [${t.dims.join(", ")}] must be positive integers`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (!(t.data instanceof Float32Array) || t.data.length !== count) {
    fail(what, `dims [${t.dims.join(", ")}] need ${count} values, data has ${t.data?.length}`);
  }
  switch (t.type) {
    case "F32":
      return 4 * count;
    case "F16":
      return 2 * count;
    default: {
      const layout = BLOCK_LAYOUT[t.type];
      if (!layout) return fail(what, `unsupported tensor type "${String(t.type)}" (${TENSOR_TYPE_NAMES.join(", ")})`);
      if (t.dims[0]! % layout.elements !== 0) {
        fail(what, `${t.type} needs rows (dims[0] = ${t.dims[0]}) that are a multiple of ${layout.elements}`);
      }
      return (count / layout.elements) * layout.bytes;
    }
  }
}

/** Encodes values as F32, F16 or Q8_0 into `out` (exactly `tensorByteSize` bytes). */
function encodeTensor(t: GgufTensorSpec, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const x = t.data;
  if (t.type === "F32") {
    if (littleEndian) out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    else for (let i = 0; i < x.length; i++) view.setFloat32(4 * i, x[i]!, true);
  } else if (t.type === "F16") {
    for (let i = 0; i < x.length; i++) view.setUint16(2 * i, floatToHalf(x[i]!), true);
  } else {
    out.set(quantize(t.type, x, `GGUF writer: tensor "${t.name}"`));
  }
}

/** Writes a complete GGUF v3 file. */
export function writeGguf(spec: GgufWriteSpec): Uint8Array {
  const { alignment, metadata } = resolveAlignment(spec);
  const keys = new Set<string>();
  for (const e of metadata) {
    if (keys.has(e.key)) fail(`metadata "${e.key}"`, "duplicate key");
    keys.add(e.key);
  }
  const names = new Set<string>();
  const sizes = spec.tensors.map((t) => {
    if (names.has(t.name)) fail(`tensor "${t.name}"`, "duplicate name");
    names.add(t.name);
    return tensorByteSize(t);
  });
  const padded = (n: number) => Math.ceil(n / alignment) * alignment;

  const head = new ByteSink();
  head.u32(MAGIC);
  head.u32(VERSION);
  head.u64(BigInt(spec.tensors.length));
  head.u64(BigInt(metadata.length));
  for (const e of metadata) writeEntry(head, e);
  const offsets: number[] = [];
  let dataBytes = 0;
  spec.tensors.forEach((t, i) => {
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(BigInt(d));
    head.u32(TENSOR_TYPE_CODE[t.type]);
    head.u64(BigInt(dataBytes));
    offsets.push(dataBytes);
    dataBytes += padded(sizes[i]!);
  });

  const dataOffset = padded(head.length);
  const file = new Uint8Array(dataOffset + dataBytes); // zero-filled, so all padding is zeros
  file.set(head.result());
  spec.tensors.forEach((t, i) => {
    const at = dataOffset + offsets[i]!;
    encodeTensor(t, file.subarray(at, at + sizes[i]!));
  });
  return file;
}

export interface LlamaToGgufOptions {
  /**
   * Type of the 2-D weight matrices. As llama.cpp does, 1-D tensors (the RMSNorm weights) stay F32,
   * and with Q8_0 a matrix whose rows (dims[0]) are not a multiple of 32 is stored as F16.
   */
  readonly tensorType: GgufTensorType;
  /** `general.name` (default "llama"). */
  readonly name?: string;
}

/** llama.cpp `general.file_type` (llama_ftype) of a file whose matrices are mostly of one type. */
export const FILE_TYPE: Record<GgufTensorType, number> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 7,
  Q5_0: 8,
  Q5_1: 9,
  Q2_K: 10,
  Q3_K: 12, // Q3_K_M
  Q4_K: 15, // Q4_K_M
  Q5_K: 17, // Q5_K_M
  Q6_K: 18,
  IQ4_NL: 25,
  BF16: 32,
};

/**
 * The metadata gguf-llama.ts reads for a model of this shape, plus the tokenizer when given.
 * `llama.context_length` is `config.contextLength` (what the source file declared); GGUF has no
 * key for the trained context, which the reader recovers only for models it knows (known-models.ts).
 */
export function llamaMetadata(model: LlamaModel, options: LlamaToGgufOptions): GgufMetadataEntry[] {
  const c = model.config;
  const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: "uint32", value });
  const entries: GgufMetadataEntry[] = [
    { key: "general.architecture", type: "string", value: "llama" },
    { key: "general.name", type: "string", value: options.name ?? "llama" },
    u32("general.file_type", FILE_TYPE[options.tensorType]),
    u32("llama.vocab_size", c.vocabSize),
    u32("llama.context_length", c.contextLength),
    u32("llama.embedding_length", c.dim),
    u32("llama.feed_forward_length", c.hiddenDim),
    u32("llama.block_count", c.nLayers),
    u32("llama.attention.head_count", c.nHeads),
    u32("llama.attention.head_count_kv", c.nKvHeads),
    u32("llama.attention.key_length", c.headDim),
    u32("llama.attention.value_length", c.headDim),
    u32("llama.rope.dimension_count", c.headDim),
    { key: "llama.rope.freq_base", type: "float32", value: c.ropeTheta },
    { key: "llama.attention.layer_norm_rms_epsilon", type: "float32", value: c.normEps },
  ];
  const v = model.vocab;
  if (v) {
    entries.push(
      { key: "tokenizer.ggml.model", type: "string", value: "llama" },
      { key: "tokenizer.ggml.tokens", type: "array", itemType: "string", items: v.pieces },
      { key: "tokenizer.ggml.scores", type: "array", itemType: "float32", items: v.scores },
      { key: "tokenizer.ggml.token_type", type: "array", itemType: "int32", items: v.types },
      u32("tokenizer.ggml.bos_token_id", v.bosId),
      u32("tokenizer.ggml.eos_token_id", v.eosId),
      u32("tokenizer.ggml.unknown_token_id", v.unkId),
      { key: "tokenizer.ggml.add_bos_token", type: "bool", value: v.addBos },
    );
  }
  return entries;
}

/**
 * The model's tensors with llama.cpp names and ggml dims. `output.weight` is written only when the
 * classifier is a separate array from the token embedding (untied); a reader then ties them again.
 */
export function llamaTensors(model: LlamaModel, tensorType: GgufTensorType): GgufTensorSpec[] {
  const c = model.config;
  const w = model.weights;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const matrixType = (inDim: number): GgufTensorType => (tensorType === "Q8_0" && inDim % Q8_0_BLOCK !== 0 ? "F16" : tensorType);
  const matrix = (name: string, inDim: number, outDim: number, data: Float32Array): GgufTensorSpec => ({
    name,
    dims: [inDim, outDim],
    type: matrixType(inDim),
    data,
  });
  const vector = (name: string, data: Float32Array): GgufTensorSpec => ({ name, dims: [c.dim], type: "F32", data });

  const tensors: GgufTensorSpec[] = [
    matrix("token_embd.weight", c.dim, c.vocabSize, w.tokenEmbedding),
    vector("output_norm.weight", w.outputNorm),
  ];
  if (w.output !== w.tokenEmbedding) tensors.push(matrix("output.weight", c.dim, c.vocabSize, w.output));
  w.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    tensors.push(
      matrix(`${p}attn_q.weight`, c.dim, qDim, l.wq),
      matrix(`${p}attn_k.weight`, c.dim, kvDim, l.wk),
      matrix(`${p}attn_v.weight`, c.dim, kvDim, l.wv),
      matrix(`${p}attn_output.weight`, qDim, c.dim, l.wo),
      vector(`${p}attn_norm.weight`, l.attnNorm),
      matrix(`${p}ffn_gate.weight`, c.dim, c.hiddenDim, l.w1),
      matrix(`${p}ffn_down.weight`, c.hiddenDim, c.dim, l.w2),
      matrix(`${p}ffn_up.weight`, c.dim, c.hiddenDim, l.w3),
      vector(`${p}ffn_norm.weight`, l.ffnNorm),
    );
  });
  return tensors;
}

/** A Llama GGUF that `llamaFromGguf(parseGguf(bytes, path))` reads back as the same model (up to F16/Q8_0 rounding). */
export function llamaToGguf(model: LlamaModel, options: LlamaToGgufOptions): Uint8Array {
  return writeGguf({ metadata: llamaMetadata(model, options), tensors: llamaTensors(model, options.tensorType) });
}
