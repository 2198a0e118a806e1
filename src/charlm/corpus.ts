/**
 * Text corpora for character-level language models: reading and checking a
 * file, the built-in default corpus, and the train/validation split.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

/** Reads a UTF-8 text file, refusing missing, empty, binary or non-UTF-8 files with a clear message. */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error(`data: ${path} is a directory, expected a text file`);
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`data: file not found: ${path}`);
    if (err.code === 'EACCES') throw new Error(`data: permission denied reading ${path}`);
    throw err;
  }
  if (bytes.length === 0) throw new Error(`data: ${path} is empty; a character model needs text to learn from`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`data: ${path} looks binary (a NUL byte at offset ${nul}); expected UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`data: ${path} is not valid UTF-8 text`);
  }
  return text.replace(/\r\n/g, '\n');
}

/** The built-in corpus, as recorded in checkpoints and printed. */
export const DEFAULT_CORPUS_NAME = 'State of the Union addresses 1945–2021 (public domain; built in)';

/** The built-in corpus file, shipped in the package (built by scripts/build-corpus.mjs). */
const DEFAULT_CORPUS_FILE = new URL('../../../data/sotu-1945-2021.txt.br', import.meta.url);

/**
 * The built-in corpus: the 79 State of the Union addresses from 1945 to 2021
 * (works of the U.S. government, public domain), in chronological order,
 * separated by blank lines — 2.9 million characters, shipped Brotli-compressed
 * (733 kB) in the package. No network, no extra dependency.
 */
export function defaultCorpus(): string {
  let bytes: Buffer;
  try {
    bytes = brotliDecompressSync(readFileSync(DEFAULT_CORPUS_FILE));
  } catch (e) {
    throw new Error(`data: the built-in corpus ${fileURLToPath(DEFAULT_CORPUS_FILE)} cannot be read (${(e as Error).message}); reinstall the package, or pass --data FILE`);
  }
  return bytes.toString('utf8');
}

/** First `1 − validationFraction` of the text for training, the rest for validation. */
export function splitText(text: string, validationFraction: number): { train: string; validation: string } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new Error(`data: validation fraction must be in (0, 1), got ${validationFraction}`);
  }
  const chars = [...text];
  const cut = Math.floor(chars.length * (1 - validationFraction));
  return { train: chars.slice(0, cut).join(''), validation: chars.slice(cut).join('') };
}
