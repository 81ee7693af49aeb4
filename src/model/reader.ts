import { ModelFileError } from "../errors.ts";

/** Thrown by a {@link ByteReader} over a file's prefix that needs bytes past the prefix: read a longer one. */
export class PastPrefix extends Error {}

/** Little-endian reader over a byte buffer whose every read is bounds-checked, so a truncated file gets a clear error. */
export class ByteReader {
  private readonly view: DataView;
  readonly bytes: Uint8Array;
  readonly path: string;
  /** The file's size where `bytes` are only its first part (GGUF headers read from disk). */
  private readonly fileSize: number;
  offset = 0;

  constructor(bytes: Uint8Array, path: string, fileSize = bytes.byteLength) {
    this.bytes = bytes;
    this.path = path;
    this.fileSize = fileSize;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left in the file (not only in the prefix held). */
  get remaining(): number {
    return this.fileSize - this.offset;
  }

  fail(problem: string): never {
    throw new ModelFileError(this.path, problem);
  }

  need(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      this.fail(`truncated: ${what} needs ${n} bytes at offset ${this.offset}, only ${this.remaining} left`);
    }
    if (this.offset + n > this.bytes.byteLength) throw new PastPrefix();
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  i8(what: string): number {
    this.need(1, what);
    return this.view.getInt8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  i16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }
  /** A u64 that must fit a JS safe integer (sizes and counts); bigger values are rejected as corrupt. */
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is ${v}, too large to be real`);
    return Number(v);
  }
  i64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`${what} is ${v}, out of range`);
    return Number(v);
  }
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  /** Copies `count` little-endian float32 values into a fresh, aligned array. */
  f32Array(count: number, what: string): Float32Array {
    const bytes = this.raw(count * 4, what);
    return float32FromBytes(bytes);
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32 values from little-endian bytes, copied so the result is aligned and owns its memory. */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  if (littleEndian) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  }
  return out;
}

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one compare per value.
    const v = values[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}
