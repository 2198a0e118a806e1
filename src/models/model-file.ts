/**
 * A {@link Sequential} model in one safetensors file (Node): the bytes of
 * ./saved-model.ts, written atomically (temporary file, fsync, rename) and
 * read from a regular file. Errors name the file.
 */
import { constants as bufferConstants } from 'node:buffer';
import type { Backend } from '../backend/backend.js';
import { readRegularFile, writeFileAtomic } from '../io/files.js';
import { parseModel, serializeModel } from './saved-model.js';
import type { Sequential } from './sequential.js';

/** Writes the model's configuration and weights to `path` (atomically). */
export function saveModel(model: Sequential, path: string): void {
  const where = `saveModel (${path})`;
  const bytes = serializeModel(model, where);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    throw new Error(`${where}: cannot write file: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a model written by {@link saveModel}. `backend` selects the kernels to run on. */
export function loadModel(path: string, options: { backend?: Backend } = {}): Sequential {
  const where = `loadModel (${path})`;
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, bufferConstants.MAX_LENGTH);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${where}: ${code === 'ENOENT' ? 'file not found' : `cannot be read: ${(e as Error).message}`}`, { cause: e });
  }
  return parseModel(bytes, options, where);
}
