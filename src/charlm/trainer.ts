/**
 * Training a character-level language model.
 *
 * Each step draws `batchSize` independent windows of `seqLength + 1`
 * characters at random offsets of the training text, runs them from a zero
 * state, and minimises the mean cross-entropy of every next character:
 *   L = −(1/(T·B)) Σ_{t,b} log softmax(logits_{t,b})[id_{t+1,b}]
 * then clips the global gradient norm and takes an optimiser step.
 * Validation runs the held-out text as non-overlapping windows from a zero
 * state and reports nats/char (bits/char = nats / ln 2).
 *
 * Everything that decides the next step — parameters, optimiser state, the
 * batch sampler's and dropout's generators, the step count — is captured by
 * {@link CharLMTrainer.snapshot}, so a resumed run continues exactly.
 *
 * With `diagnostics`, each history entry also holds what the gradients and
 * gates did over its interval (./diagnostics.ts); they only read, so the run
 * is the same number for number. A snapshot says whether they are recorded,
 * and a trainer restored from it records them too; the interval a snapshot
 * was taken in restarts at the restore (its `steps` count says so).
 */
import { noGrad } from '../autograd/variable.js';
import { Random, type RandomState } from '../random.js';
import { clipGradNorm } from '../train/clip.js';
import { assertFiniteLoss, crossEntropy } from '../train/loss.js';
import { Adagrad, Adam, AdamW, type Optimizer, type OptimizerState, RMSprop, SGD } from '../train/optim.js';
import { DiagnosticsRecorder, type TrainingDiagnostics } from './diagnostics.js';
import type { CharLM } from './model.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';

export interface TrainConfig {
  seqLength: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** Global L2 norm the gradients are clipped to (0 = no clipping). */
  clip: number;
  /** Seed of the batch sampler. */
  seed: number;
}

/** One validation point of the training history. */
export interface HistoryEntry {
  step: number;
  /** Training time so far, in seconds (evaluation excluded). */
  seconds: number;
  trainLoss: number;
  validationLoss: number;
  /** What the steps since the previous entry showed (diagnostics on only). */
  diagnostics?: TrainingDiagnostics;
}

/** Everything needed to continue training exactly. */
export interface TrainerSnapshot {
  step: number;
  seconds: number;
  tokens: number;
  samplerRng: RandomState;
  dropoutRng: RandomState;
  optimizer: OptimizerState;
  history: HistoryEntry[];
  /** Whether diagnostics are recorded (absent: no). */
  diagnostics?: boolean;
}

export interface TrainerOptions {
  /** Record {@link TrainingDiagnostics} in each history entry (default false). */
  diagnostics?: boolean;
}

export function makeOptimizer(model: CharLM, name: OptimizerName, lr: number): Optimizer {
  switch (name) {
    case 'adam': return new Adam(model.params, { lr });
    case 'adamw': return new AdamW(model.params, { lr });
    case 'sgd': return new SGD(model.params, { lr, momentum: 0.9 });
    case 'rmsprop': return new RMSprop(model.params, { lr });
    case 'adagrad': return new Adagrad(model.params, { lr });
    default: throw new Error(`train: unknown optimizer '${String(name)}'; choose adam, adamw, sgd, rmsprop or adagrad`);
  }
}

export class CharLMTrainer {
  readonly optimizer: Optimizer;
  step = 0;
  /** Training seconds so far (evaluation excluded). */
  seconds = 0;
  tokens = 0;
  history: HistoryEntry[] = [];
  /** The diagnostics of the current interval, when recorded. */
  private diagnostics: DiagnosticsRecorder | null = null;
  private readonly sampler: Random;
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;

  constructor(
    readonly model: CharLM,
    readonly trainIds: Int32Array,
    readonly validationIds: Int32Array,
    readonly config: TrainConfig,
    options: TrainerOptions = {},
  ) {
    const { seqLength, batchSize } = config;
    if (!Number.isInteger(seqLength) || seqLength < 1) throw new Error(`train: sequence length must be a positive integer, got ${seqLength}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`train: batch size must be a positive integer, got ${batchSize}`);
    if (trainIds.length < seqLength + 1) {
      throw new Error(`train: the training text has ${trainIds.length} characters, fewer than one window of seqLength + 1 = ${seqLength + 1}`);
    }
    if (!(config.clip >= 0)) throw new Error(`train: clip norm must be ≥ 0, got ${config.clip}`);
    this.optimizer = makeOptimizer(model, config.optimizer, config.lr);
    this.sampler = new Random(config.seed);
    this.inputs = new Int32Array(seqLength * batchSize);
    this.targets = new Int32Array(seqLength * batchSize);
    if (options.diagnostics) this.recordDiagnostics();
  }

  /** Whether history entries get diagnostics. */
  get recordsDiagnostics(): boolean {
    return this.diagnostics !== null;
  }

  /** Records diagnostics from the next step on. */
  recordDiagnostics(): void {
    this.diagnostics ??= new DiagnosticsRecorder(this.model, this.config.clip);
  }

  /** One optimisation step on a fresh batch; returns its loss (nats/char). */
  trainStep(): number {
    const { seqLength: T, batchSize: B } = this.config;
    const started = performance.now();
    const maxOffset = this.trainIds.length - T - 1;
    for (let b = 0; b < B; b++) {
      const o = this.sampler.int(maxOffset + 1);
      for (let t = 0; t < T; t++) {
        this.inputs[t * B + b] = this.trainIds[o + t] as number;
        this.targets[t * B + b] = this.trainIds[o + t + 1] as number;
      }
    }
    const { value } = this.diagnostics ? this.diagnostics.observe(() => this.lossAndGradient()) : this.lossAndGradient();
    this.optimizer.step();
    this.checkParametersFinite();
    this.step++;
    this.tokens += T * B;
    this.seconds += (performance.now() - started) / 1000;
    return value;
  }

  /**
   * Forward and backward on the batch in `inputs`/`targets`, then the clip:
   * the loss and the global gradient norm before clipping.
   */
  private lossAndGradient(): { value: number; norm: number } {
    const { seqLength: T, batchSize: B, clip } = this.config;
    this.model.train();
    const { logits } = this.model.apply({ data: this.inputs, shape: [T, B] });
    const loss = crossEntropy(logits, { data: this.targets, shape: [T, B] }, { backend: this.model.rnn.backend });
    const value = loss.item();
    assertFiniteLoss(value, this.step + 1, 'train');
    this.optimizer.zeroGrad();
    loss.backward();
    // A non-finite gradient stops the run here, before it reaches the parameters.
    const norm = clip > 0 ? clipGradNorm(this.model.params, clip, 2, { errorIfNonfinite: false }) : gradientNorm(this.model.params.grad);
    if (!Number.isFinite(norm)) {
      throw new Error(`train: the gradient norm became ${norm} at step ${this.step + 1}; stopping before the parameters are updated (lower the learning rate or clip gradients)`);
    }
    return { value, norm };
  }

  /**
   * An update can overflow float32 even from a finite gradient (lr 1e308):
   * stop at the step that did it, naming it, rather than fail one step later
   * on a non-finite input deep inside the model. The model is then unusable
   * and is not saved (checkpoints refuse non-finite weights).
   */
  private checkParametersFinite(): void {
    const { data } = this.model.params;
    for (let i = 0; i < data.length; i++) {
      if (Number.isFinite(data[i] as number)) continue;
      const name = this.model.params.names().find((n) => {
        const r = this.model.params.ref(n);
        return i >= r.offset && i < r.offset + r.size;
      });
      throw new Error(`train: the update of step ${this.step + 1} made '${name}' ${data[i]} (the learning rate ${this.config.lr} is too large); stopping, the last checkpoint is kept`);
    }
  }

  /**
   * Mean cross-entropy (nats/char) of `ids` cut into non-overlapping windows
   * of `window` characters (the last partial window dropped), `batch` at a time,
   * each from a zero state. `maxWindows` caps the work (evenly spaced windows).
   */
  evaluate(ids: Int32Array = this.validationIds, { window = 256, batch = 64, maxWindows = Infinity } = {}): number {
    return evaluateCharLM(this.model, ids, { window, batch, maxWindows });
  }

  /** Records a validation point in the history. */
  record(trainLoss: number, validationLoss: number): HistoryEntry {
    const entry: HistoryEntry = { step: this.step, seconds: this.seconds, trainLoss, validationLoss };
    const diagnostics = this.diagnostics?.summary();
    if (diagnostics) entry.diagnostics = diagnostics;
    this.diagnostics?.reset();
    this.history.push(entry);
    return entry;
  }

  snapshot(): TrainerSnapshot {
    return {
      step: this.step,
      seconds: this.seconds,
      tokens: this.tokens,
      samplerRng: this.sampler.getState(),
      dropoutRng: this.model.rnn.rng.getState(),
      optimizer: this.optimizer.stateDict(),
      history: this.history.map(copyEntry),
      ...(this.diagnostics ? { diagnostics: true } : {}),
    };
  }

  restore(s: TrainerSnapshot): void {
    this.optimizer.loadStateDict(s.optimizer);
    this.sampler.setState(s.samplerRng);
    this.model.rnn.rng.setState(s.dropoutRng);
    this.step = s.step;
    this.seconds = s.seconds;
    this.tokens = s.tokens;
    this.history = s.history.map(copyEntry);
    if (s.diagnostics) this.recordDiagnostics();
  }
}

function copyEntry(h: HistoryEntry): HistoryEntry {
  return h.diagnostics ? { ...h, diagnostics: structuredClone(h.diagnostics) } : { ...h };
}

function gradientNorm(g: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += (g[i] as number) * (g[i] as number);
  return Math.sqrt(sum);
}

/** Mean cross-entropy in nats/char of a model on `ids` (see {@link CharLMTrainer.evaluate}). */
export function evaluateCharLM(model: CharLM, ids: Int32Array, { window = 256, batch = 64, maxWindows = Infinity } = {}): number {
  const available = Math.floor((ids.length - 1) / window);
  if (available < 1) throw new Error(`evaluate: the text has ${ids.length} characters, fewer than one window of ${window + 1}`);
  const count = Math.min(available, maxWindows);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(Math.floor((i * available) / count) * window);
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  try {
    noGrad(() => {
      for (let first = 0; first < starts.length; first += batch) {
        const B = Math.min(batch, starts.length - first);
        const inputs = new Int32Array(window * B);
        const targets = new Int32Array(window * B);
        for (let b = 0; b < B; b++) {
          const o = starts[first + b] as number;
          for (let t = 0; t < window; t++) {
            inputs[t * B + b] = ids[o + t] as number;
            targets[t * B + b] = ids[o + t + 1] as number;
          }
        }
        const { logits } = model.apply({ data: inputs, shape: [window, B] });
        total += crossEntropy(logits, { data: targets, shape: [window, B] }, { reduction: 'sum', backend: model.rnn.backend }).item();
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return total / (count * window);
}
