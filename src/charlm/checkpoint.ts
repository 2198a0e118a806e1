/**
 * Character-LM checkpoints: model weights (PyTorch names: `embedding.weight`,
 * `rnn.weight_ih_l0`, …, `decoder.bias`), optimiser buffers
 * (`optimizer.<buffer>`), and a JSON document (schema in ./document.ts) with
 * the model and training configuration, the vocabulary, the data's source
 * and fingerprint, the trainer's state and the history.
 *
 * Bytes in and bytes out here, in any host (a page loads what the command
 * line wrote, and writes the same bytes); files are ./checkpoint-file.ts
 * (Node). Parsing trusts nothing before it is checked: the bytes
 * (../io/checkpoint.ts: checksums), then the document's every field, then
 * the configuration against the tensors' names and shapes — all before the
 * model is allocated, so every size is bounded by what the bytes hold.
 */
import type { Backend } from '../backend/backend.js';
import { CheckpointError, checkpointLabel, parseCheckpoint, serializeCheckpoint } from '../io/checkpoint.js';
import { listSome, SchemaError } from '../io/schema.js';
import { OPTIMIZER_PREFIX, optimizerTensors, readOptimizerState } from '../io/training-state.js';
import type { OptimizerType } from '../train/optim.js';
import { formatShape, type Tensor } from '../tensor.js';
import type { Budget } from './budget.js';
import type { Fingerprint } from './text.js';
import { charLMDocument, type CharLMDocument } from './document.js';
import { CharLM, type CharLMConfig, checkConfig, parameterCount, parameterShapes, parameterTensorCount } from './model.js';
import type { CharLMTrainer, OptimizerName, TrainConfig, TrainerSnapshot } from './trainer.js';
import { Vocabulary } from './vocabulary.js';

export const CHARLM_KIND = 'recurrent.charlm';
const VERSION = 1;

const OPTIMIZER_TYPE: Readonly<Record<OptimizerName, OptimizerType>> = { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD', rmsprop: 'RMSprop', adagrad: 'Adagrad' };

/** Where the training text came from and how the run validates and ends, so a resumed run continues the same run. */
export interface DataInfo {
  /** Absolute path of the text file, or the built-in corpus's name. */
  source: string;
  validationFraction: number;
  /** Size and SHA-256 of the text (absent in checkpoints of earlier versions). */
  fingerprint?: Fingerprint;
  /** Cap on validation windows, null = all (absent in checkpoints of earlier versions). */
  validationWindows?: number | null;
  /** Training budget of the run (seconds of training and/or steps). */
  budget?: Budget;
}

export interface CharLMCheckpoint {
  model: CharLM;
  vocab: Vocabulary;
  config: CharLMConfig;
  train: TrainConfig;
  data: DataInfo;
  /** Trainer state (with optimiser buffers), to resume. */
  trainer: TrainerSnapshot;
}

/**
 * The checkpoint's bytes: model, vocabulary and trainer state, with
 * checksums (the bytes `saveCharLM` writes). `source` names the output in
 * messages.
 * @throws CheckpointError if a weight is not finite
 */
export function serializeCharLM(trainer: CharLMTrainer, vocab: Vocabulary, data: DataInfo, source?: string): Uint8Array {
  const snap = trainer.snapshot();
  const optimizer = optimizerTensors(snap.optimizer);
  const tensors = new Map<string, Tensor>([...Object.entries(trainer.model.params.stateDict()), ...optimizer.tensors]);
  return serializeCheckpoint({
    kind: CHARLM_KIND,
    version: VERSION,
    tensors,
    meta: {
      config: trainer.model.config,
      train: trainer.config,
      vocabulary: vocab.chars,
      data,
      trainer: { ...snap, optimizer: optimizer.document },
    },
  }, source);
}

/**
 * Parses and validates a checkpoint's bytes; the model holds its weights.
 * `source` names the input in messages (the file path when reading one).
 * @throws CheckpointError naming the field, tensor or value at fault.
 */
export function parseCharLM(bytes: Uint8Array, backend?: Backend, source?: string): CharLMCheckpoint {
  const { meta, tensors } = parseCheckpoint(bytes, CHARLM_KIND, VERSION, source);
  const bad = (what: string, cause?: unknown): CheckpointError => new CheckpointError(`${checkpointLabel(source)}: ${what}`, { cause });
  let doc: CharLMDocument;
  try {
    doc = charLMDocument(meta, '');
  } catch (e) {
    if (e instanceof SchemaError) throw bad(e.message, e);
    throw e;
  }
  const { config, train, data } = doc;
  let vocab: Vocabulary;
  try {
    vocab = new Vocabulary(doc.vocabulary);
  } catch (e) {
    throw bad(`vocabulary: ${(e as Error).message}`, e);
  }
  if (vocab.size !== config.vocabSize) throw bad(`the vocabulary has ${vocab.size} characters but config.vocabSize is ${config.vocabSize}`);

  const weights = new Map([...tensors].filter(([k]) => !k.startsWith(OPTIMIZER_PREFIX)));
  checkWeights(config, weights, bad);
  const optimizer = readOptimizerState(doc.trainer.optimizer, tensors, { type: OPTIMIZER_TYPE[train.optimizer], size: parameterCount(config), typeSource: `train.optimizer is ${train.optimizer}` }, bad);
  try {
    checkConfig(config);
  } catch (e) {
    throw bad(`invalid model config: ${(e as Error).message}`, e);
  }

  const model = new CharLM(config, backend);
  try {
    model.params.loadStateDict(weights);
  } catch (e) {
    throw bad(`weights do not fit the model: ${(e as Error).message}`, e);
  }
  return { model, vocab, config, train, data, trainer: { ...doc.trainer, optimizer } };
}

/**
 * The weight tensors must be exactly those of `config`, shape for shape —
 * checked before the model is built, so a config that claims a billion
 * layers or a huge hidden size is refused without allocating it.
 */
function checkWeights(config: CharLMConfig, weights: ReadonlyMap<string, Tensor>, bad: (what: string) => Error): void {
  const wanted = parameterTensorCount(config.numLayers);
  if (wanted > weights.size) {
    throw bad(`weights do not fit the model: config.numLayers ${config.numLayers} needs ${wanted.toLocaleString('en-US')} weight tensors, the file holds ${weights.size}`);
  }
  const shapes = new Map(parameterShapes(config));
  const missing = [...shapes.keys()].filter((n) => !weights.has(n));
  const unexpected = [...weights.keys()].filter((n) => !shapes.has(n));
  const misshaped = [...shapes].filter(([n, s]) => weights.has(n) && formatShape(weights.get(n)!.shape) !== formatShape(s));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${listSome(missing)}`);
  if (unexpected.length) problems.push(`unexpected ${listSome(unexpected)}`);
  for (const [n, s] of misshaped.slice(0, 10)) problems.push(`'${n}' has shape ${formatShape(weights.get(n)!.shape)}, the config needs ${formatShape(s)}`);
  if (misshaped.length > 10) problems.push(`and ${misshaped.length - 10} more of the wrong shape`);
  if (problems.length) throw bad(`weights do not fit the model (config: ${config.cell} ${config.numLayers}×${config.hiddenSize}, embedding ${config.embeddingSize}, vocabulary ${config.vocabSize}): ${problems.join('; ')}`);
}
