/**
 * Translation checkpoints: the Seq2Seq weights (PyTorch-style names:
 * `encoder.embedding.weight`, `encoder.rnn.weight_ih_l0`, …,
 * `decoder.output.bias`), the optimiser's buffers (`optimizer.<buffer>`), and
 * a JSON document (schema in ./document.ts) with the configuration, both
 * vocabularies, the data (task, file path and fingerprint, split sizes), the
 * budget, the run's progress, the trainer's state and the history.
 *
 * Bytes in and bytes out here, in any host (a page loads what the command
 * line wrote, and writes the same bytes); files are ./checkpoint-file.ts
 * (Node). Parsing trusts nothing before it is checked: the bytes
 * (../io/checkpoint.ts: checksums, kind), then the document's every field,
 * then the vocabularies against the configuration, then the configuration's
 * sizes against the tensors' shapes — before the model is allocated, so
 * every size is bounded by what the bytes hold — and only then the weights
 * by name.
 */
import type { Backend } from '../backend/backend.js';
import type { Budget } from '../charlm/budget.js';
import { CheckpointError, checkpointLabel, parseCheckpoint, serializeCheckpoint } from '../io/checkpoint.js';
import { SchemaError } from '../io/schema.js';
import { OPTIMIZER_PREFIX, optimizerTensors, readOptimizerState } from '../io/training-state.js';
import { formatShape, type Tensor } from '../tensor.js';
import { translatorDocument, type TranslatorDocument } from './document.js';
import { completeConfig, Seq2Seq, type Seq2SeqConfig } from './model.js';
import type { HistoryEntry, RunProgress, TranslationTrainConfig } from './run.js';
import type { TaskSource } from './task.js';
import { TokenVocabulary } from './token-vocabulary.js';
import type { Seq2SeqTrainer, Seq2SeqTrainerSnapshot } from './trainer.js';

export const TRANSLATOR_KIND = 'recurrent.translate';
const VERSION = 1;

/** Pairs in each split of the task. */
export interface SplitSizes {
  train: number;
  dev: number;
  test: number;
}

/** What a checkpoint holds besides the model and the trainer. */
export interface TranslatorRecord {
  train: TranslationTrainConfig;
  sourceVocabulary: TokenVocabulary;
  targetVocabulary: TokenVocabulary;
  data: TaskSource;
  pairs: SplitSizes;
  budget: Budget;
  progress: RunProgress;
  history: readonly HistoryEntry[];
}

export interface TranslatorCheckpoint extends TranslatorRecord {
  model: Seq2Seq;
  config: Seq2SeqConfig;
  /** The trainer's state (with optimiser buffers), to resume. */
  trainer: Seq2SeqTrainerSnapshot;
}

/**
 * The checkpoint's bytes: the model, the trainer's state and the record,
 * with checksums (the bytes `saveTranslator` writes). `source` names the
 * output in messages.
 * @throws CheckpointError if a weight is not finite
 */
export function serializeTranslator(trainer: Seq2SeqTrainer, record: TranslatorRecord, source?: string): Uint8Array {
  const snap = trainer.snapshot();
  const optimizer = optimizerTensors(snap.optimizer);
  const tensors = new Map<string, Tensor>([...Object.entries(trainer.model.stateDict()), ...optimizer.tensors]);
  return serializeCheckpoint({
    kind: TRANSLATOR_KIND,
    version: VERSION,
    tensors,
    meta: {
      config: trainer.model.config,
      train: record.train,
      vocabularies: { source: record.sourceVocabulary.tokens, target: record.targetVocabulary.tokens },
      data: { ...record.data, pairs: record.pairs },
      budget: record.budget,
      progress: record.progress,
      trainer: { ...snap, optimizer: optimizer.document },
      history: record.history.map((h) => ({ ...h, trainLoss: finiteOrNull(h.trainLoss), bleu: finiteOrNull(h.bleu), multiReferenceBleu: finiteOrNull(h.multiReferenceBleu), accuracy: finiteOrNull(h.accuracy) })),
    },
  }, source);
}

/**
 * Parses and validates a checkpoint's bytes; the model holds its weights.
 * `source` names the input in messages (the file path when reading one).
 * @throws CheckpointError naming the field, tensor or value at fault
 *   (a CheckpointKindError for a checkpoint of another kind).
 */
export function parseTranslator(bytes: Uint8Array, backend?: Backend, source?: string): TranslatorCheckpoint {
  const { meta, tensors } = parseCheckpoint(bytes, TRANSLATOR_KIND, VERSION, source);
  const bad = (what: string, cause?: unknown): CheckpointError => new CheckpointError(`${checkpointLabel(source)}: ${what}`, { cause });
  let doc: TranslatorDocument;
  try {
    doc = translatorDocument(meta, '');
  } catch (e) {
    if (e instanceof SchemaError) throw bad(e.message, e);
    throw e;
  }
  const vocabulary = (side: 'source' | 'target'): TokenVocabulary => {
    try {
      return new TokenVocabulary(doc.vocabularies[side], `vocabularies.${side}`);
    } catch (e) {
      throw bad((e as Error).message, e);
    }
  };
  const sourceVocabulary = vocabulary('source');
  const targetVocabulary = vocabulary('target');
  const configured = doc.config;
  if (sourceVocabulary.size !== configured.sourceVocabSize || targetVocabulary.size !== configured.targetVocabSize) {
    throw bad(`the vocabularies hold ${sourceVocabulary.size} source and ${targetVocabulary.size} target tokens, but config says ${configured.sourceVocabSize} and ${configured.targetVocabSize}`);
  }
  const weights = new Map([...tensors].filter(([k]) => !k.startsWith(OPTIMIZER_PREFIX)));
  checkSizes(configured, weights, bad);
  let config: Seq2SeqConfig;
  try {
    config = completeConfig(configured);
  } catch (e) {
    throw bad(`invalid model config: ${(e as Error).message}`, e);
  }

  const model = new Seq2Seq(config, backend ? { backend } : {});
  try {
    model.loadStateDict(weights);
  } catch (e) {
    throw bad(`weights do not fit the model: ${(e as Error).message}`, e);
  }
  const optimizer = readOptimizerState(doc.trainer.optimizer, tensors, { type: 'Adam', size: model.params.size, typeSource: 'translation models train with Adam' }, bad);
  return {
    model, config, train: doc.train, sourceVocabulary, targetVocabulary, data: doc.data.source, pairs: doc.data.pairs,
    budget: doc.budget, progress: doc.progress, trainer: { ...doc.trainer, optimizer }, history: doc.history,
  };
}

/** NaN (not measured) as null, so the document is JSON. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The gate rows of a cell: r|z|n for GRU, i|f|g|o for LSTM. */
const GATES: Readonly<Record<Seq2SeqConfig['cell'], number>> = { gru: 3, lstm: 4, rnn_tanh: 1, rnn_relu: 1, rnn_leaky_relu: 1 };

/**
 * The configuration's sizes must be those of the tensors — checked before the
 * model is built, so a document claiming a billion layers or a huge hidden
 * size is refused without allocating it. (Everything else is checked by name
 * and shape when the weights are loaded.)
 */
function checkSizes(c: TranslatorDocument['config'], weights: ReadonlyMap<string, Tensor>, bad: (what: string) => Error): void {
  const H = c.hiddenSize;
  const expected: [string, number[]][] = [
    ['encoder.embedding.weight', [c.sourceVocabSize, c.embeddingSize]],
    ['decoder.embedding.weight', [c.targetVocabSize, c.embeddingSize]],
    ['decoder.output.weight', [c.targetVocabSize, H]],
    [`encoder.rnn.weight_hh_l${c.numLayers - 1}`, [GATES[c.cell] * H, H]],
    [`decoder.rnn.weight_hh_l${c.numLayers - 1}`, [GATES[c.cell] * H, H]],
  ];
  if (c.attention === 'projected' || c.attention === 'bahdanau') expected.push(['decoder.attention.query.weight', [c.attentionSize, H]]);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) problems.push(`no tensor '${name}'`);
    else if (formatShape(t.shape) !== formatShape(shape)) problems.push(`'${name}' has shape ${formatShape(t.shape)}, the config needs ${formatShape(shape)}`);
  }
  if (problems.length) {
    throw bad(`weights do not fit the model (config: ${c.cell} ${c.numLayers}×${H}, embedding ${c.embeddingSize}, vocabularies ${c.sourceVocabSize} → ${c.targetVocabSize}, attention ${c.attention}): ${problems.join('; ')}`);
  }
}
