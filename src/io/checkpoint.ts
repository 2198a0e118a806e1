/**
 * Checkpoint files: one safetensors file holding tensors (weights under
 * PyTorch names, optimiser buffers under `optimizer.`) and, in its metadata,
 * one JSON document (`__metadata__.recurrent`) with everything else — kind,
 * version, configuration, vocabulary, generator and optimiser state, history.
 *
 * Written atomically (temporary file, fsync, rename), so a crash, a full disk
 * or an interrupted write never leaves a half-written checkpoint in place of a
 * good one. Any safetensors reader (e.g. `safetensors.torch.load_file`) reads
 * the weights.
 */
import { parseSafetensors, readSafetensors, SafetensorsError, serializeSafetensors, writeSafetensors } from './safetensors.js';
import type { Tensor } from '../tensor.js';

const META_KEY = 'recurrent';

export interface CheckpointContents {
  /** What the checkpoint holds, e.g. `'recurrent.charlm'`. */
  kind: string;
  version: number;
  meta: Record<string, unknown>;
  tensors: Map<string, Tensor>;
}

/** Writes a checkpoint atomically. Refuses non-finite weights, so a diverged model never replaces a good checkpoint. */
export function writeCheckpoint(path: string, contents: CheckpointContents): void {
  for (const [name, t] of contents.tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i] as number)) {
        throw new Error(`checkpoint (${path}): not written, '${name}' holds ${t.data[i]} at index ${i}; the previous checkpoint is kept`);
      }
    }
  }
  const document = JSON.stringify({ kind: contents.kind, version: contents.version, ...contents.meta });
  try {
    writeSafetensors(path, contents.tensors, { [META_KEY]: document });
  } catch (e) {
    if (e instanceof SafetensorsError) throw new Error(`checkpoint (${path}): not written: ${e.message}; any previous checkpoint there is unchanged`, { cause: e });
    throw e;
  }
}

/** Reads and checks a checkpoint of the given kind. */
export function readCheckpoint(path: string, kind: string, maxVersion: number): CheckpointContents {
  let contents;
  try {
    contents = readSafetensors(path);
  } catch (e) {
    const msg = (e as Error).message;
    if (/ENOENT|no such file/i.test(msg)) throw new Error(`checkpoint (${path}): file not found`);
    throw new Error(`checkpoint (${path}): unreadable or corrupt: ${msg}`, { cause: e });
  }
  return checkDocument(path, contents.metadata[META_KEY], contents.tensors, kind, maxVersion);
}

/** Same as {@link readCheckpoint} for bytes already in memory. */
export function parseCheckpoint(bytes: Uint8Array, source: string, kind: string, maxVersion: number): CheckpointContents {
  const contents = parseSafetensors(bytes, source);
  return checkDocument(source, contents.metadata[META_KEY], contents.tensors, kind, maxVersion);
}

/** The bytes of a checkpoint, as {@link writeCheckpoint} would write them. */
export function serializeCheckpoint(contents: CheckpointContents): Uint8Array {
  const document = JSON.stringify({ kind: contents.kind, version: contents.version, ...contents.meta });
  return serializeSafetensors(contents.tensors, { [META_KEY]: document });
}

function checkDocument(path: string, document: string | undefined, tensors: Map<string, Tensor>, kind: string, maxVersion: number): CheckpointContents {
  if (document === undefined) throw new Error(`checkpoint (${path}): a safetensors file, but not a recurrent checkpoint (no '${META_KEY}' metadata)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new Error(`checkpoint (${path}): its metadata is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`checkpoint (${path}): its metadata is not a JSON object`);
  const { kind: k, version: v, ...meta } = parsed as Record<string, unknown>;
  if (k !== kind) throw new Error(`checkpoint (${path}): holds '${String(k)}', expected '${kind}'`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > maxVersion) {
    throw new Error(`checkpoint (${path}): format version ${String(v)} is not supported (this version reads 1 to ${maxVersion})`);
  }
  return { kind, version: v, meta, tensors };
}
