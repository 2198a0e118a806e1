/**
 * Matrix products that read like their equations, on strided views.
 *
 * A {@link Mat} is a plain, reusable view: the `rows × cols` matrix stored
 * row-major in `data` from `offset` with row stride `ld`. Views are made
 * once, outside any time loop, and re-pointed by setting `offset` — or with
 * {@link at}, to the t-th of a stack of equal blocks — so a time step
 * allocates nothing:
 *
 *   matmulNT(be, out, x, w)      out  = x · wᵀ      (x: m×k, w: n×k)
 *   addMatmulNT(be, out, x, w)   out += x · wᵀ
 *   matmulNN(be, out, a, b)      out  = a · b       (a: m×k, b: k×n)
 *   addMatmulNN(be, out, a, b)   out += a · b
 *   matmulTN(be, out, a, b)      out  = aᵀ · b      (a: k×m, b: k×n)
 *   addMatmulTN(be, out, a, b)   out += aᵀ · b
 *
 * Each is one {@link Backend.gemm} (the kernel keeps its positional form);
 * shapes are checked first, and a mismatch names every shape involved.
 *
 * Example: `addMatmulNT(be, at(gates, t), at(hPrev, before), W_hh); // gates += h₋ W_hhᵀ`
 */
import type { FloatArray } from '../tensor.js';
import type { Backend } from './backend.js';

/** The `rows × cols` matrix at `data[offset + i·ld + j]`. */
export interface Mat {
  readonly data: FloatArray;
  /** First element; the one field re-pointed as a loop walks a buffer. */
  offset: number;
  readonly rows: number;
  readonly cols: number;
  /** Row stride in elements (≥ cols). */
  readonly ld: number;
}

/** A view of `data` as a `rows × cols` matrix from `offset`, rows `ld` apart (default: packed). */
export function mat(data: FloatArray, offset: number, rows: number, cols: number, ld = cols): Mat {
  return { data, offset, rows, cols, ld };
}

/** Re-points `m` to block `t` of the stack of `rows × ld` blocks it walks from element 0; returns `m`. */
export function at(m: Mat, t: number): Mat {
  m.offset = t * m.rows * m.ld;
  return m;
}

const shape = (m: Mat): string => `${m.rows}×${m.cols}`;

/**
 * `out = beta·out + op(a)·op(b)` through the backend, after checking that
 * op(a) is `out.rows × k` and op(b) is `k × out.cols`.
 */
function product(be: Backend, what: string, transA: boolean, transB: boolean, beta: number, out: Mat, a: Mat, b: Mat): void {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (m !== out.rows || n !== out.cols || k !== kb) {
    throw new Error(`${what}: shapes do not match: out ${shape(out)}, ${transA ? 'aᵀ of a' : 'a'} ${shape(a)}, ${transB ? 'bᵀ of b' : 'b'} ${shape(b)}`);
  }
  be.gemm(transA, transB, m, n, k, 1, a.data, a.offset, a.ld, b.data, b.offset, b.ld, beta, out.data, out.offset, out.ld);
}

/** `out = x · wᵀ` (x: m×k, w: n×k — a weight in PyTorch's (out, in) layout). */
export function matmulNT(be: Backend, out: Mat, x: Mat, w: Mat): void {
  product(be, 'matmulNT', false, true, 0, out, x, w);
}

/** `out += x · wᵀ`. */
export function addMatmulNT(be: Backend, out: Mat, x: Mat, w: Mat): void {
  product(be, 'addMatmulNT', false, true, 1, out, x, w);
}

/** `out = a · b` (a: m×k, b: k×n). */
export function matmulNN(be: Backend, out: Mat, a: Mat, b: Mat): void {
  product(be, 'matmulNN', false, false, 0, out, a, b);
}

/** `out += a · b`. */
export function addMatmulNN(be: Backend, out: Mat, a: Mat, b: Mat): void {
  product(be, 'addMatmulNN', false, false, 1, out, a, b);
}

/** `out = aᵀ · b` (a: k×m, b: k×n; with k = 1, the outer product of two rows). */
export function matmulTN(be: Backend, out: Mat, a: Mat, b: Mat): void {
  product(be, 'matmulTN', true, false, 0, out, a, b);
}

/** `out += aᵀ · b` (a: k×m, b: k×n; weight gradients: `dW += dYᵀ X`). */
export function addMatmulTN(be: Backend, out: Mat, a: Mat, b: Mat): void {
  product(be, 'addMatmulTN', true, false, 1, out, a, b);
}
