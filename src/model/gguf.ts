/**
 * GGUF reader (versions 2 and 3): header, metadata of every value type, tensor infos,
 * alignment, and tensor data of every type in reference/quants.ts (kept packed, or dequantized to float32).
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 * Every count and size is checked against the bytes that are really there before anything is allocated.
 */
import {
  BLOCK_LAYOUT,
  dequantize,
  firstNonFiniteScale,
  TENSOR_TYPE_NAMES,
  TENSOR_TYPES,
  type TensorType,
  tensorTypeOf,
} from "../../reference/quants.ts";
import { ModelFileError, quoted } from "../errors.ts";
import { ByteReader, float32FromBytes, PastPrefix } from "./reader.ts";

export { halfToFloat } from "../../reference/quants.ts";

export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type GgufScalar = number | boolean | string;
export type GgufValue = GgufScalar | GgufArray;
/** Numeric arrays are kept as typed arrays where the type allows (token scores and types are large). */
export type GgufArray = readonly GgufValue[] | Float32Array | Int32Array | Uint32Array;

/** ggml type ids of the readable tensor types (reference/quants.ts TENSOR_TYPES). */
export { TENSOR_TYPES as GgmlType } from "../../reference/quants.ts";
const GGML_TYPE_NAMES: Record<number, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  6: "Q5_0",
  7: "Q5_1",
  8: "Q8_0",
  9: "Q8_1",
  10: "Q2_K",
  11: "Q3_K",
  12: "Q4_K",
  13: "Q5_K",
  14: "Q6_K",
  15: "Q8_K",
  16: "IQ2_XXS",
  17: "IQ2_XS",
  18: "IQ3_XXS",
  19: "IQ1_S",
  20: "IQ4_NL",
  21: "IQ3_S",
  22: "IQ2_S",
  23: "IQ4_XS",
  24: "I8",
  25: "I16",
  26: "I32",
  27: "I64",
  28: "F64",
  29: "IQ1_M",
  30: "BF16",
};
/** Bytes per block and elements per block of the readable types, by ggml id. */
const BLOCK: Record<number, { bytes: number; elements: number }> = Object.fromEntries(
  TENSOR_TYPE_NAMES.map((t) => [TENSOR_TYPES[t], BLOCK_LAYOUT[t]]),
);

export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `unknown type ${type}`;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: `dims[0]` is the fastest-varying (the input dimension of a matrix). */
  readonly dims: readonly number[];
  readonly type: number;
  /** Offset from the start of the data section. */
  readonly offset: number;
  readonly elementCount: number;
  readonly byteSize: number;
}

export interface GgufFile {
  readonly path: string;
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly source: ByteSource;
}

/**
 * Where a GGUF file's bytes come from: memory (each read a view) or the file itself, read on
 * demand (src/model/load.ts), so that a model's tensors need not all be in memory at once.
 */
export interface ByteSource {
  readonly size: number;
  /** Whether `read` returns views of bytes held anyway (no copy, nothing to free). */
  readonly resident: boolean;
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.byteLength, resident: true, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** First prefix of a file source read for the header; metadata with a 150K-piece vocabulary takes ~10 MiB. */
const FIRST_PREFIX = 16 * 2 ** 20;

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const MAX_DIMS = 4;
const MAX_NAME_BYTES = 65535;
const utf8 = new TextDecoder("utf-8");

function readString(r: ByteReader, what: string): string {
  const n = r.u64(`${what} length`);
  if (n > r.remaining) r.fail(`truncated: ${what} claims ${n} bytes, only ${r.remaining} left`);
  return utf8.decode(r.raw(n, what));
}

/** Smallest encoding of one value of a type: bounds array counts before we allocate for them. */
function minValueBytes(type: number): number {
  switch (type) {
    case GgufValueType.UINT8:
    case GgufValueType.INT8:
    case GgufValueType.BOOL:
      return 1;
    case GgufValueType.UINT16:
    case GgufValueType.INT16:
      return 2;
    case GgufValueType.UINT32:
    case GgufValueType.INT32:
    case GgufValueType.FLOAT32:
      return 4;
    case GgufValueType.UINT64:
    case GgufValueType.INT64:
    case GgufValueType.FLOAT64:
    case GgufValueType.STRING:
      return 8;
    case GgufValueType.ARRAY:
      return 12;
    default:
      return 1;
  }
}

function readValue(r: ByteReader, type: number, key: string, depth: number): GgufValue {
  switch (type) {
    case GgufValueType.UINT8:
      return r.u8(key);
    case GgufValueType.INT8:
      return r.i8(key);
    case GgufValueType.UINT16:
      return r.u16(key);
    case GgufValueType.INT16:
      return r.i16(key);
    case GgufValueType.UINT32:
      return r.u32(key);
    case GgufValueType.INT32:
      return r.i32(key);
    case GgufValueType.FLOAT32:
      return r.f32(key);
    case GgufValueType.BOOL: {
      const b = r.u8(key);
      if (b > 1) r.fail(`metadata ${quoted(key)}: bool value ${b} is neither 0 nor 1`);
      return b === 1;
    }
    case GgufValueType.STRING:
      return readString(r, `metadata ${quoted(key)}`);
    case GgufValueType.UINT64:
      return r.u64(key);
    case GgufValueType.INT64:
      return r.i64(key);
    case GgufValueType.FLOAT64:
      return r.f64(key);
    case GgufValueType.ARRAY:
      return readArray(r, key, depth);
    default:
      return r.fail(`metadata ${quoted(key)}: unknown value type ${type}`);
  }
}

function readArray(r: ByteReader, key: string, depth: number): GgufArray {
  if (depth > 4) r.fail(`metadata ${quoted(key)}: arrays nested deeper than 4 levels`);
  const elemType = r.u32(`metadata ${quoted(key)} array type`);
  const count = r.u64(`metadata ${quoted(key)} array length`);
  if (count * minValueBytes(elemType) > r.remaining) {
    r.fail(`truncated: metadata ${quoted(key)} claims ${count} elements, more than the ${r.remaining} bytes left can hold`);
  }
  if (elemType === GgufValueType.FLOAT32) return float32FromBytes(r.raw(4 * count, key));
  if (elemType === GgufValueType.INT32 || elemType === GgufValueType.UINT32) {
    const out = elemType === GgufValueType.INT32 ? new Int32Array(count) : new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = elemType === GgufValueType.INT32 ? r.i32(key) : r.u32(key);
    return out;
  }
  const out: GgufValue[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = readValue(r, elemType, key, depth + 1);
  return out;
}

/** Parses the header, metadata and tensor infos; tensor data is read on demand with {@link readTensor}. */
export function parseGguf(input: Uint8Array | ByteSource, path: string, firstPrefix = FIRST_PREFIX): GgufFile {
  const source = input instanceof Uint8Array ? memorySource(input) : input;
  // From a file, the header is parsed from a prefix; one too short for it is read again longer.
  for (let n = source.resident ? source.size : Math.min(source.size, firstPrefix); ; n = Math.min(source.size, n * 8)) {
    try {
      return parseHeader(source.read(0, n), path, source);
    } catch (e) {
      if (!(e instanceof PastPrefix) || n >= source.size) throw e;
    }
  }
}

function parseHeader(bytes: Uint8Array, path: string, source: ByteSource): GgufFile {
  // Annotated so that `r.fail(...)` (returns never) narrows types after it.
  const r: ByteReader = new ByteReader(bytes, path, source.size);
  if (source.size < 4) r.fail("truncated: too short to be a GGUF file");
  const magic = r.u32("magic");
  if (magic !== MAGIC) r.fail(`not a GGUF file (magic ${magic.toString(16).padStart(8, "0")}, expected "GGUF")`);
  const version = r.u32("version");
  if (version !== 2 && version !== 3) r.fail(`unsupported GGUF version ${version} (this reader handles 2 and 3)`);
  const tensorCount = r.u64("tensor count");
  const kvCount = r.u64("metadata count");
  // A tensor info takes at least 8+4+8+4+8 bytes and a key/value at least 8+4+1.
  if (tensorCount * 32 > r.remaining) r.fail(`truncated or corrupt: ${tensorCount} tensors cannot fit in ${r.remaining} bytes`);
  if (kvCount * 13 > r.remaining) r.fail(`truncated or corrupt: ${kvCount} metadata entries cannot fit in ${r.remaining} bytes`);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = readString(r, `metadata key ${i}`);
    if (metadata.has(key)) r.fail(`duplicate metadata key ${quoted(key)}`);
    const type = r.u32(`metadata ${quoted(key)} type`);
    metadata.set(key, readValue(r, type, key, 0));
  }

  const alignmentValue = metadata.get("general.alignment") ?? 32;
  if (
    typeof alignmentValue !== "number" ||
    !Number.isInteger(alignmentValue) ||
    alignmentValue <= 0 ||
    alignmentValue > 1 << 20 ||
    (alignmentValue & (alignmentValue - 1)) !== 0
  ) {
    r.fail(`general.alignment must be a power of two, got ${String(alignmentValue)}`);
  }
  const alignment: number = alignmentValue;

  const infos: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const nameBytes = r.u64(`tensor ${i} name length`);
    if (nameBytes > MAX_NAME_BYTES) r.fail(`tensor ${i} name is ${nameBytes} bytes long, corrupt`);
    r.offset -= 8;
    const name = readString(r, `tensor ${i} name`);
    const nDims = r.u32(`tensor ${quoted(name)} dimension count`);
    if (nDims < 1 || nDims > MAX_DIMS) r.fail(`tensor ${quoted(name)} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
    const dims: number[] = [];
    let elementCount = 1;
    for (let d = 0; d < nDims; d++) {
      const n = r.u64(`tensor ${quoted(name)} dimension ${d}`);
      if (n === 0) r.fail(`tensor ${quoted(name)} has a zero dimension`);
      dims.push(n);
      elementCount *= n;
      if (elementCount > Number.MAX_SAFE_INTEGER / 8) r.fail(`tensor ${quoted(name)} has an absurd shape [${dims.join(", ")}]`);
    }
    const type = r.u32(`tensor ${quoted(name)} type`);
    const offset = r.u64(`tensor ${quoted(name)} offset`);
    const block = BLOCK[type];
    const byteSize = block ? Math.ceil(elementCount / block.elements) * block.bytes : 0;
    // Blocks never cross a row (ggml quantizes row by row): the row length must hold whole blocks.
    if (block && dims[0]! % block.elements !== 0) {
      r.fail(
        `tensor ${quoted(name)} has rows of ${dims[0]} elements, not a multiple of the ${ggmlTypeName(type)} block size ${block.elements}`,
      );
    }
    infos.push({ name, dims, type, offset, elementCount, byteSize });
  }
  const dataOffset = Math.ceil(r.offset / alignment) * alignment;

  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    if (tensors.has(t.name)) r.fail(`duplicate tensor ${quoted(t.name)}`);
    if (t.offset % alignment !== 0) r.fail(`tensor ${quoted(t.name)} offset ${t.offset} is not aligned to ${alignment}`);
    if (BLOCK[t.type] && dataOffset + t.offset + t.byteSize > source.size) {
      r.fail(
        `truncated: tensor ${quoted(t.name)} needs bytes ` +
          `${dataOffset + t.offset}..${dataOffset + t.offset + t.byteSize}, file has ${source.size}`,
      );
    }
    tensors.set(t.name, t);
  }
  return { path, version, metadata, tensors, alignment, dataOffset, source };
}

/**
 * Reads one tensor as float32, dequantizing F16 and Q8_0; other types get an error naming them.
 * A NaN or infinite weight is refused here, naming the tensor and the first bad value: one such
 * value (a flipped byte is enough) turns every logit into NaN, and the model would otherwise
 * "work", greedily emitting token 0 forever.
 */
export function readTensor(file: GgufFile, info: GgufTensorInfo): Float32Array {
  const { type, bytes } = packedTensor(file, info);
  return dequantize(type, bytes, info.elementCount);
}

/**
 * A tensor's bytes as they are, unchecked (a view of a file in memory, a fresh read of one on disk);
 * parseGguf checked every tensor of a known type against the file's size.
 */
export function tensorBytes(file: GgufFile, info: GgufTensorInfo): Uint8Array {
  return file.source.read(file.dataOffset + info.offset, info.byteSize);
}

/**
 * One tensor's bytes as the file encodes them (a view, no copy), after the checks every reader
 * of a tensor needs: a known type, the bytes present, and no NaN or infinite scale (for the float
 * types: weight). One such value (a flipped byte is enough) turns every logit into NaN, and the
 * model would otherwise "work", greedily emitting token 0 forever.
 */
export function packedTensor(file: GgufFile, info: GgufTensorInfo): { type: TensorType; bytes: Uint8Array } {
  const type = tensorTypeOf(info.type);
  if (!type) {
    throw new ModelFileError(
      file.path,
      `tensor ${quoted(info.name)} has type ${ggmlTypeName(info.type)}; supported types are ${TENSOR_TYPE_NAMES.join(", ")}`,
    );
  }
  const bytes = tensorBytes(file, info);
  const bad = firstNonFiniteScale(type, bytes, info.elementCount);
  if (bad) {
    const where = `tensor ${quoted(info.name)} (${type})`;
    const n = BLOCK_LAYOUT[type].elements;
    const what =
      n === 1
        ? `a non-finite weight (${bad.value}) at index ${bad.index}`
        : `a non-finite scale (${bad.value}) in block ${bad.index / n}, the weights at index ${bad.index}..${bad.index + n - 1}`;
    throw new ModelFileError(file.path, `${where} has ${what}; the file is corrupt`);
  }
  return { type, bytes };
}

const halfScratch = new Float32Array(1);
const halfBits = new Uint32Array(halfScratch.buffer);

/** Float to the nearest half, ties to even (for writing F16 / Q8_0 files). */
export function floatToHalf(x: number): number {
  halfScratch[0] = x;
  const bits = halfBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
