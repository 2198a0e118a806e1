/**
 * Training runs on the classic tasks, shared by `examples/adding.ts`,
 * `examples/copy.ts`, `test/tasks.test.ts` and the numbers in
 * `docs/classic-tasks.md`: the same code at full size and at test size.
 *
 * - {@link runAdding}: the adding problem ({@link addingProblem}) with an LSTM
 *   (Hochreiter & Schmidhuber 1997), an IRNN (Le, Jaitly & Hinton 2015) or a
 *   tanh RNN with PyTorch's default initialisation, read out from the last
 *   hidden state through a Linear; Adam (Kingma & Ba 2015) on the MSE, global
 *   gradient-norm clipping (Pascanu, Mikolov & Bengio 2013).
 * - {@link runRecall}: delayed recall ({@link delayedRecall}) trained by full
 *   BPTT, by truncated BPTT(k1, k2) (Williams & Peng 1990) or by RTRL
 *   (Williams & Zipser 1989) with the same optimiser.
 *
 * Every run is deterministic given its seed: the model, the training stream
 * and the test set each draw from their own seeded generator.
 */
import { reshape } from '../autograd/ops.js';
import { constant, leaf, noGrad, type Variable } from '../autograd/variable.js';
import { identity, zerosInit } from '../init.js';
import { GRU } from '../layers/gru.js';
import { Linear } from '../layers/linear.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import { Random } from '../random.js';
import { allocate, type DType, type Tensor } from '../tensor.js';
import { clipGradNorm } from '../train/clip.js';
import { assertFiniteLoss, crossEntropy, mse } from '../train/loss.js';
import { Adam } from '../train/optim.js';
import { RTRL } from '../train/rtrl.js';
import { truncatedBPTT } from '../train/tbptt.js';
import { addingProblem, constantPredictionMse, type AddingBatch } from './adding.js';
import { accuracy, delayedRecall, RECALL_IGNORE, recallChanceLoss, type DelayedRecallBatch } from './copy.js';

// ---------------------------------------------------------------------------
// Adding problem

/**
 * The three models of the adding-problem comparison:
 * - 'lstm': LSTM, PyTorch's default init U(±1/√H) (Hochreiter & Schmidhuber 1997).
 * - 'irnn': ReLU RNN with W_hh = I, b_ih = b_hh = 0 and W_ih ~ N(0, σ²),
 *   σ = `irnnInputStd` (Le, Jaitly & Hinton 2015).
 * - 'tanh': tanh RNN with PyTorch's default init U(±1/√H).
 * The readout is `Linear(H → 1)` with PyTorch's default init in every case.
 */
export type AddingModel = 'lstm' | 'irnn' | 'tanh';

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
  /** σ of the IRNN input weights (default 0.001). */
  irnnInputStd?: number;
  /** Stop early once the test MSE is at most this (default 0: never). */
  target?: number;
  dtype?: DType;
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
}

/** A recurrent layer and its readout in one parameter store (`rnn.*`, `head.*`). */
export interface AddingNet {
  store: ParameterStore;
  layer: LSTM | RNN;
  head: Linear;
}

/** Builds one of the {@link AddingModel}s, input size 2, initialised as documented there. */
export function addingNet(model: AddingModel, hiddenSize: number, seed = 0, options: { irnnInputStd?: number; dtype?: DType } = {}): AddingNet {
  const store = new ParameterStore(options.dtype ?? 'float32', `adding.${model}`);
  const common = { inputSize: 2, hiddenSize, params: store, prefix: 'rnn.', seed };
  let layer: LSTM | RNN;
  if (model === 'lstm') {
    layer = new LSTM(common);
  } else if (model === 'tanh') {
    layer = new RNN({ ...common, nonlinearity: 'tanh' });
  } else if (model === 'irnn') {
    layer = new RNN({ ...common, nonlinearity: 'relu' });
    // Le et al. 2015: recurrent weights = identity, biases = 0, input weights small Gaussian.
    identity(store, 'rnn.weight_hh_l0');
    zerosInit(store, 'rnn.bias_ih_l0');
    zerosInit(store, 'rnn.bias_hh_l0');
    const std = options.irnnInputStd ?? 0.001;
    const w = store.ref('rnn.weight_ih_l0');
    const rng = new Random(seed + 1);
    for (let i = 0; i < w.size; i++) store.data[w.offset + i] = rng.normal(0, std);
  } else {
    throw new Error(`addingNet: model must be 'lstm', 'irnn' or 'tanh', got '${String(model)}'`);
  }
  const head = new Linear({ inFeatures: hiddenSize, outFeatures: 1, params: store, prefix: 'head.', seed: seed + 2 });
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
  const net = addingNet(o.model, o.hiddenSize, seed, { irnnInputStd: o.irnnInputStd ?? 0.001, dtype });
  const opt = new Adam(net.store, { lr: o.lr });
  const clip = o.clip ?? Infinity;
  const evalEvery = o.evalEvery ?? 100;
  const testSize = o.testSize ?? 1000;

  const testRng = new Random(o.testSeed ?? 12345);
  const test: AddingBatch[] = [];
  for (let left = testSize; left > 0; left -= 500) test.push(addingProblem(testRng, { length: o.length, batchSize: Math.min(500, left), dtype }));
  const allTargets = allocate('float64', testSize);
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
    assertFiniteLoss(value, step, `runAdding(${o.model})`);
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
  };
}

// ---------------------------------------------------------------------------
// Delayed recall

/**
 * How {@link runRecall} computes gradients:
 * - 'bptt': full backpropagation through time over each training sequence,
 *   one update per sequence batch.
 * - 'tbptt': truncated BPTT(k1, k2) over each sequence batch, one update
 *   every k1 steps, the gradient cut k2 steps back.
 * - 'rtrl': exact RTRL sensitivities carried forward (never truncated), one
 *   update every k1 steps from the gradients of those k1 losses (the online
 *   approximation of Williams & Zipser 1989 between updates).
 * For 'tbptt' and 'rtrl', windows that end before step `lag` have no target
 * and make no update.
 */
export type RecallMethod = 'bptt' | 'tbptt' | 'rtrl';

/** Cells {@link runRecall} can train. */
export type RecallCell = 'tanh' | 'gru' | 'lstm';

/** Options of {@link runRecall}. */
export interface RecallRunOptions {
  method: RecallMethod;
  cell: RecallCell;
  lag: number;
  alphabet: number;
  hiddenSize: number;
  /** Length of each training sequence. */
  length: number;
  batchSize: number;
  /** Training sequence batches ("episodes"); the number of updates depends on the method. */
  episodes: number;
  /** Adam learning rate. */
  lr: number;
  /** New steps per update for 'tbptt' and 'rtrl'. */
  k1?: number;
  /** Steps the gradient flows back in 'tbptt' (≥ k1). */
  k2?: number;
  /** Largest global gradient norm (default 1). */
  clip?: number;
  seed?: number;
  /** Test set: `testSize` sequences (default 200) of `testLength` steps (default 2·lag + 40), seed `testSeed` (default 54321). */
  testSize?: number;
  testLength?: number;
  testSeed?: number;
  /** Evaluate every this many episodes (default 10) and after the last. */
  evalEvery?: number;
  /** Stop early once the test accuracy is at least this (default: never). */
  target?: number;
  dtype?: DType;
  onEval?: (point: RecallPoint) => void;
}

/** One evaluation during {@link runRecall}: cross-entropy and accuracy over the test steps t ≥ L. */
export interface RecallPoint {
  episode: number;
  updates: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export interface RecallRunResult {
  curve: RecallPoint[];
  finalLoss: number;
  finalAccuracy: number;
  /** ln K, the chance loss. */
  chanceLoss: number;
  /** 1/K. */
  chanceAccuracy: number;
  /** Accuracy of always answering the test set's most frequent symbol (the best constant answer, in hindsight). */
  majorityAccuracy: number;
  parameters: number;
  episodes: number;
  updates: number;
  seconds: number;
}

export interface RecallNet {
  store: ParameterStore;
  layer: RNN | GRU | LSTM;
  head: Linear;
}

/** A one-layer recurrent net with input size `alphabet` and a Linear(H → alphabet) readout, PyTorch's default init. */
export function recallNet(cell: RecallCell, alphabet: number, hiddenSize: number, seed = 0, dtype: DType = 'float32'): RecallNet {
  const store = new ParameterStore(dtype, `recall.${cell}`);
  const common = { inputSize: alphabet, hiddenSize, params: store, prefix: 'rnn.', seed };
  const layer = cell === 'lstm' ? new LSTM(common) : cell === 'gru' ? new GRU(common) : cell === 'tanh' ? new RNN(common) : null;
  if (!layer) throw new Error(`recallNet: cell must be 'tanh', 'gru' or 'lstm', got '${String(cell)}'`);
  const head = new Linear({ inFeatures: hiddenSize, outFeatures: alphabet, params: store, prefix: 'head.', seed: seed + 2 });
  return { store, layer, head };
}

/** Mean cross-entropy over the counted targets of rows [first, first + n) of a batch, or null when none counts. */
function windowLoss(logits: Variable, batch: DelayedRecallBatch, first: number, n: number): Variable | null {
  const B = batch.target.shape[1] as number;
  const ids = batch.target.data.subarray(first * B, (first + n) * B);
  let counted = 0;
  for (const y of ids) if (y !== RECALL_IGNORE) counted++;
  if (counted === 0) return null;
  return crossEntropy(logits, { data: ids, shape: [n, B] }, { ignoreIndex: RECALL_IGNORE });
}

/** Test loss and accuracy over every step t ≥ L. */
function recallEvaluate(net: RecallNet, test: DelayedRecallBatch): { loss: number; acc: number } {
  return noGrad(() => {
    const logits = net.head.apply(net.layer.apply(constant(test.input)).output);
    const loss = crossEntropy(logits, test.target, { ignoreIndex: RECALL_IGNORE }).item();
    return { loss, acc: accuracy(logits.value, test.target) };
  });
}

/** Trains one net on delayed recall with the given gradient method and reports the test curve. */
export function runRecall(o: RecallRunOptions): RecallRunResult {
  const seed = o.seed ?? 0;
  const dtype = o.dtype ?? 'float32';
  const K = o.alphabet;
  const L = o.lag;
  const T = o.length;
  const B = o.batchSize;
  const k1 = o.k1 ?? T;
  const k2 = o.k2 ?? k1;
  if (o.method !== 'bptt' && o.method !== 'tbptt' && o.method !== 'rtrl') {
    throw new Error(`runRecall: method must be 'bptt', 'tbptt' or 'rtrl', got '${String(o.method)}'`);
  }
  if (!Number.isInteger(k1) || k1 < 1 || !Number.isInteger(k2) || k2 < k1) {
    throw new Error(`runRecall: k1 and k2 must be integers with 1 ≤ k1 ≤ k2, got k1 = ${k1}, k2 = ${k2}`);
  }
  if (L >= T) throw new Error(`runRecall: the training sequences (length ${T}) must be longer than the lag ${L}`);
  const net = recallNet(o.cell, K, o.hiddenSize, seed, dtype);
  const { store, layer, head } = net;
  const H = layer.hiddenSize;
  const opt = new Adam(store, { lr: o.lr });
  const clip = o.clip ?? 1;
  const evalEvery = o.evalEvery ?? 10;
  const test = delayedRecall(new Random(o.testSeed ?? 54321), {
    length: o.testLength ?? 2 * L + 40, batchSize: o.testSize ?? 200, lag: L, alphabet: K, dtype,
  });
  const counts = new Array<number>(K).fill(0);
  for (const y of test.target.data) if (y !== RECALL_IGNORE) counts[y] = (counts[y] as number) + 1;
  const counted = counts.reduce((a, b) => a + b, 0);

  const trainRng = new Random(seed + 1000);
  const rtrl = o.method === 'rtrl' ? new RTRL(layer, { batchSize: B }) : null;
  const curve: RecallPoint[] = [];
  const started = performance.now();
  let updates = 0;
  const update = (): void => {
    clipGradNorm(store, clip);
    opt.step();
    opt.zeroGrad();
    updates++;
  };
  const evaluate = (episode: number): RecallPoint => {
    const { loss, acc } = recallEvaluate(net, test);
    const point = { episode, updates, testLoss: loss, testAccuracy: acc, seconds: (performance.now() - started) / 1000 };
    curve.push(point);
    o.onEval?.(point);
    return point;
  };

  let last = evaluate(0);
  let episode = 0;
  opt.zeroGrad();
  while (episode < o.episodes) {
    const batch = delayedRecall(trainRng, { length: T, batchSize: B, lag: L, alphabet: K, dtype });
    if (o.method === 'bptt') {
      const loss = windowLoss(head.apply(layer.apply(constant(batch.input)).output), batch, 0, T) as Variable;
      assertFiniteLoss(loss.item(), episode, 'runRecall(bptt)');
      loss.backward();
      update();
    } else if (o.method === 'tbptt') {
      // One update per k1 steps; windows whose targets are all ignored (t < L) make no update.
      let pending = false;
      truncatedBPTT(layer, constant(batch.input), (w) => {
        const n = w.output.shape[0] as number;
        const logits = head.apply(w.output);
        const loss = windowLoss(logits, batch, w.firstStep, n);
        pending = loss !== null;
        // a zero loss that still reaches the parameters, so the tape has something to run
        return loss ?? crossEntropy(logits, { data: new Int32Array(n * B).fill(0), shape: [n, B] }, { mask: new Float64Array(n * B), reduction: 'sum' });
      }, () => {
        if (pending) update();
        else opt.zeroGrad();
      }, { k1, k2 });
    } else {
      // RTRL: forward one step at a time, readout on the tape, dℓ/dh into the sensitivities.
      const r = rtrl as RTRL;
      r.reset();
      const hStep = allocate(dtype, B * H);
      for (let t = 0; t < T; t++) {
        const x = batch.input.data.subarray(t * B * K, (t + 1) * B * K);
        const h = r.step(x);
        hStep.set(h);
        const hv = leaf({ data: hStep, shape: [B, H] });
        const loss = windowLoss(head.apply(hv), batch, t, 1);
        if (loss) {
          // mean over the k1 steps of an update, like TBPTT's window mean
          const value = loss.item();
          assertFiniteLoss(value, episode, 'runRecall(rtrl)');
          loss.backward({ data: Float64Array.of(1 / k1), shape: [] });
          r.accumulate(hv.grad);
        }
        if ((t + 1) % k1 === 0 || t === T - 1) {
          if (t >= L) update();
          else opt.zeroGrad();
        }
      }
    }
    episode++;
    if (episode % evalEvery === 0 || episode === o.episodes) {
      last = evaluate(episode);
      if (o.target !== undefined && last.testAccuracy >= o.target) break;
    }
  }
  if (last.episode !== episode) last = evaluate(episode);
  return {
    curve,
    finalLoss: last.testLoss,
    finalAccuracy: last.testAccuracy,
    chanceLoss: recallChanceLoss(K),
    chanceAccuracy: 1 / K,
    majorityAccuracy: Math.max(...counts) / counted,
    parameters: store.size,
    episodes: episode,
    updates,
    seconds: (performance.now() - started) / 1000,
  };
}
