/**
 * Training runs on delayed recall, shared by `recurrent lab tasks`
 * (src/lab/tasks.ts), `examples/copy.ts`, `test/tasks.test.ts` and the
 * numbers in `docs/classic-tasks.md`: the same code at full size and at test
 * size.
 *
 * {@link runRecall} trains a one-layer net of any {@link CellType} on delayed
 * recall ({@link delayedRecall}) by full BPTT, by truncated BPTT(k1, k2)
 * (Williams & Peng 1990) or by RTRL (Williams & Zipser 1989), with Adam
 * (Kingma & Ba 2015) and global gradient-norm clipping.
 *
 * Every run is deterministic given its seed: the model, the training stream
 * and the test set each draw from their own seeded generator.
 */
import { constant, leaf, noGrad, type Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/index.js';
import type { GRU } from '../layers/gru.js';
import { Linear } from '../layers/linear.js';
import type { LSTM } from '../layers/lstm.js';
import { recurrentLayer } from '../layers/recurrent-layer.js';
import type { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import { Random } from '../random.js';
import { type DType, zeros } from '../tensor.js';
import { clipGradNorm } from '../train/clip.js';
import { assertFiniteLoss, crossEntropy } from '../train/loss.js';
import { Adam } from '../train/optim.js';
import { RTRL } from '../train/rtrl.js';
import { truncatedBPTT } from '../train/tbptt.js';
import { accuracy as recallAccuracy, type DelayedRecallBatch, delayedRecall, RECALL_IGNORE, recallChanceLoss } from './copy.js';

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

/** Options of {@link runRecall}. */
export interface RecallRunOptions {
  method: RecallMethod;
  cell: CellType;
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
  /** Kernels of the layer and readout (default: the reference TypeScript backend; RTRL's sensitivities always run on it, in float64). */
  backend?: Backend;
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

/** A one-layer recurrent net with input size `alphabet` and a Linear(H → alphabet) readout, PyTorch's default init, on `backend` (default: the reference). */
export function recallNet(cell: CellType, alphabet: number, hiddenSize: number, seed = 0, dtype: DType = 'float32', backend?: Backend): RecallNet {
  const store = new ParameterStore(dtype, `recall.${cell}`);
  const on = backend ? { backend } : {};
  const layer = recurrentLayer(cell, { inputSize: alphabet, hiddenSize, params: store, prefix: 'rnn.', seed, ...on });
  const head = new Linear({ inFeatures: hiddenSize, outFeatures: alphabet, params: store, prefix: 'head.', seed: seed + 2, ...on });
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
    return { loss, acc: recallAccuracy(logits.value, test.target) };
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
  const net = recallNet(o.cell, K, o.hiddenSize, seed, dtype, o.backend);
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
      const hStep = zeros([B, H], dtype);
      for (let t = 0; t < T; t++) {
        const x = batch.input.data.subarray(t * B * K, (t + 1) * B * K);
        hStep.data.set(r.step(x));
        const hv = leaf(hStep);
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
