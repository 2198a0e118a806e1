/**
 * The safetensors format (https://github.com/huggingface/safetensors), bytes
 * in and bytes out; reading and writing files is ./safetensors-file.ts (Node).
 *
 * Layout: an 8-byte little-endian unsigned header length `N`, then `N` bytes of
 * UTF-8 JSON mapping tensor names to `{dtype, shape, data_offsets}` (plus an
 * optional `"__metadata__"` object of strings), then the data buffer. Offsets
 * are relative to the start of the data buffer, which the tensors must cover
 * exactly: no gaps, no overlaps.
 *
 * Decoding supports F32, F64, F16 and BF16; F16/BF16 widen exactly to float32.
 * Writing produces F32 (default) or F64. Values are never checked for NaN here.
 */

import { type Tensor, formatShape, numel } from '../tensor.js';
import { parseBoundedJson } from './json.js';

/** Raised for any malformed safetensors input or failed read/write. */
export class SafetensorsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SafetensorsError';
  }
}

/** Element types this module decodes. */
export type SafetensorsDType = 'F32' | 'F64' | 'F16' | 'BF16';

/** Element types this module writes. */
export type SafetensorsWriteDType = 'F32' | 'F64';

/** What {@link parseSafetensors} (and `readSafetensors`) return. */
export interface SafetensorsContents {
  /** Tensors in header order; F64 decodes to Float64Array, all else to Float32Array. */
  tensors: Map<string, Tensor>;
  /** The `"__metadata__"` object, or `{}` when absent. */
  metadata: Record<string, string>;
}

/** Bytes per element of each supported dtype. */
const ELEMENT_SIZE: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

const SUPPORTED = Object.keys(ELEMENT_SIZE).join(', ');

/** Upper bound on the JSON header (the reference implementation uses the same). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Deepest nesting of the header JSON: a valid header nests 3 levels (entry, shape). */
const MAX_HEADER_DEPTH = 8;

const METADATA_KEY = '__metadata__';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/** A validated header entry. */
interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decodes a safetensors byte image. `source` names the input in error
 * messages (usually a file path). Throws {@link SafetensorsError}.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContents {
  const fail = failer(source);
  const headerLength = readHeaderLength(bytes, fail);
  const header = parseHeaderJson(bytes.subarray(8, 8 + headerLength), fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  const metadata = readMetadata(header[METADATA_KEY], fail);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push(readEntry(name, raw, dataLength, fail));
  }
  checkCoverage(entries, dataLength, fail);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const data = decode(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { data, shape: e.shape });
  }
  return { tensors, metadata };
}

type Fail = (message: string) => never;

/** Returns a function throwing a {@link SafetensorsError} prefixed with the source. */
function failer(source: string): Fail {
  const prefix = source === 'safetensors' ? 'safetensors' : `safetensors (${source})`;
  return (message: string): never => {
    throw new SafetensorsError(`${prefix}: ${message}`);
  };
}

/** Reads and bounds-checks the u64 header length prefix. */
function readHeaderLength(bytes: Uint8Array, fail: Fail): number {
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES / (1024 * 1024)} MB limit (file is ${bytes.length} bytes)`);
  }
  const length = Number(n);
  if (8 + length > bytes.length) {
    fail(`header length ${length} runs past the end of the file (${bytes.length} bytes)`);
  }
  return length;
}

/** Decodes the header as strict UTF-8 JSON and checks it is an object. */
function parseHeaderJson(headerBytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail(`header (${headerBytes.length} bytes) is not valid UTF-8`);
  }
  const value = parseBoundedJson(text, MAX_HEADER_DEPTH, (reason) => fail(`header ${reason}`));
  if (!isPlainObject(value)) fail(`header must be a JSON object, found ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Validates the optional `"__metadata__"` object of strings. */
function readMetadata(raw: unknown, fail: Fail): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (raw === undefined) return metadata;
  if (!isPlainObject(raw)) fail(`"${METADATA_KEY}" must be an object of strings, found ${describe(raw)}`);
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      fail(`"${METADATA_KEY}" value for "${key}" must be a string, found ${describe(value)}`);
    }
    metadata[key] = value as string;
  }
  return metadata;
}

/** Validates one tensor entry against the data buffer length. */
function readEntry(name: string, raw: unknown, dataLength: number, fail: Fail): Entry {
  const at = `tensor "${name}"`;
  if (!isPlainObject(raw)) fail(`${at}: entry must be an object, found ${describe(raw)}`);
  const obj = raw as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in obj)) fail(`${at}: missing "${field}"`);
  }

  const dtype = obj['dtype'];
  if (typeof dtype !== 'string') fail(`${at}: "dtype" must be a string, found ${describe(dtype)}`);
  if (!Object.hasOwn(ELEMENT_SIZE, dtype as string)) {
    fail(`${at}: unsupported dtype "${dtype as string}" (supported: ${SUPPORTED})`);
  }
  const dt = dtype as SafetensorsDType;

  const shape = readShape(obj['shape'], at, fail);
  const [begin, end] = readOffsets(obj['data_offsets'], at, dataLength, fail);

  const count = numel(shape);
  const expected = count * ELEMENT_SIZE[dt];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    fail(
      `${at}: ${dt} shape ${formatShape(shape)} needs ${expected} bytes (${count} × ${ELEMENT_SIZE[dt]}), ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  return { name, dtype: dt, shape, begin, end };
}

/** Validates a shape: an array of non-negative integers. */
function readShape(raw: unknown, at: string, fail: Fail): number[] {
  if (!Array.isArray(raw)) fail(`${at}: "shape" must be an array of non-negative integers, found ${describe(raw)}`);
  const shape = raw as unknown[];
  shape.forEach((d, i) => {
    if (!isNonNegativeInteger(d)) fail(`${at}: shape[${i}] must be a non-negative integer, found ${describe(d)}`);
  });
  return shape as number[];
}

/** Validates `[begin, end]` against each other and the data buffer. */
function readOffsets(raw: unknown, at: string, dataLength: number, fail: Fail): [number, number] {
  if (!Array.isArray(raw) || raw.length !== 2 || !raw.every(isNonNegativeInteger)) {
    fail(`${at}: "data_offsets" must be two non-negative integers [begin, end], found ${describe(raw)}`);
  }
  const [begin, end] = raw as [number, number];
  if (begin > end) fail(`${at}: data_offsets begin ${begin} is greater than end ${end}`);
  if (end > dataLength) {
    fail(`${at}: data_offsets end ${end} runs past the end of the data buffer (${dataLength} bytes)`);
  }
  return [begin, end];
}

/** Requires the entries to tile `[0, dataLength)` exactly, reporting the first gap or overlap. */
function checkCoverage(entries: readonly Entry[], dataLength: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor && previous !== undefined) {
      fail(`tensors "${previous.name}" ${span(previous)} and "${e.name}" ${span(e)} overlap`);
    }
    if (e.begin > cursor) {
      const where = previous === undefined ? `before "${e.name}"` : `between "${previous.name}" and "${e.name}"`;
      fail(`bytes [${cursor}, ${e.begin}) of the data buffer are not covered by any tensor (gap ${where})`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) {
    const where = previous === undefined ? 'the header lists no tensors' : `after "${previous.name}"`;
    fail(`bytes [${cursor}, ${dataLength}) of the data buffer are not covered by any tensor (trailing gap, ${where})`);
  }
}

function span(e: Entry): string {
  return `[${e.begin}, ${e.end})`;
}

// ---------------------------------------------------------------------------
// Decoding element types
// ---------------------------------------------------------------------------

/** Decodes little-endian raw bytes of one tensor. */
function decode(dtype: SafetensorsDType, raw: Uint8Array): Float32Array | Float64Array {
  switch (dtype) {
    case 'F32':
      return decodeF32(raw);
    case 'F64':
      return decodeF64(raw);
    case 'F16':
      return decodeF16(raw);
    case 'BF16':
      return decodeBF16(raw);
  }
}

/** Copies into a fresh (hence aligned) buffer, so `raw.byteOffset` alignment never matters. */
function alignedCopy(raw: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  return copy.buffer;
}

function decodeF32(raw: Uint8Array): Float32Array {
  const n = raw.length / 4;
  if (HOST_LITTLE_ENDIAN) return new Float32Array(alignedCopy(raw));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function decodeF64(raw: Uint8Array): Float64Array {
  const n = raw.length / 8;
  if (HOST_LITTLE_ENDIAN) return new Float64Array(alignedCopy(raw));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

function decodeF16(raw: Uint8Array): Float32Array {
  const table = halfTable();
  const n = raw.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[(raw[2 * i] as number) | ((raw[2 * i + 1] as number) << 8)] as number;
  return out;
}

function decodeBF16(raw: Uint8Array): Float32Array {
  const n = raw.length / 2;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = ((raw[2 * i] as number) << 16) | ((raw[2 * i + 1] as number) << 24);
  return new Float32Array(bits.buffer);
}

/**
 * Converts IEEE 754 binary16 bits to a number, exactly: normals, subnormals
 * (`0x0001` = 2⁻²⁴), signed zeros, infinities and NaN.
 */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let HALF_TABLE: Float32Array | undefined;

/** All 65536 binary16 values as float32, built on first use. */
function halfTable(): Float32Array {
  if (HALF_TABLE === undefined) {
    HALF_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloat(h);
  }
  return HALF_TABLE;
}

// ---------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------

/**
 * Encodes tensors as a safetensors image: key-sorted, contiguous, header
 * space-padded to a multiple of 8 bytes, `"__metadata__"` only when given.
 * Float64 data is rounded to float32 when `dtype` is `'F32'`. `source`
 * names the output in error messages (usually a file path).
 */
export function serializeSafetensors(
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata?: Record<string, string>,
  dtype: SafetensorsWriteDType = 'F32',
  source = 'safetensors',
): Uint8Array {
  const fail = failer(source);
  if (dtype !== 'F32' && dtype !== 'F64') fail(`cannot write dtype "${String(dtype)}" (writable: F32, F64)`);
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = checkedMetadata(metadata, fail);
  const size = ELEMENT_SIZE[dtype];
  let offset = 0;
  for (const [name, t] of entries) {
    checkTensor(name, t, fail);
    const bytes = t.data.length * size;
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }

  const headerBytes = paddedHeader(JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const [, t] of entries) {
    encodeInto(out, cursor, t.data, dtype);
    cursor += t.data.length * size;
  }
  return out;
}

/** Validates a tensor before writing it. */
function checkTensor(name: string, t: Tensor, fail: Fail): void {
  if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
  t.shape.forEach((d, i) => {
    if (!isNonNegativeInteger(d)) fail(`tensor "${name}": shape[${i}] must be a non-negative integer, found ${describe(d)}`);
  });
  if (t.data.length !== numel(t.shape)) {
    fail(`tensor "${name}": ${t.data.length} values do not fill shape ${formatShape(t.shape)} (${numel(t.shape)} elements)`);
  }
}

/** Checks metadata values are strings and copies them. */
function checkedMetadata(metadata: Record<string, string>, fail: Fail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(`metadata value for "${key}" must be a string, found ${describe(value)}`);
    out[key] = value;
  }
  return out;
}

/** UTF-8 encodes the JSON header and pads it with spaces to a multiple of 8 bytes. */
function paddedHeader(json: string): Uint8Array {
  const encoded = new TextEncoder().encode(json);
  const padded = new Uint8Array(Math.ceil(encoded.length / 8) * 8).fill(0x20);
  padded.set(encoded);
  return padded;
}

/** Writes `data` little-endian at `offset` of `out`. */
function encodeInto(out: Uint8Array, offset: number, data: Float32Array | Float64Array, dtype: SafetensorsWriteDType): void {
  const converted = dtype === 'F32' ? Float32Array.from(data) : Float64Array.from(data);
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(converted.buffer, converted.byteOffset, converted.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, converted.byteLength);
  for (let i = 0; i < converted.length; i++) {
    if (dtype === 'F32') view.setFloat32(4 * i, converted[i] as number, true);
    else view.setFloat64(8 * i, converted[i] as number, true);
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Short description of a JSON value for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const text = JSON.stringify(v);
    return text.length <= 40 ? text : `an array of length ${v.length}`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length <= 40 ? v : `${v.slice(0, 37)}...`);
  if (typeof v === 'object') return 'an object';
  return String(v);
}
