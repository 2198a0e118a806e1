/**
 * Training a {@link Sequential} model on plain arrays, like Keras'
 * `model.fit` or brain.js' `train`:
 *
 *   for each epoch:
 *     shuffle the training examples (seeded), cut them into batches, and for each batch
 *       pad it (lengths and masks), run the model, loss = mean over real examples/steps,
 *       zero the gradients, backpropagate, clip (optional), optimiser step
 *     evaluate on the validation set (no dropout, no recording)
 *     report to the callbacks; stop early when the monitored loss has not
 *     improved by more than minDelta for `patience` epochs
 *
 * Nothing here prints; {@link progressPrinter} is an opt-in callback that does.
 * A non-finite loss stops training before the parameters are updated.
 */
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop, SGD } from '../train/optim.js';
import { clipGradNorm, clipGradValue } from '../train/clip.js';
import { assertFiniteLoss } from '../train/loss.js';
import { Random } from '../random.js';
import { checkDataset, collate, type Dataset, type LossName } from './batch.js';
import { formatValue } from './layer-spec.js';
import { batchLoss, checkLoss, countCorrect } from './objective.js';
import { checkBatchSize, evaluateOn, range } from './predict.js';
import type { Sequential } from './sequential.js';

/** Optimisers by name (`torch.optim`'s, lower case). */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** The quantity watched (default 'valLoss' with validation data, else 'loss'). */
  monitor?: 'loss' | 'valLoss';
  /** Improvement means a decrease by more than this (default 0). */
  minDelta?: number;
  /**
   * At the end of training — stopped early or not — put back the weights of
   * the best epoch (default false: keep the last).
   */
  restoreBestWeights?: boolean;
}

/** What {@link FitCallbacks.onEpochEnd} receives. */
export interface EpochLog {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch's examples (or steps). */
  loss: number;
  /** crossEntropy only. */
  accuracy?: number;
  /** With validation data. */
  valLoss?: number;
  valAccuracy?: number;
}

/** What {@link FitCallbacks.onBatchEnd} receives. */
export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  /** The batch's mean loss. */
  loss: number;
  /** Examples in the batch. */
  size: number;
}

export interface FitCallbacks {
  onBatchEnd?(log: BatchLog): void;
  /** Return 'stop' to end training after this epoch. */
  onEpochEnd?(log: EpochLog): void | 'stop';
}

export interface FitOptions {
  loss: LossName;
  /** An optimiser over `model.params`, or a name (default 'adam'). */
  optimizer?: Optimizer | OptimizerName;
  /** Learning rate of a named optimiser (default: PyTorch's, and 0.01 for SGD). */
  lr?: number;
  /** Passes over the training data (default 10). */
  epochs?: number;
  /** Examples per update (default 32). */
  batchSize?: number;
  /** Reshuffle the training examples every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling (default 0). */
  seed?: number;
  /**
   * A labelled dataset to evaluate after every epoch, or a fraction in (0, 1):
   * that share of the examples, taken from the end before any shuffling, is
   * held out (Keras' `validation_split`).
   */
  validation?: Dataset | number;
  /** Scale the gradients to this global 2-norm at most (default none). */
  clipNorm?: number;
  /** Clamp every gradient to [−clipValue, clipValue] (default none). */
  clipValue?: number;
  earlyStopping?: EarlyStoppingOptions;
  callbacks?: FitCallbacks | readonly FitCallbacks[];
}

/** Per-epoch numbers (index 0 is epoch 1), like Keras' `History.history`. */
export interface History {
  loss: number[];
  /** crossEntropy only, else empty. */
  accuracy: number[];
  /** With validation data, else empty. */
  valLoss: number[];
  valAccuracy: number[];
  /** Epochs run. */
  epochs: number;
  /** The epoch with the lowest monitored loss (valLoss with validation data, else loss, unless earlyStopping.monitor says otherwise). */
  bestEpoch: number;
  /** Whether early stopping (or a callback) ended training before `epochs`. */
  stoppedEarly: boolean;
}

/** Trains `model` on `data`; returns the per-epoch history. */
export function fit(model: Sequential, data: Dataset, options: FitOptions): History {
  const where = 'fit';
  if (!options || typeof options !== 'object') throw new Error(`${where}: options must be an object with at least { loss: 'crossEntropy' | 'mse' }`);
  checkLoss(options.loss, where);
  checkDataset(data, where, 'data');
  const loss = options.loss;
  const epochs = positiveInt(options.epochs ?? 10, where, 'epochs');
  const batchSize = checkBatchSize(options.batchSize ?? 32, where);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`${where}: seed must be an integer, got ${formatValue(seed)}`);
  for (const key of ['clipNorm', 'clipValue'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw new Error(`${where}: ${key} must be a number > 0, got ${formatValue(v)}`);
  }
  const { train, validation } = splitValidation(data, options.validation, where);
  const stopping = options.earlyStopping ? checkEarlyStopping(options.earlyStopping, validation !== null, where) : null;
  const monitor = stopping?.monitor ?? (validation ? 'valLoss' : 'loss');
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as FitCallbacks];
  const optimizer = makeOptimizer(model, options.optimizer ?? 'adam', options.lr, where);

  // Every example is read once before training, so bad data fails before any update.
  for (const [set, name] of [[train, ''], [validation, 'validation.']] as const) {
    if (!set) continue;
    for (let s = 0; s < set.x.length; s += batchSize) collate(model, set, range(s, Math.min(s + batchSize, set.x.length)), loss, where, name);
  }

  const history: History = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], epochs: 0, bestEpoch: 0, stoppedEarly: false };
  const rng = new Random(seed);
  const order = range(0, train.x.length);
  const batches = Math.ceil(order.length / batchSize);
  let best = Infinity;
  let bestWeights: Float32Array | Float64Array | null = null;
  let sinceBest = 0;
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (options.shuffle ?? true) shuffle(order, rng);
    model.train();
    let total = 0;
    let counted = 0;
    let correct = 0;
    for (let k = 0; k < batches; k++) {
      const batch = collate(model, train, order.subarray(k * batchSize, (k + 1) * batchSize), loss, where, '');
      const output = model.apply(batch.input, { lengths: batch.lengths });
      const l = batchLoss(model, output, batch, loss);
      const value = l.item();
      assertFiniteLoss(value, ++step, where);
      optimizer.zeroGrad();
      l.backward();
      if (options.clipNorm !== undefined) clipGradNorm(model.params, options.clipNorm);
      if (options.clipValue !== undefined) clipGradValue(model.params, options.clipValue);
      optimizer.step();
      total += value * batch.count;
      counted += batch.count;
      if (loss === 'crossEntropy') correct += countCorrect(output.value, batch);
      for (const c of callbacks) c.onBatchEnd?.({ epoch, batch: k + 1, batches, loss: value, size: batch.size });
    }
    const log: EpochLog = { epoch, epochs, loss: total / counted };
    history.loss.push(log.loss);
    if (loss === 'crossEntropy') history.accuracy.push((log.accuracy = correct / counted));
    if (validation) {
      const v = evaluateOn(model, validation, loss, batchSize, where, 'validation.');
      history.valLoss.push((log.valLoss = v.loss));
      if (v.accuracy !== undefined) history.valAccuracy.push((log.valAccuracy = v.accuracy));
    }
    history.epochs = epoch;
    let stop = false;
    for (const c of callbacks) if (c.onEpochEnd?.(log) === 'stop') stop = true;

    const monitored = monitor === 'valLoss' ? (log.valLoss as number) : log.loss;
    if (monitored < best - (stopping?.minDelta ?? 0)) {
      best = monitored;
      history.bestEpoch = epoch;
      sinceBest = 0;
      if (stopping?.restoreBestWeights) bestWeights = model.params.data.slice();
    } else if (stopping && ++sinceBest >= stopping.patience) {
      stop = true;
    }
    if (stop && epoch < epochs) {
      history.stoppedEarly = true;
      break;
    }
  }
  if (bestWeights) model.params.data.set(bestWeights);
  return history;
}

/**
 * A callback that writes one line per epoch:
 * `epoch 3/20: loss 0.4123, accuracy 0.812, val loss 0.4410, val accuracy 0.790`.
 */
export function progressPrinter(write: (line: string) => void = console.log): FitCallbacks {
  return {
    onEpochEnd(log) {
      const parts = [`loss ${log.loss.toFixed(4)}`];
      if (log.accuracy !== undefined) parts.push(`accuracy ${log.accuracy.toFixed(3)}`);
      if (log.valLoss !== undefined) parts.push(`val loss ${log.valLoss.toFixed(4)}`);
      if (log.valAccuracy !== undefined) parts.push(`val accuracy ${log.valAccuracy.toFixed(3)}`);
      write(`epoch ${log.epoch}/${log.epochs}: ${parts.join(', ')}`);
    },
  };
}

/** The training set and the validation set (null without validation). */
function splitValidation(data: Dataset, validation: Dataset | number | undefined, where: string): { train: Dataset; validation: Dataset | null } {
  if (validation === undefined) return { train: data, validation: null };
  if (typeof validation !== 'number') {
    checkDataset(validation, where, 'validation');
    return { train: data, validation };
  }
  const n = data.x.length;
  const held = Math.round(n * validation);
  if (!(validation > 0 && validation < 1) || held < 1 || held >= n) {
    throw new Error(`${where}: a validation fraction must be in (0, 1) and leave at least one example on each side; ${validation} of ${n} examples holds out ${held}`);
  }
  return {
    train: { x: data.x.slice(0, n - held), y: data.y.slice(0, n - held) },
    validation: { x: data.x.slice(n - held), y: data.y.slice(n - held) },
  };
}

function checkEarlyStopping(o: EarlyStoppingOptions, hasValidation: boolean, where: string): Required<EarlyStoppingOptions> {
  const at = `${where}: earlyStopping`;
  const patience = positiveInt(o.patience, at, 'patience');
  const monitor = o.monitor ?? (hasValidation ? 'valLoss' : 'loss');
  if (monitor !== 'loss' && monitor !== 'valLoss') throw new Error(`${at}.monitor must be 'loss' or 'valLoss', got ${formatValue(monitor)}`);
  if (monitor === 'valLoss' && !hasValidation) throw new Error(`${at}.monitor is 'valLoss' but there is no validation data; pass options.validation`);
  const minDelta = o.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !(minDelta >= 0)) throw new Error(`${at}.minDelta must be a number ≥ 0, got ${formatValue(minDelta)}`);
  return { patience, monitor, minDelta, restoreBestWeights: o.restoreBestWeights ?? false };
}

/** The optimiser given, checked to update this model, or a new one by name. */
function makeOptimizer(model: Sequential, optimizer: Optimizer | OptimizerName, lr: number | undefined, where: string): Optimizer {
  if (typeof optimizer === 'object' && optimizer !== null) {
    if (optimizer.store !== model.params) throw new Error(`${where}: the optimizer updates another parameter store; build it on model.params`);
    if (lr !== undefined) throw new Error(`${where}: lr is for a named optimizer; set the learning rate on the optimizer instance`);
    return optimizer;
  }
  const p = model.params;
  const o = lr === undefined ? {} : { lr };
  switch (optimizer) {
    case 'adam': return new Adam(p, o);
    case 'adamw': return new AdamW(p, o);
    case 'sgd': return new SGD(p, { lr: lr ?? 0.01 });
    case 'rmsprop': return new RMSprop(p, o);
    case 'adagrad': return new Adagrad(p, o);
    default: throw new Error(`${where}: optimizer must be an Optimizer or one of adam, adamw, sgd, rmsprop, adagrad, got ${formatValue(optimizer)}`);
  }
}

/** Fisher–Yates shuffle in place. */
function shuffle(a: Int32Array, rng: Random): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
}

function positiveInt(v: unknown, where: string, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${formatValue(v)}`);
  return v;
}
