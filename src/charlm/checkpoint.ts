/**
 * Character-LM checkpoints: model weights (PyTorch names: `embedding.weight`,
 * `rnn.weight_ih_l0`, …, `decoder.bias`), optimiser buffers
 * (`optimizer.<buffer>`), and a JSON document with the model and training
 * configuration, the vocabulary, the trainer's state and the history.
 */
import type { Backend } from '../backend/backend.js';
import { readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import type { OptimizerState } from '../train/optim.js';
import type { Tensor } from '../tensor.js';
import { CharLM, type CharLMConfig, checkConfig } from './model.js';
import type { CharLMTrainer, TrainConfig, TrainerSnapshot } from './trainer.js';
import { Vocabulary } from './vocabulary.js';

export const CHARLM_KIND = 'recurrent.charlm';
const VERSION = 1;
const OPTIMIZER_PREFIX = 'optimizer.';

/** Where the training text came from and the run's budget, so a resumed run continues the same run. */
export interface DataInfo {
  source: string;
  validationFraction: number;
  /** Training budget of the run (seconds of training and/or steps). */
  budget?: { seconds?: number; steps?: number };
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

/** Saves model, vocabulary and trainer state atomically. */
export function saveCharLM(path: string, trainer: CharLMTrainer, vocab: Vocabulary, data: DataInfo): void {
  const snap = trainer.snapshot();
  const tensors = new Map<string, Tensor>(Object.entries(trainer.model.params.stateDict()));
  const buffers: Record<string, number[] | null> = {};
  for (const [name, values] of Object.entries(snap.optimizer.buffers)) {
    if (values) tensors.set(OPTIMIZER_PREFIX + name, { data: Float32Array.from(values), shape: [values.length] });
    buffers[name] = null;
  }
  writeCheckpoint(path, {
    kind: CHARLM_KIND,
    version: VERSION,
    tensors,
    meta: {
      config: trainer.model.config,
      train: trainer.config,
      vocabulary: vocab.chars,
      data,
      trainer: { ...snap, optimizer: { ...snap.optimizer, buffers, present: Object.keys(snap.optimizer.buffers).filter((k) => snap.optimizer.buffers[k]) } },
    },
  });
}

/** Loads and validates a checkpoint; the model holds its weights. */
export function loadCharLM(path: string, backend?: Backend): CharLMCheckpoint {
  const { meta, tensors } = readCheckpoint(path, CHARLM_KIND, VERSION);
  const bad = (what: string): Error => new Error(`checkpoint (${path}): ${what}`);
  const config = meta.config as CharLMConfig;
  try {
    checkConfig(config);
  } catch (e) {
    throw bad(`invalid model config: ${(e as Error).message}`);
  }
  const chars = meta.vocabulary;
  if (!Array.isArray(chars) || chars.some((c) => typeof c !== 'string')) throw bad('vocabulary must be a list of characters');
  let vocab: Vocabulary;
  try {
    vocab = new Vocabulary(chars as string[]);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (vocab.size !== config.vocabSize) throw bad(`vocabulary has ${vocab.size} characters but the model expects ${config.vocabSize}`);
  const model = new CharLM(config, backend);
  const weights = new Map([...tensors].filter(([k]) => !k.startsWith(OPTIMIZER_PREFIX)));
  try {
    model.params.loadStateDict(weights);
  } catch (e) {
    throw bad(`weights do not fit the model: ${(e as Error).message}`);
  }
  const trainer = meta.trainer as (TrainerSnapshot & { optimizer: OptimizerState & { present?: string[] } }) | undefined;
  if (!trainer || typeof trainer !== 'object' || !trainer.optimizer || typeof trainer.step !== 'number') throw bad('missing trainer state');
  const buffers: Record<string, number[] | null> = {};
  for (const name of Object.keys(trainer.optimizer.buffers ?? {})) {
    const t = tensors.get(OPTIMIZER_PREFIX + name);
    buffers[name] = t ? Array.from(t.data) : null;
  }
  for (const name of trainer.optimizer.present ?? []) if (!buffers[name]) throw bad(`optimizer buffer '${name}' is missing`);
  const { present: _present, ...optimizer } = trainer.optimizer;
  void _present;
  const data = meta.data as DataInfo;
  if (!data || typeof data.source !== 'string') throw bad('missing data description');
  return { model, vocab, config, train: meta.train as TrainConfig, data, trainer: { ...trainer, optimizer: { ...optimizer, buffers } } };
}
