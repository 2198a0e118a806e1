/**
 * Checkpoint files (Node): ./checkpoint.ts's bytes written atomically
 * (temporary file, fsync, rename; see ./files.ts), so a crash, a full disk
 * or an interrupted write never leaves a half-written checkpoint in place of
 * a good one; and read back from a regular file only.
 */
import { constants as bufferConstants } from 'node:buffer';
import { type CheckpointContents, CheckpointError, parseCheckpoint, serializeCheckpoint } from './checkpoint.js';
import { readRegularFile, writeFileAtomic } from './files.js';

/**
 * Writes the bytes `serialize(path)` makes to `path`, atomically. If
 * serialising fails (a non-finite weight), nothing is written and the
 * previous file is kept.
 * @throws CheckpointError naming the file
 */
export function writeCheckpointFile(path: string, serialize: (source: string) => Uint8Array): void {
  let bytes: Uint8Array;
  try {
    bytes = serialize(path);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${e.message}; the previous checkpoint is kept`, { cause: e });
    throw e;
  }
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new CheckpointError(`checkpoint (${path}): not written: ${(e as Error).message}; any previous checkpoint there is unchanged`, { cause: e });
  }
}

/**
 * The bytes of the checkpoint file at `path`, a regular file.
 * @throws CheckpointError naming the file
 */
export function readCheckpointFile(path: string): Uint8Array {
  try {
    return readRegularFile(path, bufferConstants.MAX_LENGTH);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`checkpoint (${path}): ${code === 'ENOENT' ? 'file not found' : `cannot be read: ${(e as Error).message}`}`, { cause: e });
  }
}

/** Writes a checkpoint atomically, with checksums (see {@link serializeCheckpoint}). */
export function writeCheckpoint(path: string, contents: CheckpointContents): void {
  writeCheckpointFile(path, (source) => serializeCheckpoint(contents, source));
}

/** Reads a checkpoint of the given kind (see {@link parseCheckpoint} for what is checked). */
export function readCheckpoint(path: string, kind: string, maxVersion: number): CheckpointContents {
  return parseCheckpoint(readCheckpointFile(path), kind, maxVersion, path);
}
