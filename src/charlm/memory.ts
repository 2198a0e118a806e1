/**
 * A rough upper estimate of the memory a training run needs, computed from
 * the configuration before anything is allocated, so an impossible size is
 * refused in a moment instead of after minutes of swapping.
 *
 * With P parameters, k optimiser buffers, T×B the larger of a training batch
 * (seqLength × batchSize) and a validation batch (256 × 64), E, H, V, L, G =
 * gates·H as in the model:
 *   parameters and gradients     2P floats
 *   optimiser buffers            kP floats
 *   a checkpoint being written   P(1 + k) floats as float32 + kP as float64 (the state's arrays)
 *   activations of one step      T·B·(E + L·(2G + 3H) + 3V) floats, twice (forward caches and backward workspaces)
 * at 4 bytes per float32 and 8 per float64.
 */
import { cellKinds } from '../cells/index.js';
import { type CharLMConfig, parameterCount } from './model.js';
import type { OptimizerName, TrainConfig } from './trainer.js';

/** Flat state buffers each optimiser keeps (as the trainer configures them). */
const OPTIMIZER_BUFFERS: Readonly<Record<OptimizerName, number>> = { adam: 2, adamw: 2, sgd: 1, rmsprop: 1, adagrad: 1 };

/** Estimated bytes of a run of this model and training configuration. */
export function trainingMemory(config: CharLMConfig, train: Pick<TrainConfig, 'seqLength' | 'batchSize' | 'optimizer'>): number {
  const P = parameterCount(config);
  const k = OPTIMIZER_BUFFERS[train.optimizer] ?? 2;
  const G = cellKinds[config.cell].gates * config.hiddenSize;
  const H = config.hiddenSize;
  const tokens = Math.max(train.seqLength * train.batchSize, 256 * 64);
  const activations = 2 * tokens * (config.embeddingSize + config.numLayers * (2 * G + 3 * H) + 3 * config.vocabSize);
  return 4 * (P * (2 + k) + P * (1 + k) + activations) + 8 * k * P;
}

/** `1.5 GB`, `320 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toPrecision(3)} ${units[u]}`;
}

/**
 * Throws, before anything is allocated, when the run's estimated memory
 * ({@link trainingMemory}) exceeds `limitBytes`.
 */
export function checkTrainingMemory(config: CharLMConfig, train: Pick<TrainConfig, 'seqLength' | 'batchSize' | 'optimizer'>, limitBytes: number): void {
  const need = trainingMemory(config, train);
  if (need > limitBytes) {
    throw new Error(`train: this model would need about ${formatBytes(need)} of memory (${parameterCount(config).toLocaleString('en-US')} parameters), more than the ${formatBytes(limitBytes)} allowed; choose a smaller model or batch (or --force to try anyway)`);
  }
}
