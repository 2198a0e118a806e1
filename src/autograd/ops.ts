/**
 * Shape operations and dropout on variables, each with its backward beside it:
 * reshape, concat, slice, stack, selectRows, dropout. Enough plumbing to wire an
 * encoder–decoder (concatenate directions, slice time steps, stack decoder
 * outputs, keep only the positions that have a target).
 */
import type { Random } from '../random.js';
import { allocate, dtypeOf, type FloatArray, formatShape, numel } from '../tensor.js';
import { record, type Variable } from './variable.js';

function normaliseAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** Product of the dimensions before and after `axis`. */
function outerInner(shape: readonly number[], axis: number): [number, number] {
  return [numel(shape.slice(0, axis)), numel(shape.slice(axis + 1))];
}

/** Same data, new shape (one dimension may be −1 and is inferred). */
export function reshape(x: Variable, shape: readonly number[]): Variable {
  const n = x.data.length;
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`reshape: invalid target shape ${formatShape(shape)}`);
  const rest = numel(known);
  const target = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : n / rest) : d));
  if (numel(target) !== n || target.some((d) => !Number.isInteger(d))) {
    throw new Error(`reshape: cannot view shape ${formatShape(x.shape)} (${n} values) as ${formatShape(shape)}`);
  }
  // y = x viewed differently; dy flows back unchanged.
  const [y] = record('reshape', [x], [{ data: x.data, shape: target }], ([dy]) => {
    if (dy) x.accumulateGrad(dy);
  });
  return y as Variable;
}

/** Joins variables along `axis`; all other dimensions must match. */
export function concat(xs: readonly Variable[], axis: number): Variable {
  if (xs.length === 0) throw new Error('concat: expected at least one variable');
  const first = xs[0] as Variable;
  const rank = first.shape.length;
  const a = normaliseAxis('concat', axis, rank);
  for (const [i, v] of xs.entries()) {
    if (v.shape.length !== rank || v.shape.some((d, k) => k !== a && d !== first.shape[k])) {
      throw new Error(`concat: variable ${i} has shape ${formatShape(v.shape)}, incompatible with ${formatShape(first.shape)} along axis ${a}`);
    }
  }
  const [outer, inner] = outerInner(first.shape, a);
  const widths = xs.map((v) => (v.shape[a] as number) * inner);
  const total = widths.reduce((s, w) => s + w, 0);
  const out = allocate(dtypeOf(first.data), outer * total);
  let col = 0;
  xs.forEach((v, i) => {
    const w = widths[i] as number;
    for (let o = 0; o < outer; o++) out.set(v.data.subarray(o * w, (o + 1) * w), o * total + col);
    col += w;
  });
  const shape = [...first.shape];
  shape[a] = total / inner;
  const [y] = record('concat', xs, [{ data: out, shape }], ([dy]) => {
    if (!dy) return;
    let c = 0;
    xs.forEach((v, i) => {
      const w = widths[i] as number;
      if (v.tracked) {
        const g = allocate(dtypeOf(dy), outer * w);
        for (let o = 0; o < outer; o++) g.set(dy.subarray(o * total + c, o * total + c + w), o * w);
        v.accumulateGrad(g);
      }
      c += w;
    });
  });
  return y as Variable;
}

/** `x[…, start:end, …]` along `axis` (a copy). */
export function slice(x: Variable, axis: number, start: number, end: number): Variable {
  const a = normaliseAxis('slice', axis, x.shape.length);
  const size = x.shape[a] as number;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > size || start >= end) {
    throw new Error(`slice: range [${start}, ${end}) is out of bounds for axis ${a} of size ${size}`);
  }
  const [outer, inner] = outerInner(x.shape, a);
  const rowIn = size * inner;
  const rowOut = (end - start) * inner;
  const out = allocate(dtypeOf(x.data), outer * rowOut);
  for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * rowIn + start * inner, o * rowIn + end * inner), o * rowOut);
  const shape = [...x.shape];
  shape[a] = end - start;
  const [y] = record('slice', [x], [{ data: out, shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), x.data.length);
    for (let o = 0; o < outer; o++) g.set(dy.subarray(o * rowOut, (o + 1) * rowOut), o * rowIn + start * inner);
    x.accumulateGrad(g);
  });
  return y as Variable;
}

/** Stacks equally shaped variables along a new `axis`. */
export function stack(xs: readonly Variable[], axis = 0): Variable {
  if (xs.length === 0) throw new Error('stack: expected at least one variable');
  const first = xs[0] as Variable;
  for (const [i, v] of xs.entries()) {
    if (v.shape.length !== first.shape.length || v.shape.some((d, k) => d !== first.shape[k])) {
      throw new Error(`stack: variable ${i} has shape ${formatShape(v.shape)}, expected ${formatShape(first.shape)}`);
    }
  }
  const a = normaliseAxis('stack', axis, first.shape.length + 1);
  const expanded = xs.map((v) => reshape(v, [...v.shape.slice(0, a), 1, ...v.shape.slice(a)]));
  return concat(expanded, a);
}

/**
 * Rows of `x` viewed as (R, F), F its last dimension: y[i, :] = x[rows[i], :]
 * → (N, F) for N indices (repeats allowed). Backward scatters: dx[rows[i], :] += dy[i, :].
 */
export function selectRows(x: Variable, rows: ArrayLike<number>): Variable {
  if (x.shape.length < 1) throw new Error('selectRows: expected a tensor with a last dimension, got a scalar');
  const F = x.shape[x.shape.length - 1] as number;
  const R = F === 0 ? 0 : x.data.length / F;
  const index = Int32Array.from(rows);
  const N = index.length;
  for (let i = 0; i < N; i++) {
    const r = index[i] as number;
    if (!Number.isInteger(r) || r < 0 || r >= R) throw new Error(`selectRows: row ${r} at position ${i} is out of range for ${R} rows of shape ${formatShape(x.shape)}`);
  }
  const out = allocate(dtypeOf(x.data), N * F);
  for (let i = 0; i < N; i++) {
    const r = index[i] as number;
    out.set(x.data.subarray(r * F, (r + 1) * F), i * F);
  }
  const [y] = record('selectRows', [x], [{ data: out, shape: [N, F] }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), x.data.length);
    for (let i = 0; i < N; i++) {
      const o = (index[i] as number) * F;
      for (let j = 0; j < F; j++) g[o + j] = (g[o + j] as number) + (dy[i * F + j] as number); // back to the row it came from
    }
    x.accumulateGrad(g);
  });
  return y as Variable;
}

/**
 * Inverted dropout: in training, each element is zeroed with probability p and
 * the rest scaled by 1/(1 − p); otherwise the identity.
 */
export function dropout(x: Variable, p: number, rng: Random, training: boolean): Variable {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const mask: FloatArray = allocate(dtypeOf(x.data), x.data.length);
  const scale = 1 / (1 - p);
  const out = allocate(dtypeOf(x.data), x.data.length);
  for (let i = 0; i < out.length; i++) {
    mask[i] = rng.next() >= p ? scale : 0;
    out[i] = (x.data[i] as number) * (mask[i] as number);
  }
  const [y] = record('dropout', [x], [{ data: out, shape: x.shape }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), dy.length);
    for (let i = 0; i < g.length; i++) g[i] = (dy[i] as number) * (mask[i] as number);
    x.accumulateGrad(g);
  });
  return y as Variable;
}
