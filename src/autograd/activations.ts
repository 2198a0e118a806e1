/**
 * Activation functions on variables, each with its backward beside it:
 *
 *   tanh:        y = tanh(x)                       dx = dy ⊙ (1 − y²)
 *   sigmoid:     y = 1 / (1 + e^(−x))              dx = dy ⊙ y ⊙ (1 − y)
 *   relu:        y = max(x, 0)                     dx = dy ⊙ [x > 0]
 *   softmax:     y_k = e^(x_k) / Σ_j e^(x_j)       dx = y ⊙ (dy − Σ_k dy_k y_k)
 *   logSoftmax:  y_k = x_k − log Σ_j e^(x_j)       dx = dy − softmax(x) · Σ_k dy_k
 *
 * softmax and logSoftmax act over the last dimension, with the row's
 * maximum subtracted first (the same result, without overflow).
 */
import { allocate, dtypeOf, formatShape } from '../tensor.js';
import { record, type Variable } from './variable.js';

/** Hyperbolic tangent, elementwise. */
export function tanh(x: Variable): Variable {
  const y = allocate(dtypeOf(x.data), x.data.length);
  for (let i = 0; i < y.length; i++) y[i] = Math.tanh(x.data[i] as number);
  const [out] = record('tanh', [x], [{ data: y, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let i = 0; i < g.length; i++) g[i] = (dy[i] as number) * (1 - (y[i] as number) ** 2); // through tanh
    x.accumulateGrad(g);
  });
  return out as Variable;
}

/** Logistic sigmoid, elementwise. */
export function sigmoid(x: Variable): Variable {
  const y = allocate(dtypeOf(x.data), x.data.length);
  for (let i = 0; i < y.length; i++) {
    const v = x.data[i] as number;
    // Never exp of a large positive number.
    y[i] = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
  }
  const [out] = record('sigmoid', [x], [{ data: y, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let i = 0; i < g.length; i++) g[i] = (dy[i] as number) * (y[i] as number) * (1 - (y[i] as number)); // through σ
    x.accumulateGrad(g);
  });
  return out as Variable;
}

/** Rectified linear unit, elementwise (gradient 0 at x = 0, as in PyTorch). */
export function relu(x: Variable): Variable {
  const y = allocate(dtypeOf(x.data), x.data.length);
  for (let i = 0; i < y.length; i++) y[i] = Math.max(x.data[i] as number, 0);
  const [out] = record('relu', [x], [{ data: y, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let i = 0; i < g.length; i++) g[i] = (x.data[i] as number) > 0 ? (dy[i] as number) : 0; // through max(·, 0)
    x.accumulateGrad(g);
  });
  return out as Variable;
}

/** Softmax over the last dimension. */
export function softmax(x: Variable): Variable {
  const { rows, width } = lastDim('softmax', x);
  const y = allocate(dtypeOf(x.data), x.data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const max = rowMax(x.data, o, width);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += (y[o + k] = Math.exp((x.data[o + k] as number) - max));
    for (let k = 0; k < width; k++) y[o + k] = (y[o + k] as number) / sum;
  }
  const [out] = record('softmax', [x], [{ data: y, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let dot = 0;
      for (let k = 0; k < width; k++) dot += (dy[o + k] as number) * (y[o + k] as number);
      for (let k = 0; k < width; k++) g[o + k] = (y[o + k] as number) * ((dy[o + k] as number) - dot); // through the normalisation
    }
    x.accumulateGrad(g);
  });
  return out as Variable;
}

/** Logarithm of the softmax over the last dimension (log-probabilities). */
export function logSoftmax(x: Variable): Variable {
  const { rows, width } = lastDim('logSoftmax', x);
  const y = allocate(dtypeOf(x.data), x.data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const max = rowMax(x.data, o, width);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += Math.exp((x.data[o + k] as number) - max);
    const logSum = max + Math.log(sum);
    for (let k = 0; k < width; k++) y[o + k] = (x.data[o + k] as number) - logSum;
  }
  const [out] = record('logSoftmax', [x], [{ data: y, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      let total = 0;
      for (let k = 0; k < width; k++) total += dy[o + k] as number;
      for (let k = 0; k < width; k++) g[o + k] = (dy[o + k] as number) - Math.exp(y[o + k] as number) * total; // through log Σ exp
    }
    x.accumulateGrad(g);
  });
  return out as Variable;
}

function lastDim(op: string, x: Variable): { rows: number; width: number } {
  const width = x.shape[x.shape.length - 1];
  if (width === undefined || width < 1) throw new Error(`${op}: expected a tensor with a non-empty last dimension, got shape ${formatShape(x.shape)}`);
  return { rows: x.data.length / width, width };
}

function rowMax(a: ArrayLike<number>, offset: number, width: number): number {
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, a[offset + k] as number);
  return max;
}
