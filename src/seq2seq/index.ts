/**
 * Translation as a library (`import … from 'recurrent/translate'`): the data
 * (the built-in date task, Tatoeba files and the benchmark's split,
 * tokenisers, vocabularies, batches), BLEU, scoring, the training run with
 * budget, validation, best and last checkpoints and exact resume, and
 * checkpoint save/load. The model and decoding (Seq2Seq, Seq2SeqTrainer,
 * greedyDecode, beamSearch, translate) and the attention figures come from
 * 'recurrent'. Node only (it reads and writes files).
 */
export type { TranslationPair } from './pair.js';
export { dateTask, datePair, DATE_FORMATS, type DateFormat, type DateTaskOptions } from './dates.js';
export { readTatoeba, parseTatoeba, chineseToEnglish, type TatoebaRow } from './tatoeba.js';
export { splitTatoeba, mulberry32, type TatoebaSplit, type TatoebaSplitOptions } from './split.js';
export { tokenizeEnglish, tokenizeChinese, tokenizeCharacters, countWords, detokenizeEnglish, detokenizeChinese } from './tokenize.js';
export { TokenVocabulary } from './token-vocabulary.js';
export { encodePairs, bucketedBatches, padBatch, type EncodedPair, type EncodedPairs, type BatchOptions } from './batches.js';
export { corpusBleu, sentenceBleu, corpusBleuDetails, type BleuOptions, type BleuDetails, type Tokens } from './bleu.js';
export {
  datesTask, tatoebaTask, loadTask, taskMetric, describeTask, tokenizeSource, detokenizeTarget, DATES_SOURCE, TATOEBA_SPLIT,
  type TranslationTask, type TaskSource, type DatesSource, type TatoebaSource, type TaskMetric,
} from './task.js';
export { evaluateTranslation, EVALUATION_MAX_TOKENS, type EvaluationOptions, type TranslationScores, type SourceTranslation } from './evaluate.js';
export {
  runTranslationTraining, encodeTrainingPairs, TRANSLATION_TRAIN_DEFAULTS,
  type TranslationTrainConfig, type TranslationRunOptions, type TranslationRunCallbacks, type TranslationRunResult,
  type StepProgress, type ValidationReport, type SampleTranslation, type HistoryEntry, type RunProgress, type BestValidation,
} from './run.js';
export { saveTranslator, loadTranslator, bestCheckpointPath, TRANSLATOR_KIND, type TranslatorCheckpoint, type TranslatorRecord, type SplitSizes } from './checkpoint.js';
export { checkTranslationResume, translationResumeConflicts, type TranslationResumeRequest } from './resume.js';
