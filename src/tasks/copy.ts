/**
 * Delayed recall (copy with a lag): at every step the network sees a new
 * random symbol and must output the symbol it saw L steps earlier.
 *
 *   s_t ~ uniform on {0, …, K − 1}, independent for every t and sequence
 *   x_t = onehot(s_t)                    (K input channels)
 *   y_t = s_{t−L}  for t ≥ L             (a readout at every step)
 *   y_t = ignored  for t < L             ({@link RECALL_IGNORE})
 *
 * The dependency has exactly one length, L: the target at t is independent of
 * every input except x_{t−L}. It is the delay-line form of the memory tasks
 * of Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", and of the
 * "copying memory" problem (Arjovsky, Shah & Bengio 2016, "Unitary Evolution
 * Recurrent Neural Networks", ICML), and the textbook case of the bias of
 * truncated backpropagation through time (Williams & Peng 1990, "An Efficient
 * Gradient-Based Algorithm for On-Line Training of Recurrent Network
 * Trajectories", Neural Computation 2(4)): with TBPTT(k1, k2), k2 ≤ L, no
 * gradient ever connects the loss at t to the input at t − L, so the network
 * gets no signal to store it. Full BPTT and RTRL (Williams & Zipser 1989)
 * compute the untruncated gradient and can learn it.
 *
 * Without memory of x_{t−L} the best prediction is uniform (the symbols are
 * independent), so chance is cross-entropy ln K ({@link recallChanceLoss}) and
 * accuracy 1/K.
 *
 * Example:
 *   const batch = delayedRecall(new Random(1), { length: 40, batchSize: 16, lag: 8, alphabet: 4 });
 *   batch.input.shape   // [40, 16, 4]   one-hot, time-major (T, B, K)
 *   batch.target.shape  // [40, 16]      symbol ids, −1 for t < 8
 */
import type { TokenIds } from '../layers/embedding.js';
import type { Random } from '../random.js';
import { allocate, type DType, type Tensor } from '../tensor.js';

/** Target id of the first L steps, which have nothing to recall (pass as `ignoreIndex`). */
export const RECALL_IGNORE = -1;

/** Options of {@link delayedRecall}. */
export interface DelayedRecallOptions {
  /** Sequence length T (≥ 1). */
  length: number;
  /** Number of sequences B (≥ 1). */
  batchSize: number;
  /** The lag L (≥ 1): y_t = s_{t−L}. */
  lag: number;
  /** Alphabet size K (≥ 2). */
  alphabet: number;
  /** Precision of `input` (default 'float32'). */
  dtype?: DType;
}

/** A batch of delayed recall. */
export interface DelayedRecallBatch {
  /** (T, B, K) one-hot, time-major. */
  input: Tensor;
  /** (T, B) symbol ids s_t. */
  symbols: Int32Array;
  /** (T, B) targets s_{t−L}, {@link RECALL_IGNORE} for t < L; usable as `crossEntropy` targets. */
  target: TokenIds & { readonly data: Int32Array };
}

/**
 * Draws a batch of delayed recall (see the file comment). Draw order: time
 * major, s_t for b = 0 … B−1, then t + 1.
 */
export function delayedRecall(rng: Random, options: DelayedRecallOptions): DelayedRecallBatch {
  const { length: T, batchSize: B, lag: L, alphabet: K } = options;
  const where = 'delayedRecall';
  if (!Number.isInteger(T) || T < 1) throw new Error(`${where}: length must be a positive integer, got ${String(T)}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`${where}: batchSize must be a positive integer, got ${String(B)}`);
  if (!Number.isInteger(L) || L < 1) throw new Error(`${where}: lag must be a positive integer, got ${String(L)}`);
  if (!Number.isInteger(K) || K < 2) throw new Error(`${where}: alphabet must be an integer ≥ 2, got ${String(K)}`);
  const x = allocate(options.dtype ?? 'float32', T * B * K);
  const symbols = new Int32Array(T * B);
  const target = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = rng.int(K);
      symbols[t * B + b] = s;
      x[(t * B + b) * K + s] = 1;
      target[t * B + b] = t >= L ? (symbols[(t - L) * B + b] as number) : RECALL_IGNORE;
    }
  }
  return { input: { data: x, shape: [T, B, K] }, symbols, target: { data: target, shape: [T, B] } };
}

/** Chance cross-entropy ln K: the loss of the uniform prediction, the best one without memory. */
export function recallChanceLoss(alphabet: number): number {
  return Math.log(alphabet);
}

/**
 * Fraction of targets whose class has the largest logit (ties go to the
 * lowest index), skipping targets equal to `ignoreIndex`. `logits` is
 * (…, K) with one row per target.
 */
export function accuracy(logits: Tensor, target: TokenIds, ignoreIndex = RECALL_IGNORE): number {
  const K = logits.shape[logits.shape.length - 1] as number;
  const rows = target.data.length;
  if (!(K >= 1) || logits.data.length !== rows * K) {
    throw new Error(`accuracy: expected ${rows} rows of logits for ${rows} targets, got ${logits.data.length} values of width ${K}`);
  }
  let hit = 0;
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const y = target.data[i] as number;
    if (y === ignoreIndex) continue;
    let best = 0;
    for (let k = 1; k < K; k++) if ((logits.data[i * K + k] as number) > (logits.data[i * K + best] as number)) best = k;
    if (best === y) hit++;
    counted++;
  }
  if (counted === 0) throw new Error('accuracy: every target is ignored');
  return hit / counted;
}
