/**
 * Matrix views and the products named after their equations: each equals
 * its equation written out as loops over the strided views (float64, on the
 * reference backend, exact: both sum over k in order), touches nothing
 * outside `out`'s rows, and refuses shapes that do not match, naming them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsBackend } from '../src/backend/js.js';
import { addMatmulNN, addMatmulNT, addMatmulTN, at, mat, type Mat, matmulNN, matmulNT } from '../src/backend/matmul.js';
import { Random } from '../src/random.js';

const rng = new Random(11);

/** A `rows × cols` view with row stride `cols + 2`, from offset 3, in a buffer of random values (gaps included). */
function randomView(rows: number, cols: number): Mat {
  const data = new Float64Array(3 + rows * (cols + 2));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-1, 1);
  return mat(data, 3, rows, cols, cols + 2);
}

const get = (m: Mat, i: number, j: number): number => m.data[m.offset + i * m.ld + j] as number;

/** What `out` should hold: beta·out + Σ_p A(i, p)·B(p, j), with A, B given elementwise. */
function expected(out: Mat, beta: number, k: number, A: (i: number, p: number) => number, B: (p: number, j: number) => number): Float64Array {
  const e = Float64Array.from(out.data);
  for (let i = 0; i < out.rows; i++) {
    for (let j = 0; j < out.cols; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      e[out.offset + i * out.ld + j] = beta * get(out, i, j) + s;
    }
  }
  return e;
}

test('each product equals its equation on strided views, and leaves the gaps of out alone', () => {
  const [m, n, k] = [5, 7, 6];
  const cases = [
    { name: 'matmulNT', f: matmulNT, beta: 0, a: randomView(m, k), b: randomView(n, k), A: (a: Mat, i: number, p: number) => get(a, i, p), B: (b: Mat, p: number, j: number) => get(b, j, p) },
    { name: 'addMatmulNT', f: addMatmulNT, beta: 1, a: randomView(m, k), b: randomView(n, k), A: (a: Mat, i: number, p: number) => get(a, i, p), B: (b: Mat, p: number, j: number) => get(b, j, p) },
    { name: 'matmulNN', f: matmulNN, beta: 0, a: randomView(m, k), b: randomView(k, n), A: (a: Mat, i: number, p: number) => get(a, i, p), B: (b: Mat, p: number, j: number) => get(b, p, j) },
    { name: 'addMatmulNN', f: addMatmulNN, beta: 1, a: randomView(m, k), b: randomView(k, n), A: (a: Mat, i: number, p: number) => get(a, i, p), B: (b: Mat, p: number, j: number) => get(b, p, j) },
    { name: 'addMatmulTN', f: addMatmulTN, beta: 1, a: randomView(k, m), b: randomView(k, n), A: (a: Mat, i: number, p: number) => get(a, p, i), B: (b: Mat, p: number, j: number) => get(b, p, j) },
  ];
  for (const c of cases) {
    const out = randomView(m, n);
    const want = expected(out, c.beta, k, (i, p) => c.A(c.a, i, p), (p, j) => c.B(c.b, p, j));
    c.f(jsBackend, out, c.a, c.b);
    assert.deepEqual(out.data, want, c.name);
  }
});

test('at re-points a view to a block of the stack it walks, without a new object', () => {
  const data = Float64Array.from({ length: 4 * 2 * 3 }, (_, i) => i);
  const step = mat(data, 0, 2, 3);
  assert.equal(at(step, 2), step);
  assert.equal(step.offset, 12);
  const out = mat(new Float64Array(2 * 2), 0, 2, 2);
  const w = mat(Float64Array.from([1, 0, 0, 0, 0, 1]), 0, 2, 3); // picks columns 0 and 2
  matmulNT(jsBackend, out, at(step, 3), w);
  assert.deepEqual(Array.from(out.data), [18, 20, 21, 23]);
});

test('mismatched shapes are refused with every shape named', () => {
  const out = mat(new Float64Array(6), 0, 2, 3);
  assert.throws(
    () => addMatmulNT(jsBackend, out, mat(new Float64Array(8), 0, 2, 4), mat(new Float64Array(15), 0, 3, 5)),
    /addMatmulNT: shapes do not match: out 2×3, a 2×4, bᵀ of b 3×5/,
  );
  assert.throws(() => addMatmulTN(jsBackend, out, mat(new Float64Array(6), 0, 3, 2), mat(new Float64Array(6), 0, 2, 3)), /aᵀ of a 3×2/);
});
