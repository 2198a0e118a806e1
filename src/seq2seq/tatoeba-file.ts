/**
 * Tatoeba files (Node): the text read and checked, then parsed by
 * ./tatoeba.ts (see there for the format).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { parseTatoeba, type TatoebaRow } from './tatoeba.js';

/**
 * Reads a Tatoeba file (see the module comment). Refuses, with a message naming
 * the file: a missing or unreadable file, anything but a regular file (a
 * directory, FIFO or device is refused without reading, so nothing blocks), an
 * empty file, a binary file (a NUL byte), invalid UTF-8, a file without pairs.
 */
export function readTatoeba(path: string): TatoebaRow[] {
  return parseTatoeba(readTatoebaText(path), path);
}

/** The text of a Tatoeba file, refused as {@link readTatoeba} says; a byte-order mark is kept (the text is the file's bytes). */
export function readTatoebaText(path: string): string {
  let bytes: Buffer;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`tatoeba: file not found: ${path}`);
    if (code === 'EACCES') throw new Error(`tatoeba: permission denied reading ${path}`);
    throw new Error(`tatoeba: cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error(`tatoeba: ${path} is a directory, expected a text file`);
    if (!st.isFile()) throw new Error(`tatoeba: ${path} is not a regular file (a FIFO, socket or device); expected a text file`);
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  if (bytes.length === 0) throw new Error(`tatoeba: ${path} is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`tatoeba: ${path} looks binary (a NUL byte at offset ${nul}); expected UTF-8 text`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`tatoeba: ${path} is not valid UTF-8 text`);
  }
}
