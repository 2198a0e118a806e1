/**
 * A TensorFlow.js / Keras LayersModel read from its files (Node): model.json
 * and the weight files its weightsManifest lists, paths relative to the
 * directory of model.json. The conversion is ./keras.ts; errors name the file.
 */
import { constants as bufferConstants } from 'node:buffer';
import { dirname, resolve } from 'node:path';
import { readRegularFile } from '../io/files.js';
import type { Sequential } from '../models/sequential.js';
import { fromKerasModel, type KerasModelOptions } from './keras.js';

/** Reads `path` (a model.json) and its weight files into the equivalent {@link Sequential}. */
export function loadKerasModel(path: string, options: Omit<KerasModelOptions, 'where'> = {}): Sequential {
  const where = `loadKerasModel (${path})`;
  const text = new TextDecoder().decode(readFile(path, where));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: model.json is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const manifest = typeof json === 'object' && json !== null ? (json as { weightsManifest?: unknown }).weightsManifest : undefined;
  const files: string[] = [];
  if (Array.isArray(manifest)) {
    for (const [g, group] of manifest.entries()) {
      const paths = typeof group === 'object' && group !== null ? (group as { paths?: unknown }).paths : undefined;
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw new Error(`${where}: weightsManifest[${g}].paths must be a list of file names`);
      files.push(...(paths as string[]));
    }
  }
  const weights = files.map((f) => readFile(resolve(dirname(path), f), where));
  return fromKerasModel(json as object, weights, { ...options, where });
}

function readFile(file: string, where: string): Uint8Array {
  try {
    return readRegularFile(file, bufferConstants.MAX_LENGTH);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${where}: ${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read: ${(e as Error).message}`}`, { cause: e });
  }
}
