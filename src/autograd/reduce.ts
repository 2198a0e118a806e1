/**
 * Reductions on variables: sum and mean, over all elements or over one
 * dimension.
 *
 *   sum(x)       = Σ_i x_i                       (a scalar, shape [])
 *   sum(x, d)    = Σ_j x[…, j, …]  along d        (d removed, or kept as 1 with keepDim)
 *   mean         = sum / (number of summed elements)
 *
 * Backward: every summed element receives the output's gradient (divided by
 * the count for the mean): dx[…, j, …] = dy[…].
 * Sums run in float64 whatever the precision.
 */
import { allocate, dtypeOf, numel } from '../tensor.js';
import { record, type Variable } from './variable.js';

/** Sum of all elements (no `dim`), or along `dim` (negative counts from the end). */
export function sum(x: Variable, dim?: number, keepDim = false): Variable {
  return reduce('sum', x, dim, keepDim, false);
}

/** Mean of all elements (no `dim`), or along `dim` (negative counts from the end). */
export function mean(x: Variable, dim?: number, keepDim = false): Variable {
  return reduce('mean', x, dim, keepDim, true);
}

function reduce(op: string, x: Variable, dim: number | undefined, keepDim: boolean, average: boolean): Variable {
  const rank = x.shape.length;
  let outer = 1;
  let size = x.data.length;
  let inner = 1;
  let shape: number[] = keepDim ? x.shape.map(() => 1) : [];
  if (dim !== undefined) {
    const d = dim < 0 ? dim + rank : dim;
    if (!Number.isInteger(d) || d < 0 || d >= rank) throw new Error(`${op}: dim ${dim} is out of range for a tensor of rank ${rank}`);
    outer = numel(x.shape.slice(0, d));
    size = x.shape[d] as number;
    inner = numel(x.shape.slice(d + 1));
    shape = x.shape.filter((_, k) => k !== d);
    if (keepDim) shape.splice(d, 0, 1);
  }
  if (average && size === 0) throw new Error(`${op}: the mean of no elements is undefined`);
  const scale = average ? 1 / size : 1;
  const dtype = dtypeOf(x.data);
  const y = allocate(dtype, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let j = 0; j < size; j++) s += x.data[(o * size + j) * inner + i] as number;
      y[o * inner + i] = s * scale;
    }
  }
  const [out] = record(op, [x], [{ data: y, shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtype, x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < size; j++) {
        for (let i = 0; i < inner; i++) g[(o * size + j) * inner + i] = (dy[o * inner + i] as number) * scale; // dy copied to every summand
      }
    }
    x.accumulateGrad(g);
  });
  return out as Variable;
}
