/**
 * The adding problem: a many-to-one regression that can only be solved by
 * remembering two numbers across the whole sequence.
 *
 * Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", Neural
 * Computation 9(8), experiment 4, introduced it; this is the simpler variant
 * of Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent
 * Networks of Rectified Linear Units" (arXiv:1504.00941), with one marker in
 * each half of the sequence as in Arjovsky, Shah & Bengio (2016), "Unitary
 * Evolution Recurrent Neural Networks", ICML.
 *
 * Each sequence has T steps and two input channels:
 *
 *   x_t[0] = v_t ~ U(0, 1)                       (independent for every t)
 *   x_t[1] = 1 at t ∈ {p, q}, 0 elsewhere        (the markers)
 *   p ~ uniform on {0, …, ⌊T/2⌋ − 1}             (first half)
 *   q ~ uniform on {⌊T/2⌋, …, T − 1}             (second half)
 *   y   = v_p + v_q                              (one target per sequence)
 *
 * (Steps are 0-based. Hochreiter & Schmidhuber's original used values in
 * [−1, 1], a first marker among the first ten steps, a second one in the
 * first half, and a rescaled target; that form is not implemented here.)
 *
 * The trivial baseline predicts y = 1 whatever the input: since v_p and v_q are
 * independent U(0, 1), E[y] = 1 and its MSE is Var(y) = 2 · (1/12) = 1/6
 * ({@link ADDING_TRIVIAL_MSE}). A model that only learnt to output a constant
 * cannot beat it; an MSE well below it requires memory of both marked values.
 *
 * Example:
 *   const batch = addingProblem(new Random(1), { length: 100, batchSize: 32 });
 *   batch.input.shape   // [100, 32, 2]   time-major (T, B, 2)
 *   batch.target.shape  // [32, 1]
 */
import type { Random } from '../random.js';
import { allocate, type DType, type Tensor } from '../tensor.js';

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Sequence length T (≥ 2). */
  length: number;
  /** Number of sequences B (≥ 1). */
  batchSize: number;
  /** Precision of `input` and `target` (default 'float32'). */
  dtype?: DType;
}

/** A batch of the adding problem. */
export interface AddingBatch {
  /** (T, B, 2), time-major: channel 0 the values, channel 1 the markers. */
  input: Tensor;
  /** (B, 1): the sum of the two marked values. */
  target: Tensor;
  /** (B, 2): the marked steps [p, q] of each sequence, p < ⌊T/2⌋ ≤ q. */
  markers: Int32Array;
}

/** Var(U(0,1) + U(0,1)) = 2/12: the MSE of always predicting 1, in expectation. */
export const ADDING_TRIVIAL_MSE = 1 / 6;

/**
 * Draws a batch of the adding problem (see the file comment for the exact
 * distribution). Draw order, for reproducibility: for each sequence b, the T
 * values, then p, then q.
 */
export function addingProblem(rng: Random, options: AddingProblemOptions): AddingBatch {
  const { length: T, batchSize: B } = options;
  if (!Number.isInteger(T) || T < 2) throw new Error(`addingProblem: length must be an integer ≥ 2, got ${String(T)}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`addingProblem: batchSize must be a positive integer, got ${String(B)}`);
  const dtype = options.dtype ?? 'float32';
  const half = Math.floor(T / 2);
  const x = allocate(dtype, T * B * 2);
  const y = allocate(dtype, B);
  const markers = new Int32Array(B * 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(t * B + b) * 2] = rng.next();
    const p = rng.int(half);
    const q = half + rng.int(T - half);
    x[(p * B + b) * 2 + 1] = 1;
    x[(q * B + b) * 2 + 1] = 1;
    markers[2 * b] = p;
    markers[2 * b + 1] = q;
    // the sum of the values as stored (so float32 targets are exact sums of float32 inputs)
    y[b] = (x[(p * B + b) * 2] as number) + (x[(q * B + b) * 2] as number);
  }
  return { input: { data: x, shape: [T, B, 2] }, target: { data: y, shape: [B, 1] }, markers };
}

/**
 * Mean squared error of predicting the constant `value` (default 1, the
 * trivial baseline) for every target: mean((y − value)²).
 */
export function constantPredictionMse(target: Tensor, value = 1): number {
  const n = target.data.length;
  if (n === 0) throw new Error('constantPredictionMse: the target is empty');
  let s = 0;
  for (let i = 0; i < n; i++) s += ((target.data[i] as number) - value) ** 2;
  return s / n;
}
