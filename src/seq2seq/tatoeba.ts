/**
 * The Tatoeba/Anki sentence-pair files of manythings.org/anki, e.g.
 * `cmn.txt` (English–Mandarin):
 *
 *   English <TAB> Chinese <TAB> attribution <LF or CRLF>
 *
 *   Hi.<TAB>你好。<TAB>CC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #891077 (Martha)
 *
 * The sentences are licensed CC BY 2.0 FR: the attribution column travels with
 * every pair and is never dropped. Every line must have exactly three columns,
 * sentences that are not all whitespace and a non-empty attribution, except
 * empty lines, which are skipped; a leading byte-order mark is ignored.
 * Anything else is an error naming the file and the 1-based line.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { TranslationPair } from './pair.js';
import { countWords, tokenizeChinese, tokenizeEnglish } from './tokenize.js';

/** One line of a Tatoeba file. */
export interface TatoebaRow {
  readonly english: string;
  readonly chinese: string;
  readonly attribution: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

/**
 * Reads a Tatoeba file (see the module comment). Refuses, with a message naming
 * the file: a missing or unreadable file, anything but a regular file (a
 * directory, FIFO or device is refused without reading, so nothing blocks), an
 * empty file, a binary file (a NUL byte), invalid UTF-8, a file without pairs.
 */
export function readTatoeba(path: string): TatoebaRow[] {
  return parseTatoeba(readTatoebaText(path), path);
}

/** Parses the text of a Tatoeba file; `file` names it in messages. */
export function parseTatoeba(text: string, file: string): TatoebaRow[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const rows: TatoebaRow[] = [];
  lines.forEach((raw, i) => {
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content === '') return;
    const line = i + 1;
    const where = `${file}:${line}`;
    const columns = content.split('\t');
    if (columns.length !== 3) {
      throw new Error(`tatoeba: ${where}: expected 3 tab-separated columns (English, Chinese, attribution), found ${columns.length}`);
    }
    const [english, chinese, attribution] = columns as [string, string, string];
    if (countWords(english) === 0) throw new Error(`tatoeba: ${where}: the English sentence is empty`);
    if (countWords(chinese) === 0) throw new Error(`tatoeba: ${where}: the Chinese sentence is empty`);
    if (attribution.trim() === '') throw new Error(`tatoeba: ${where}: the attribution is empty (CC BY requires it)`);
    rows.push({ english, chinese, attribution, line });
  });
  if (rows.length === 0) throw new Error(`tatoeba: ${file} has no sentence pairs`);
  return rows;
}

/**
 * A row as a Chinese→English pair: source = the Chinese sentence, one token per
 * character; target = the English sentence, lowercased word and punctuation
 * tokens (src/seq2seq/tokenize.ts).
 */
export function chineseToEnglish(row: TatoebaRow): TranslationPair {
  return {
    source: row.chinese,
    target: row.english,
    sourceTokens: tokenizeChinese(row.chinese),
    targetTokens: tokenizeEnglish(row.english),
    attribution: row.attribution,
    line: row.line,
  };
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
