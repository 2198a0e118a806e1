/**
 * Translation tasks read from files (Node): a Tatoeba file split by the
 * benchmark's protocol, and the task a checkpoint records (./task.ts).
 */
import { resolve } from 'node:path';
import { fingerprint } from '../charlm/text.js';
import { splitTatoeba } from './split.js';
import { datesTask, TATOEBA_SPLIT, type TaskSource, type TranslationTask } from './task.js';
import { parseTatoeba } from './tatoeba.js';
import { readTatoebaText } from './tatoeba-file.js';

/**
 * A Tatoeba file split by the benchmark's protocol. Refuses a missing, empty,
 * binary or malformed file, naming the file (and the line).
 */
export function tatoebaTask(path: string): TranslationTask {
  const text = readTatoebaText(path);
  const split = splitTatoeba(parseTatoeba(text, path), TATOEBA_SPLIT);
  if (split.train.length === 0 || split.dev.length === 0) {
    throw new Error(`tatoeba: ${path} has too few sentence pairs for a split (${split.train.length + split.dev.length + split.test.length} with ≤ ${TATOEBA_SPLIT.maxEnglishWords} English words; the dev and test sets take 5 % of the distinct Chinese sentences each, so at least 20 are needed)`);
  }
  return {
    source: { kind: 'tatoeba', path: resolve(path), fingerprint: fingerprint(text), ...TATOEBA_SPLIT },
    train: split.train, dev: split.dev, test: split.test,
    sourceVocabulary: split.sourceVocabulary, targetVocabulary: split.targetVocabulary,
  };
}

/** The task a checkpoint records: the date task again, or the file at its path read again (its fingerprint may differ). */
export function loadTask(source: TaskSource): TranslationTask {
  return source.kind === 'dates' ? datesTask(source) : tatoebaTask(source.path);
}
