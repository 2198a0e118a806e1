/**
 * Checkpoint files: one safetensors file holding tensors (weights under
 * PyTorch names, optimiser buffers under `optimizer.`) and, in its metadata,
 * one JSON document (`__metadata__.recurrent`) with everything else — kind,
 * version, configuration, vocabulary, generator and optimiser state, history.
 *
 * Integrity: `__metadata__["recurrent.sha256"]` records the SHA-256 of the
 * document and of each tensor's bytes (little-endian float32, as stored), so
 * a flipped bit anywhere in the weights or the document is detected on load
 * and the damaged tensor named. A file without that record (written by
 * another program, or by an earlier version) loads unverified.
 *
 * Bytes in and bytes out here, the same in every host; files are
 * ./checkpoint-file.ts (Node), written atomically. Any safetensors reader
 * (e.g. `safetensors.torch.load_file`) reads the weights.
 */
import { host } from '#host';
import type { Tensor } from '../tensor.js';
import { parseBoundedJson } from './json.js';
import { parseSafetensors, SafetensorsError, serializeSafetensors } from './safetensors.js';
import { listSome } from './schema.js';

const META_KEY = 'recurrent';
const CHECKSUM_KEY = 'recurrent.sha256';

/** Deepest nesting of a checkpoint's document (a valid one nests 5 levels). */
const MAX_DOCUMENT_DEPTH = 16;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A checkpoint that cannot be read, or whose contents are damaged or inconsistent; the message names the file and what is wrong. */
export class CheckpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/** A checkpoint of another kind than the one asked for (a character model where a translation model was expected, …). */
export class CheckpointKindError extends CheckpointError {
  constructor(message: string, readonly expected: string, readonly found: string) {
    super(message);
    this.name = 'CheckpointKindError';
  }
}

export interface CheckpointContents {
  /** What the checkpoint holds, e.g. `'recurrent.charlm'`. */
  kind: string;
  version: number;
  meta: Record<string, unknown>;
  tensors: Map<string, Tensor>;
}

/** What `recurrent.sha256` holds: hex digests of the document and of every tensor. */
interface Checksums {
  document: string;
  tensors: Record<string, string>;
}

/** `checkpoint (SOURCE)` in messages, or `checkpoint` when the bytes have no name. */
export function checkpointLabel(source: string | undefined): string {
  return source === undefined ? 'checkpoint' : `checkpoint (${source})`;
}

/**
 * A checkpoint's bytes, with checksums. Refuses non-finite weights, so a
 * diverged model never replaces a good checkpoint. `source` names the
 * output in messages (the file path when writing one).
 * @throws CheckpointError
 */
export function serializeCheckpoint(contents: CheckpointContents, source?: string): Uint8Array {
  for (const [name, t] of contents.tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i] as number)) {
        throw new CheckpointError(`${checkpointLabel(source)}: not written, '${name}' holds ${t.data[i]} at index ${i}`);
      }
    }
  }
  const document = JSON.stringify({ kind: contents.kind, version: contents.version, ...contents.meta });
  const checksums: Checksums = { document: host.sha256(document), tensors: {} };
  for (const [name, t] of contents.tensors) checksums.tensors[name] = host.sha256(float32Bytes(t.data));
  try {
    return serializeSafetensors(contents.tensors, { [META_KEY]: document, [CHECKSUM_KEY]: JSON.stringify(checksums) }, 'F32', source);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(`${checkpointLabel(source)}: not written: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Decodes a checkpoint of the given kind: well-formed safetensors,
 * checksums (when recorded) matching, a JSON document of bounded depth with
 * the right kind and a supported version. `source` names the input in
 * messages (the file path when reading one).
 * @throws CheckpointError
 */
export function parseCheckpoint(bytes: Uint8Array, kind: string, maxVersion: number, source?: string): CheckpointContents {
  const bad = (what: string, cause?: unknown): never => {
    throw new CheckpointError(`${checkpointLabel(source)}: ${what}`, { cause });
  };
  let contents;
  try {
    contents = parseSafetensors(bytes, source);
  } catch (e) {
    return bad(`unreadable or corrupt: ${(e as Error).message}`, e);
  }
  const { metadata, tensors } = contents;
  const document = metadata[META_KEY];
  if (document === undefined) bad(`a safetensors file, but not a recurrent checkpoint (no '${META_KEY}' metadata)`);
  const record = metadata[CHECKSUM_KEY];
  if (record !== undefined) verifyChecksums(record, document as string, tensors, bad);
  const parsed = parseBoundedJson(document as string, MAX_DOCUMENT_DEPTH, (reason) => bad(`its metadata ${reason}`));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) bad('its metadata is not a JSON object');
  const { kind: k, version: v, ...meta } = parsed as Record<string, unknown>;
  if (k !== kind) throw new CheckpointKindError(`${checkpointLabel(source)}: holds '${String(k)}', expected '${kind}'`, kind, String(k));
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > maxVersion) {
    bad(`format version ${String(v)} is not supported (this version reads 1 to ${maxVersion})`);
  }
  return { kind, version: v as number, meta, tensors };
}

/** Checks the document and every tensor against the recorded digests, naming what differs. */
function verifyChecksums(record: string, document: string, tensors: Map<string, Tensor>, bad: (what: string) => never): void {
  const hex = /^[0-9a-f]{64}$/;
  const parsed = parseBoundedJson(record, 2, (reason) => bad(`its checksum record '${CHECKSUM_KEY}' ${reason}`)) as Partial<Checksums> | null;
  const names = parsed && typeof parsed.tensors === 'object' && parsed.tensors !== null && !Array.isArray(parsed.tensors) ? Object.entries(parsed.tensors) : null;
  if (!parsed || typeof parsed.document !== 'string' || !hex.test(parsed.document) || !names || names.some(([, d]) => typeof d !== 'string' || !hex.test(d))) {
    bad(`its checksum record '${CHECKSUM_KEY}' is damaged (expected {"document": SHA-256, "tensors": {name: SHA-256}})`);
  }
  if (host.sha256(document) !== parsed!.document) {
    bad('its metadata document is damaged: its SHA-256 differs from the one recorded when the file was written');
  }
  const recorded = new Map(names as [string, string][]);
  const damaged = [...tensors].filter(([name, t]) => recorded.has(name) && host.sha256(float32Bytes(t.data)) !== recorded.get(name)).map(([name]) => name);
  const missing = [...recorded.keys()].filter((name) => !tensors.has(name));
  const unlisted = [...tensors.keys()].filter((name) => !recorded.has(name));
  const problems: string[] = [];
  if (damaged.length) {
    problems.push(`${damaged.length === 1 ? 'tensor' : 'tensors'} ${listSome(damaged)} ${damaged.length === 1 ? 'is' : 'are'} damaged (SHA-256 differs from the one recorded when the file was written)`);
  }
  if (missing.length) problems.push(`recorded ${missing.length === 1 ? 'tensor' : 'tensors'} ${listSome(missing)} missing from the file`);
  if (unlisted.length) problems.push(`${unlisted.length === 1 ? 'tensor' : 'tensors'} ${listSome(unlisted)} not recorded when the file was written`);
  if (problems.length) bad(problems.join('; '));
}

/** Values as little-endian float32 bytes: the bytes a checkpoint stores. */
function float32Bytes(data: Float32Array | Float64Array): Uint8Array {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const out = new Uint8Array(f.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < f.length; i++) view.setFloat32(4 * i, f[i] as number, true);
  return out;
}
