/**
 * Training a {@link Seq2Seq}: one optimisation step per batch of pairs.
 *
 *   L = mean cross-entropy of the batch's target tokens (teacher forcing, PAD ignored)
 *   g = ∇L,  clipped to global L2 norm ≤ clip (Pascanu et al. 2013),  θ ← optimiser step
 *
 * Defaults are the benchmark's: Adam (Kingma & Ba 2015) at 1e-3, clip 5,
 * teacher forcing 1. With a teacher-forcing ratio below 1 the trainer's
 * seeded generator decides, step by step, whether the decoder is fed the
 * reference token or its own most likely one (see ./decoder.ts).
 * {@link Seq2SeqTrainer.snapshot} holds everything that decides the next
 * step besides the parameters, so a resumed run continues exactly.
 *
 * Example:
 *   const trainer = new Seq2SeqTrainer(model, { lr: 1e-3, clip: 5 });
 *   for (const batch of batches) console.log(trainer.step(batch));
 */
import { noGrad } from '../autograd/variable.js';
import { Random, type RandomState } from '../random.js';
import { clipGradNorm } from '../train/clip.js';
import { assertFiniteLoss } from '../train/loss.js';
import { Adam, type Optimizer, type OptimizerState } from '../train/optim.js';
import type { PairBatch } from './batch.js';
import type { Seq2Seq } from './model.js';

export interface Seq2SeqTrainerOptions {
  /** The optimiser over `model.params` (default: Adam at `lr`). */
  optimizer?: Optimizer;
  /** Learning rate of the default Adam (default 1e-3). */
  lr?: number;
  /** Global L2 norm the gradients are clipped to; 0 = no clipping (default 5). */
  clip?: number;
  /** Probability that a decoder input is the reference token (default 1). */
  teacherForcing?: number;
  /** Seed of the teacher-forcing draws (default 0). */
  seed?: number;
}

/** Everything besides the parameters that decides the next step. */
export interface Seq2SeqTrainerSnapshot {
  steps: number;
  pairs: number;
  tokens: number;
  random: RandomState;
  optimizer: OptimizerState;
}

export class Seq2SeqTrainer {
  readonly optimizer: Optimizer;
  readonly clip: number;
  readonly teacherForcing: number;
  readonly random: Random;
  /** Optimisation steps taken. */
  steps = 0;
  /** Pairs and target tokens (<eos> included) trained on. */
  pairs = 0;
  tokens = 0;
  /** The gradient norm of the last step, before clipping. */
  gradNorm = Number.NaN;

  constructor(readonly model: Seq2Seq, options: Seq2SeqTrainerOptions = {}) {
    const where = 'Seq2SeqTrainer';
    this.optimizer = options.optimizer ?? new Adam(model.params, { lr: options.lr ?? 1e-3 });
    if (this.optimizer.store !== model.params) throw new Error(`${where}: the optimiser must update the model's parameters (model.params)`);
    this.clip = options.clip ?? 5;
    if (typeof this.clip !== 'number' || !(this.clip >= 0)) throw new Error(`${where}: clip must be a number ≥ 0, got ${String(options.clip)}`);
    this.teacherForcing = options.teacherForcing ?? 1;
    if (typeof this.teacherForcing !== 'number' || !(this.teacherForcing >= 0 && this.teacherForcing <= 1)) {
      throw new Error(`${where}: teacherForcing must be a probability in [0, 1], got ${String(options.teacherForcing)}`);
    }
    this.random = new Random(options.seed ?? 0);
  }

  /** One optimisation step on `batch`; returns its loss (mean nats per target token). */
  step(batch: PairBatch): number {
    const loss = this.model.loss(batch, { teacherForcing: this.teacherForcing, random: this.random });
    const value = loss.item();
    assertFiniteLoss(value, this.steps + 1, 'Seq2SeqTrainer');
    this.optimizer.zeroGrad();
    loss.backward();
    // A non-finite gradient stops here, before it reaches the parameters.
    const norm = clipGradNorm(this.model.params, this.clip > 0 ? this.clip : Infinity, 2, { errorIfNonfinite: false });
    if (!Number.isFinite(norm)) {
      throw new Error(`Seq2SeqTrainer: the gradient norm became ${norm} at step ${this.steps + 1}; stopping before the parameters are updated (lower the learning rate or clip gradients)`);
    }
    this.gradNorm = norm;
    this.optimizer.step();
    this.steps++;
    this.pairs += batch.batchSize;
    for (const n of batch.targetLengths) this.tokens += n;
    return value;
  }

  /** The batch's loss with full teacher forcing, without recording or updating. */
  evaluate(batch: PairBatch): number {
    return noGrad(() => this.model.loss(batch).item());
  }

  snapshot(): Seq2SeqTrainerSnapshot {
    return { steps: this.steps, pairs: this.pairs, tokens: this.tokens, random: this.random.getState(), optimizer: this.optimizer.stateDict() };
  }

  /** Restores a {@link snapshot} (the parameters are restored apart, with the model's state dict). */
  restore(s: Seq2SeqTrainerSnapshot): void {
    this.optimizer.loadStateDict(s.optimizer);
    this.random.setState(s.random);
    this.steps = s.steps;
    this.pairs = s.pairs;
    this.tokens = s.tokens;
  }
}
