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
 *
 * Text in, rows out; reading the file is ./tatoeba-file.ts (Node).
 */
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
