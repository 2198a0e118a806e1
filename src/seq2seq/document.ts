/**
 * The schema of a translation checkpoint's JSON document: every field a
 * loader reads, with its type and range, so a malformed or incomplete file is
 * refused on load with the field named (`train.batchSize: missing`).
 *
 *   config        the Seq2Seq configuration (./model.ts), every default written out
 *   train         batch size, learning rate, clipping, teacher forcing, seed, maximum length
 *   vocabularies  {source, target}: the tokens by id, specials first
 *   data          the task (./task.ts): the date task's sizes and seed, or the
 *                 Tatoeba file's path and fingerprint and the split's settings;
 *                 and `pairs`, the number of pairs in each split
 *   budget        seconds of training and/or steps
 *   progress      training seconds, epoch, position in the epoch and the batch
 *                 shuffler's state at the epoch's start, the train loss summed
 *                 since the last validation, the best validation so far
 *   trainer       the Seq2SeqTrainer's snapshot (optimiser buffers as tensors)
 *   history       one entry per validation
 */
import { ATTENTION_KINDS, type AttentionKind } from '../attention/index.js';
import { CELL_TYPES } from '../cells/index.js';
import {
  arrayOf, boolean, type Check, integer, nullable, number, object, oneOf, optional, string,
} from '../io/schema.js';
import { optimizerStateSchema, randomStateSchema } from '../io/training-state.js';
import type { TaskSource } from './task.js';

const MAX_SIZE = 2 ** 32;
const uint32 = integer(0, 0xffffffff);
const count = integer(0, Number.MAX_SAFE_INTEGER);
const positive = integer(1, MAX_SIZE);
const seconds = number({ min: 0 });
/** A score in points: NaN (not measured) was written as null. */
const points: Check<number> = (v, path) => nullable(number({ min: 0, max: 100 }))(v, path) ?? Number.NaN;
const loss: Check<number> = (v, path) => nullable(number({ min: 0 }))(v, path) ?? Number.NaN;

const attention: Check<AttentionKind | 'none'> = oneOf<AttentionKind | 'none'>(['none', ...ATTENTION_KINDS]);

/** Most pairs the date task draws per split (it has 146,096 distinct sources). */
const MAX_DATE_PAIRS = 1_000_000;

const data: Check<TaskSource> = (v, path) => {
  const kind = object({ kind: oneOf(['dates', 'tatoeba'] as const) })(v, path).kind;
  if (kind === 'dates') {
    const pairs = integer(0, MAX_DATE_PAIRS);
    return object({ kind: oneOf(['dates'] as const), train: pairs, dev: pairs, test: pairs, seed: uint32 })(v, path);
  }
  return object({
    kind: oneOf(['tatoeba'] as const),
    path: string(),
    fingerprint: object({ bytes: count, sha256: string({ pattern: /^[0-9a-f]{64}$/ }) }),
    maxEnglishWords: positive,
    seed: uint32,
    heldOutFraction: number({ min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true }),
  })(v, path);
};

const token = string({ maxLength: 1000 });

const historyEntry = object({
  step: count,
  epoch: count,
  seconds,
  trainLoss: loss,
  bleu: points,
  multiReferenceBleu: points,
  accuracy: points,
  evalSeconds: seconds,
});

export const translatorDocument = object({
  config: object({
    sourceVocabSize: positive,
    targetVocabSize: positive,
    embeddingSize: positive,
    hiddenSize: positive,
    numLayers: positive,
    cell: oneOf(CELL_TYPES),
    bidirectional: boolean(),
    attention,
    attentionSize: positive,
    scaled: boolean(),
    seed: uint32,
    dtype: oneOf(['float32'] as const),
  }),
  train: object({
    batchSize: positive,
    lr: number({ min: 0, exclusiveMin: true }),
    clip: number({ min: 0 }),
    teacherForcing: number({ min: 0, max: 1 }),
    seed: uint32,
    maxLength: positive,
  }),
  vocabularies: object({ source: arrayOf(token), target: arrayOf(token) }),
  data: (v, path) => {
    const source = data(v, path);
    const pairs = object({ pairs: object({ train: count, dev: count, test: count }) })(v, path).pairs;
    return { source, pairs };
  },
  budget: object({ seconds: optional(number({ min: 0, exclusiveMin: true })), steps: optional(integer(1, Number.MAX_SAFE_INTEGER)) }),
  progress: object({
    seconds,
    epoch: count,
    batch: count,
    epochRandom: randomStateSchema,
    lossSum: number({ min: 0 }),
    lossCount: count,
    best: nullable(object({ step: count, seconds, score: number({ min: 0, max: 100 }) })),
  }),
  trainer: object({
    steps: count,
    pairs: count,
    tokens: count,
    random: randomStateSchema,
    optimizer: optimizerStateSchema,
  }),
  history: arrayOf(historyEntry),
});

/** A checked document. */
export type TranslatorDocument = ReturnType<typeof translatorDocument>;

