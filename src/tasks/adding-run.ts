/**
 * Training runs on the adding problem, shared by `recurrent lab tasks`
 * (src/lab/tasks.ts), `examples/adding.ts` and the numbers in
 * `docs/classic-tasks.md`: the same code at full size and at test size.
 *
 * {@link runAdding} trains one recurrent layer of any {@link CellType} on the
 * adding problem ({@link addingProblem}), read out from the last hidden state
 * through a Linear; Adam (Kingma & Ba 2015) on the MSE, global gradient-norm
 * clipping (Pascanu, Mikolov & Bengio 2013). The layer starts from PyTorch's
 * default initialisation or, for the Elman cells, from the IRNN
 * initialisation (Le, Jaitly & Hinton 2015).
 *
 * Every run is deterministic given its seed: the model, the training stream
 * and the test set each draw from their own seeded generator.
 */
import { noGrad, constant, type Variable } from '../autograd/variable.js';
import { reshape } from '../autograd/ops.js';
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/index.js';
import { identity, zerosInit } from '../init.js';
import type { GRU } from '../layers/gru.js';
import { Linear } from '../layers/linear.js';
import type { LSTM } from '../layers/lstm.js';
import { recurrentLayer } from '../layers/recurrent-layer.js';
import type { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import { Random } from '../random.js';
import type { DType, Tensor } from '../tensor.js';
import { clipGradNorm } from '../train/clip.js';
import { assertFiniteLoss, mse } from '../train/loss.js';
import { Adam } from '../train/optim.js';
import { type AddingBatch, addingProblem, constantPredictionMse } from './adding.js';

/**
 * A model for the adding problem: a recurrent layer of one {@link CellType},
 * input size 2, and how it starts:
 * - 'default': PyTorch's U(±1/√H) for every weight and bias.
 * - 'identity' (Elman cells only): W_hh = I, b_ih = b_hh = 0 and
 *   W_ih ~ N(0, σ²), σ = `inputStd` — with 'rnn_relu' the IRNN of Le, Jaitly
 *   & Hinton 2015.
 * The readout is `Linear(H → 1)` with PyTorch's default init in every case.
 */
export interface AddingModel {
  cell: CellType;
  /** Initialisation of the recurrent layer (default 'default'). */
  init?: 'default' | 'identity';
  /** σ of the input weights under the 'identity' init (default 0.001). */
  inputStd?: number;
}

/**
 * The three models of the comparison in docs/classic-tasks.md, by the names
 * `examples/adding.ts --model` takes: an LSTM (Hochreiter & Schmidhuber
 * 1997), an IRNN and a tanh RNN, the two LSTM and tanh with PyTorch's
 * default init.
 */
export const ADDING_MODELS = {
  lstm: { cell: 'lstm' },
  irnn: { cell: 'rnn_relu', init: 'identity' },
  tanh: { cell: 'rnn_tanh' },
} as const satisfies Record<string, AddingModel>;

/** Options of {@link runAdding}. */
export interface AddingRunOptions {
  model: AddingModel;
  /** Sequence length T. */
  length: number;
  hiddenSize: number;
  /** Optimiser updates, one per training batch. */
  steps: number;
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Largest global gradient norm (default Infinity: no clipping). */
  clip?: number;
  /** Seed of the model and of the training stream (default 0). */
  seed?: number;
  /** Held-out sequences (default 1000), drawn from seed `testSeed`. */
  testSize?: number;
  /** Seed of the test set (default 12345), the same for every model. */
  testSeed?: number;
  /** Evaluate the test MSE every this many steps (default 100) and after the last. */
  evalEvery?: number;
  /** Stop early once the test MSE is at most this (default 0: never). */
  target?: number;
  dtype?: DType;
  /** Kernels of the layer and readout (default: the reference TypeScript backend). */
  backend?: Backend;
  /** Called after every evaluation. */
  onEval?: (point: AddingPoint) => void;
}

/** One evaluation during {@link runAdding}. */
export interface AddingPoint {
  step: number;
  /** MSE on the held-out set. */
  testMse: number;
  /** Mean training MSE since the previous evaluation (NaN at step 0). */
  trainMse: number;
  /** Seconds since training started (evaluations included). */
  seconds: number;
}

export interface AddingRunResult {
  curve: AddingPoint[];
  /** Test MSE after the last step. */
  finalTestMse: number;
  /** MSE of always predicting 1 on the same test set (≈ 1/6). */
  trivialTestMse: number;
  /** MSE of predicting the test set's own mean target (the best constant, in hindsight). */
  bestConstantTestMse: number;
  /** Number of scalar parameters (recurrent layer + readout). */
  parameters: number;
  /** Steps actually taken (fewer than `steps` when `target` was reached). */
  steps: number;
  seconds: number;
  /** The trained network. */
  net: AddingNet;
}

/** A recurrent layer and its readout in one parameter store (`rnn.*`, `head.*`). */
export interface AddingNet {
  store: ParameterStore;
  layer: RNN | LSTM | GRU;
  head: Linear;
}

/** The model's name in messages: its cell type, and the init unless the default. */
export function addingModelName(model: AddingModel): string {
  return model.init === 'identity' ? `${model.cell}, identity init` : model.cell;
}

/** Builds an {@link AddingModel}, initialised as documented there, on `backend` (default: the reference). */
export function addingNet(model: AddingModel, hiddenSize: number, seed = 0, dtype: DType = 'float32', backend?: Backend): AddingNet {
  const init = model.init ?? 'default';
  if (init !== 'default' && init !== 'identity') throw new Error(`addingNet: init must be 'default' or 'identity', got '${String(init)}'`);
  if (init === 'identity' && model.cell !== 'rnn_tanh' && model.cell !== 'rnn_relu') {
    throw new Error(`addingNet: the identity init is for 'rnn_tanh' and 'rnn_relu', got '${String(model.cell)}'`);
  }
  const store = new ParameterStore(dtype, `adding.${model.cell}`);
  const layer = recurrentLayer(model.cell, { inputSize: 2, hiddenSize, params: store, prefix: 'rnn.', seed, ...(backend ? { backend } : {}) });
  if (init === 'identity') {
    // Le et al. 2015: recurrent weights = identity, biases = 0, input weights small Gaussian.
    identity(store, 'rnn.weight_hh_l0');
    zerosInit(store, 'rnn.bias_ih_l0');
    zerosInit(store, 'rnn.bias_hh_l0');
    const std = model.inputStd ?? 0.001;
    const w = store.ref('rnn.weight_ih_l0');
    const rng = new Random(seed + 1);
    for (let i = 0; i < w.size; i++) store.data[w.offset + i] = rng.normal(0, std);
  }
  const head = new Linear({ inFeatures: hiddenSize, outFeatures: 1, params: store, prefix: 'head.', seed: seed + 2, ...(backend ? { backend } : {}) });
  return { store, layer, head };
}

/** Predictions (B, 1) of the net from the last hidden state. */
function addingForward(net: AddingNet, input: Tensor): Variable {
  const B = input.shape[1] as number;
  const { hN } = net.layer.apply(constant(input));
  return net.head.apply(reshape(hN, [B, net.layer.hiddenSize]));
}

/** Test-set MSE of the net (no tape), in chunks of 500 sequences. */
function addingTestMse(net: AddingNet, test: AddingBatch[]): number {
  let sum = 0;
  let n = 0;
  noGrad(() => {
    for (const batch of test) {
      const B = batch.target.data.length;
      sum += mse(addingForward(net, batch.input), batch.target).item() * B;
      n += B;
    }
  });
  return sum / n;
}

/**
 * Trains one model on the adding problem with Adam and reports the held-out
 * MSE curve. Each step draws a fresh batch, so the training set is unbounded.
 */
export function runAdding(o: AddingRunOptions): AddingRunResult {
  const seed = o.seed ?? 0;
  const dtype = o.dtype ?? 'float32';
  const net = addingNet(o.model, o.hiddenSize, seed, dtype, o.backend);
  const opt = new Adam(net.store, { lr: o.lr });
  const clip = o.clip ?? Infinity;
  const evalEvery = o.evalEvery ?? 100;
  const testSize = o.testSize ?? 1000;

  const testRng = new Random(o.testSeed ?? 12345);
  const test: AddingBatch[] = [];
  for (let left = testSize; left > 0; left -= 500) test.push(addingProblem(testRng, { length: o.length, batchSize: Math.min(500, left), dtype }));
  const allTargets = new Float64Array(testSize);
  let k = 0;
  for (const b of test) for (const v of b.target.data) allTargets[k++] = v;
  const targets: Tensor = { data: allTargets, shape: [testSize, 1] };
  let mean = 0;
  for (const v of allTargets) mean += v / testSize;

  const trainRng = new Random(seed + 1000);
  const curve: AddingPoint[] = [];
  const started = performance.now();
  let trainSum = 0;
  let trainCount = 0;
  const evaluate = (step: number): AddingPoint => {
    const point = {
      step, testMse: addingTestMse(net, test), trainMse: trainCount ? trainSum / trainCount : Number.NaN,
      seconds: (performance.now() - started) / 1000,
    };
    trainSum = 0;
    trainCount = 0;
    curve.push(point);
    o.onEval?.(point);
    return point;
  };
  let last = evaluate(0);
  let step = 0;
  while (step < o.steps) {
    const batch = addingProblem(trainRng, { length: o.length, batchSize: o.batchSize, dtype });
    opt.zeroGrad();
    const loss = mse(addingForward(net, batch.input), batch.target);
    const value = loss.item();
    assertFiniteLoss(value, step, `runAdding(${addingModelName(o.model)})`);
    loss.backward();
    clipGradNorm(net.store, clip);
    opt.step();
    step++;
    trainSum += value;
    trainCount++;
    if (step % evalEvery === 0 || step === o.steps) {
      last = evaluate(step);
      if (o.target !== undefined && last.testMse <= o.target) break;
    }
  }
  if (last.step !== step) last = evaluate(step);
  return {
    curve,
    finalTestMse: last.testMse,
    trivialTestMse: constantPredictionMse(targets, 1),
    bestConstantTestMse: constantPredictionMse(targets, mean),
    parameters: net.store.size,
    steps: step,
    seconds: (performance.now() - started) / 1000,
    net,
  };
}
