/**
 * Translation as a library (`import … from 'recurrent/translate'`): the data
 * (the built-in date task, Tatoeba files and the benchmark's split,
 * tokenisers, vocabularies, batches), BLEU, scoring, the training run with
 * budget, validation, best and last checkpoints and exact resume, and
 * checkpoint save/load. The model and decoding (Seq2Seq, Seq2SeqTrainer,
 * greedyDecode, beamSearch, translate) and the attention figures come from
 * 'recurrent'. On Node: ./browser.ts (what runs anywhere) and the training
 * run and files.
 */
export * from './browser.js';
export { readTatoeba } from './tatoeba-file.js';
export { tatoebaTask, loadTask } from './task-file.js';
export {
  runTranslationTraining, encodeTrainingPairs, TRANSLATION_TRAIN_DEFAULTS,
  type TranslationRunOptions, type TranslationRunCallbacks, type TranslationRunResult,
} from './run.js';
export { saveTranslator, loadTranslator, bestCheckpointPath } from './checkpoint-file.js';
