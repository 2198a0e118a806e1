/**
 * The data of a translation run: train, dev and test pairs, the two
 * vocabularies (from the training pairs), and how text becomes tokens and
 * tokens text on each side. Two tasks:
 *
 *   dates    the built-in English → Chinese date task (./dates.ts), characters
 *            on both sides; no download. Scored by exact match.
 *   tatoeba  a Tatoeba/Anki file (./tatoeba.ts), Chinese → English with the
 *            benchmark's split (./split.ts): Chinese characters in, English
 *            words and punctuation out. Scored by corpus BLEU-4.
 *
 * {@link TaskSource} is what identifies the data in a checkpoint (for a file:
 * its absolute path, size and SHA-256), so a resumed run or an evaluation
 * rebuilds the same split. Reading a Tatoeba file is ./task-file.ts (Node).
 */
import type { Fingerprint } from '../charlm/text.js';
import { dateTask } from './dates.js';
import type { TranslationPair } from './pair.js';
import { TokenVocabulary } from './token-vocabulary.js';
import { detokenizeChinese, detokenizeEnglish, tokenizeCharacters, tokenizeChinese } from './tokenize.js';

/** The built-in date task: its sizes and the seed its dates are drawn with. */
export interface DatesSource {
  kind: 'dates';
  train: number;
  dev: number;
  test: number;
  seed: number;
}

/** A Tatoeba file and the split's settings. */
export interface TatoebaSource {
  kind: 'tatoeba';
  /** Absolute path of the file. */
  path: string;
  fingerprint: Fingerprint;
  maxEnglishWords: number;
  seed: number;
  heldOutFraction: number;
}

export type TaskSource = DatesSource | TatoebaSource;

/** What a task's dev and test pairs are scored by (and the best checkpoint chosen by). */
export type TaskMetric = 'accuracy' | 'bleu';

export interface TranslationTask {
  readonly source: TaskSource;
  readonly train: readonly TranslationPair[];
  readonly dev: readonly TranslationPair[];
  readonly test: readonly TranslationPair[];
  readonly sourceVocabulary: TokenVocabulary;
  readonly targetVocabulary: TokenVocabulary;
}

/** The date task of the command line: 20,000 training pairs, 1,000 dev, 1,000 test. */
export const DATES_SOURCE: DatesSource = { kind: 'dates', train: 20_000, dev: 1_000, test: 1_000, seed: 0 };

/** The benchmark's Tatoeba split settings (../shared/BENCHMARKS.md). */
export const TATOEBA_SPLIT = { maxEnglishWords: 10, seed: 0, heldOutFraction: 0.05 } as const;

/** The date task drawn as `source` says. */
export function datesTask(source: DatesSource = DATES_SOURCE): TranslationTask {
  const { train, dev, test } = dateTask({ train: source.train, dev: source.dev, test: source.test, seed: source.seed });
  return withVocabularies({ ...source }, train, dev, test);
}

/** The task's metric: exact match for dates, BLEU for Tatoeba. */
export function taskMetric(source: TaskSource): TaskMetric {
  return source.kind === 'dates' ? 'accuracy' : 'bleu';
}

/** The data in words: `the built-in dates task (English → Chinese dates)`, or the file's path. */
export function describeTask(source: TaskSource): string {
  return source.kind === 'dates' ? 'built-in dates task (English dates → Chinese dates, characters)' : `${source.path} (Tatoeba, Chinese → English)`;
}

/** A sentence to translate as source tokens: characters for dates, Chinese characters (whitespace removed) for Tatoeba. */
export function tokenizeSource(source: TaskSource, text: string): string[] {
  return source.kind === 'dates' ? tokenizeCharacters(text) : tokenizeChinese(text);
}

/** Target tokens as text: joined for dates, English spacing for Tatoeba. */
export function detokenizeTarget(source: TaskSource, tokens: readonly string[]): string {
  return source.kind === 'dates' ? detokenizeChinese(tokens) : detokenizeEnglish(tokens);
}

function withVocabularies(source: TaskSource, train: TranslationPair[], dev: TranslationPair[], test: TranslationPair[]): TranslationTask {
  return {
    source, train, dev, test,
    sourceVocabulary: TokenVocabulary.fromSequences(train.map((p) => p.sourceTokens)),
    targetVocabulary: TokenVocabulary.fromSequences(train.map((p) => p.targetTokens)),
  };
}
