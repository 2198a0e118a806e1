/**
 * Elementwise arithmetic on variables, with broadcasting: add, sub, mul.
 *
 *   y = a + b,   y = a − b,   y = a ⊙ b
 *
 * Broadcasting is NumPy's and PyTorch's: the shapes are aligned at their
 * last dimension; each pair of aligned dimensions must be equal, or one of
 * them 1 or missing, and the output takes the larger. So a bias `(F)` adds to
 * `(B, T, F)`, a per-step mask `(B, T, 1)` multiplies `(B, T, F)`, and a
 * number is a constant scalar `[]` (`mul(x, 0.5)`). Both operands must have
 * the same precision.
 *
 * Backward: an operand's gradient is the output's, summed over the
 * dimensions the operand was broadcast along:
 *   add: da = Σ dy,  db = Σ dy      sub: da = Σ dy,  db = −Σ dy
 *   mul: da = Σ dy ⊙ b,  db = Σ dy ⊙ a
 */
import { allocate, dtypeOf, type FloatArray, formatShape, type Tensor } from '../tensor.js';
import { constant, record, type Variable } from './variable.js';

/** A variable, or a number standing for a constant scalar. */
export type Operand = Variable | number;

/** `a + b`, broadcast. */
export function add(a: Operand, b: Operand): Variable {
  return binary('add', a, b, (x, y) => x + y, (dy) => dy, (dy) => dy);
}

/** `a − b`, broadcast. */
export function sub(a: Operand, b: Operand): Variable {
  return binary('sub', a, b, (x, y) => x - y, (dy) => dy, (dy) => -dy);
}

/** `a ⊙ b` (elementwise product), broadcast. */
export function mul(a: Operand, b: Operand): Variable {
  return binary('mul', a, b, (x, y) => x * y, (dy, _x, y) => dy * y, (dy, x) => dy * x);
}

/**
 * The output shape of broadcasting `a` against `b`, or null when they do not
 * broadcast.
 */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * For each element of an output of shape `out`, the flat index of the element
 * of a broadcast operand of shape `shape` it reads; null when the operand has
 * the output's shape (the identity).
 */
function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array | null {
  const rank = out.length;
  if (shape.length === rank && shape.every((d, k) => d === out[k])) return null;
  // Operand strides aligned to the output's dimensions; 0 along broadcast ones.
  const strides = new Array<number>(rank).fill(0);
  for (let k = rank - 1, s = 1; k >= rank - shape.length; k--) {
    const d = shape[k - (rank - shape.length)] as number;
    strides[k] = d === 1 ? 0 : s;
    s *= d;
  }
  let n = 1;
  for (const d of out) n *= d;
  const index = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    index[i] = offset;
    // Odometer over the output's multi-index, carrying the operand's offset along.
    for (let k = rank - 1; k >= 0; k--) {
      offset += strides[k] as number;
      if (++(counter[k] as number) < (out[k] as number)) break;
      offset -= (strides[k] as number) * (out[k] as number);
      counter[k] = 0;
    }
  }
  return index;
}

function binary(
  op: string, a: Operand, b: Operand,
  f: (x: number, y: number) => number,
  /** ∂/∂a of one element, times dy. */
  dfa: (dy: number, x: number, y: number) => number,
  /** ∂/∂b of one element, times dy. */
  dfb: (dy: number, x: number, y: number) => number,
): Variable {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a variable, got two numbers`);
  const va = typeof a === 'number' ? scalarLike(a, b as Variable) : a;
  const vb = typeof b === 'number' ? scalarLike(b, va) : b;
  const dtype = dtypeOf(va.data);
  if (dtypeOf(vb.data) !== dtype) throw new Error(`${op}: operands are ${dtype} and ${dtypeOf(vb.data)}; convert one so both have the same precision`);
  const shape = broadcastShape(va.shape, vb.shape);
  if (!shape) throw new Error(`${op}: shapes ${formatShape(va.shape)} and ${formatShape(vb.shape)} do not broadcast (aligned from the last dimension, each pair must be equal or contain a 1)`);
  const ia = broadcastIndex(va.shape, shape);
  const ib = broadcastIndex(vb.shape, shape);
  const A = va.data;
  const B = vb.data;
  const n = ia ? ia.length : ib ? ib.length : A.length;
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(A[ia ? (ia[i] as number) : i] as number, B[ib ? (ib[i] as number) : i] as number);
  const [y] = record(op, [va, vb], [{ data: out, shape }], ([dy]) => {
    if (!dy) return;
    for (const [v, index, df] of [[va, ia, dfa], [vb, ib, dfb]] as const) {
      if (!v.tracked) continue;
      const g: FloatArray = allocate(dtype, v.data.length);
      for (let i = 0; i < n; i++) {
        const j = index ? (index[i] as number) : i;
        g[j] = (g[j] as number) + df(dy[i] as number, A[ia ? (ia[i] as number) : i] as number, B[ib ? (ib[i] as number) : i] as number);
      }
      v.accumulateGrad(g);
    }
  });
  return y as Variable;
}

/** A constant scalar in `like`'s precision. */
function scalarLike(value: number, like: Variable): Variable {
  const t: Tensor = { data: allocate(dtypeOf(like.data), 1), shape: [] };
  t.data[0] = value;
  return constant(t);
}
