/**
 * Online learning with RTRL (Williams & Zipser 1989, "A Learning Algorithm for
 * Continually Running Fully Recurrent Neural Networks", the real-time
 * setting): a recurrent layer plus a {@link Linear} readout y_t = W_out h_t + b_out,
 * trained on a stream by one optimiser step after every time step on
 *
 *   ℓ_t = 1/(2B) Σ_b ‖y_t,b − target_t,b‖²
 *
 * The readout's gradient and ∂ℓ_t/∂h_t come from the tape (Linear, then
 * `mse`); the layer's gradient is (∂ℓ_t/∂h_t) S^h_t from {@link RTRL}. The
 * sensitivities are kept across the updates, so S_t mixes derivatives taken at
 * slightly different weights — the standard online approximation, exact in
 * the limit of small step sizes.
 *
 * The optimisers are the library's ({@link ./optim.ts}), one per store: plain
 * SGD by default. The layer's optimiser steps the layer's whole store (shared
 * with other modules, it steps theirs too, from whatever gradient they hold).
 *
 * Example:
 *   const learner = new OnlineRTRL(new RNN({ inputSize: 1, hiddenSize: 8, dtype: 'float64' }),
 *                                  { outputSize: 1, learningRate: 0.05 });
 *   learner.reset();
 *   for (const [x, y] of stream) loss = learner.step(x, y);
 */
import { leaf } from '../autograd/variable.js';
import { Linear } from '../layers/linear.js';
import type { ParameterStore } from '../params.js';
import type { Tensor } from '../tensor.js';
import { checkMatrix, type ForwardModeLayer, type ForwardModeOptions } from './cell-jacobians.js';
import { mse } from './loss.js';
import { type Optimizer, SGD } from './optim.js';
import { RTRL } from './rtrl.js';

export interface OnlineRTRLOptions extends ForwardModeOptions {
  /** Size of the readout y = W_out h + b_out. */
  outputSize: number;
  /** Step size of the recurrent and readout parameters. */
  learningRate: number;
  /** Step size of the readout, when it should differ (default `learningRate`). */
  readoutLearningRate?: number;
  /** Seed of the readout initialisation U(−1/√H, 1/√H), `Linear`'s (default 0). */
  seed?: number;
  /** Builds the optimiser of a store with the given step size (default `new SGD(store, { lr })`). */
  optimizer?: (store: ParameterStore, lr: number) => Optimizer;
}

export class OnlineRTRL {
  readonly rtrl: RTRL;
  readonly outputSize: number;
  /** The readout, in float64: parameters `weight` (O, H) and `bias` (O), as `torch.nn.Linear`. */
  readonly readout: Linear;
  /** Optimiser of the layer's store, and of the readout's. */
  readonly optimizer: Optimizer;
  readonly readoutOptimizer: Optimizer;
  private readonly prediction: Float64Array;
  /** ℓ_t = mse_sum / (2B): the seed of the backward pass. */
  private readonly lossSeed: Tensor;
  private readonly targetValue: Tensor;
  private lastLoss = Number.NaN;

  constructor(readonly layer: ForwardModeLayer, options: OnlineRTRLOptions) {
    const m = 'OnlineRTRL';
    const O = options?.outputSize;
    if (typeof O !== 'number' || !Number.isInteger(O) || O < 1) throw new Error(`${m}: outputSize must be a positive integer, got ${String(O)}`);
    for (const key of ['learningRate', 'readoutLearningRate'] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        throw new Error(`${m}: ${key} must be a finite non-negative number, got ${String(v)}`);
      }
    }
    if (options.learningRate === undefined) throw new Error(`${m}: learningRate is required`);
    this.rtrl = new RTRL(layer, options);
    this.outputSize = O;
    const B = this.rtrl.batchSize;
    this.readout = new Linear({ inFeatures: this.rtrl.hiddenSize, outFeatures: O, dtype: 'float64', seed: options.seed ?? 0 });
    const makeOptimizer = options.optimizer ?? ((store: ParameterStore, lr: number): Optimizer => new SGD(store, { lr }));
    this.optimizer = makeOptimizer(layer.params, options.learningRate);
    this.readoutOptimizer = makeOptimizer(this.readout.params, options.readoutLearningRate ?? options.learningRate);
    this.prediction = new Float64Array(B * O);
    this.lossSeed = { data: Float64Array.of(1 / (2 * B)), shape: [] };
    this.targetValue = { data: new Float64Array(B * O), shape: [B, O] };
  }

  /** Step size of the layer's optimiser. */
  get learningRate(): number {
    return this.optimizer.lr;
  }

  set learningRate(lr: number) {
    this.optimizer.lr = lr;
  }

  /** Step size of the readout's optimiser. */
  get readoutLearningRate(): number {
    return this.readoutOptimizer.lr;
  }

  set readoutLearningRate(lr: number) {
    this.readoutOptimizer.lr = lr;
  }

  /** The prediction y_t (B, O) of the last step, made before that step's update. */
  get output(): Float64Array {
    return this.prediction;
  }

  /** ℓ_t of the last step. */
  get loss(): number {
    return this.lastLoss;
  }

  /** Starts a new stream: state h0, c0 or zeros, sensitivities zero. Weights are kept. */
  reset(h0?: ArrayLike<number> | null, c0?: ArrayLike<number> | null): void {
    this.rtrl.reset(h0, c0);
  }

  /**
   * Consumes x_t (B, I), predicts y_t from h_t, and takes one optimiser step
   * on every parameter with ∂ℓ_t/∂θ (RTRL for the layer, exact for the
   * readout). Returns ℓ_t.
   */
  step(x: ArrayLike<number>, target: ArrayLike<number>): number {
    const rtrl = this.rtrl;
    const B = rtrl.batchSize;
    checkMatrix('OnlineRTRL.step', 'target', target, B, this.outputSize, 'outputSize');
    this.targetValue.data.set(target);
    const h = leaf({ data: rtrl.step(x), shape: [B, rtrl.hiddenSize] });
    const y = this.readout.apply(h);
    this.prediction.set(y.data);
    const loss = mse(y, this.targetValue, 'sum');
    loss.backward(this.lossSeed); // readout gradients, and ∂ℓ/∂h into h.grad
    rtrl.accumulate(h.grad);
    this.optimizer.step();
    this.readoutOptimizer.step();
    this.optimizer.zeroGrad();
    this.readoutOptimizer.zeroGrad();
    this.lastLoss = loss.item() / (2 * B);
    return this.lastLoss;
  }
}
