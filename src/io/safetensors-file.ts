/**
 * Safetensors files (Node): read whole and decoded, or encoded and written
 * atomically. The format itself, bytes in and bytes out, is ./safetensors.ts.
 */
import { constants as bufferConstants } from 'node:buffer';
import type { Tensor } from '../tensor.js';
import { readRegularFile, writeFileAtomic } from './files.js';
import { parseSafetensors, SafetensorsError, type SafetensorsContents, type SafetensorsWriteDType, serializeSafetensors } from './safetensors.js';

/**
 * Reads and decodes a safetensors file synchronously. Errors name the path.
 * Only a regular file is read (a device or FIFO is refused, not read forever).
 */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, bufferConstants.MAX_LENGTH);
  } catch (err) {
    throw new SafetensorsError(`safetensors (${path}): cannot read file: ${(err as Error).message}`, { cause: err });
  }
  return parseSafetensors(bytes, path);
}

/**
 * Writes a safetensors file atomically (see {@link writeFileAtomic}): the
 * image goes to a temporary file beside the target, is fsynced, then renamed
 * over it. Only a regular file is replaced (a symbolic link's target is); on
 * failure `path` is left untouched and nothing is left behind.
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata?: Record<string, string>,
  dtype: SafetensorsWriteDType = 'F32',
): void {
  const bytes = serializeSafetensors(tensors, metadata, dtype, path);
  try {
    writeFileAtomic(path, bytes);
  } catch (err) {
    throw new SafetensorsError(`safetensors (${path}): cannot write file: ${(err as Error).message}`, { cause: err });
  }
}
