/**
 * Translation in any host (`recurrent/translate` under the `browser`
 * condition): the date task, Tatoeba text parsed and split, tokenisers,
 * vocabularies, batches, BLEU, scoring, the resume rules, and checkpoints
 * as bytes — a page loads the bytes of a checkpoint the command line wrote
 * (`parseTranslator`) and writes the same bytes (`serializeTranslator`).
 * The model and decoding come from 'recurrent'. Reaches no `node:` module.
 * On Node, `recurrent/translate` is ./index.ts: this, the training run and
 * the files.
 */
export type { TranslationPair } from './pair.js';
export { dateTask, datePair, DATE_FORMATS, type DateFormat, type DateTaskOptions } from './dates.js';
export { parseTatoeba, chineseToEnglish, type TatoebaRow } from './tatoeba.js';
export { splitTatoeba, mulberry32, type TatoebaSplit, type TatoebaSplitOptions } from './split.js';
export { tokenizeEnglish, tokenizeChinese, tokenizeCharacters, countWords, detokenizeEnglish, detokenizeChinese } from './tokenize.js';
export { TokenVocabulary } from './token-vocabulary.js';
export { encodePairs, bucketedBatches, padBatch, type EncodedPair, type EncodedPairs, type BatchOptions } from './batches.js';
export { corpusBleu, sentenceBleu, corpusBleuDetails, type BleuOptions, type BleuDetails, type Tokens } from './bleu.js';
export {
  datesTask, taskMetric, describeTask, tokenizeSource, detokenizeTarget, DATES_SOURCE, TATOEBA_SPLIT,
  type TranslationTask, type TaskSource, type DatesSource, type TatoebaSource, type TaskMetric,
} from './task.js';
export { evaluateTranslation, EVALUATION_MAX_TOKENS, type EvaluationOptions, type TranslationScores, type SourceTranslation } from './evaluate.js';
export type {
  TranslationTrainConfig, StepProgress, ValidationReport, SampleTranslation, HistoryEntry, RunProgress, BestValidation,
} from './run.js';
export { serializeTranslator, parseTranslator, TRANSLATOR_KIND, type TranslatorCheckpoint, type TranslatorRecord, type SplitSizes } from './checkpoint.js';
export { checkTranslationResume, translationResumeConflicts, type TranslationResumeRequest } from './resume.js';
