/**
 * Matrix product on variables:
 *
 *   C = A · B,   A (…, M, K), B (…, K, N) → C (…, M, N)
 *
 * Both 2-D, or batched over the same leading dimensions, or `A` batched and
 * `B` 2-D (one matrix shared by every batch, as in `x · W`). Other
 * broadcasting of the leading dimensions is not supported.
 *
 * Backward, per batch: dA = dC · Bᵀ,  dB = Aᵀ · dC (summed over the batches
 * when `B` is shared). Products run on the reference backend's gemm.
 */
import { jsBackend } from '../backend/js.js';
import { addMatmulTN, type Mat, mat, matmulNN, matmulNT } from '../backend/matmul.js';
import { allocate, dtypeOf, formatShape, numel } from '../tensor.js';
import { record, type Variable } from './variable.js';

/** `a · b` over the last two dimensions. */
export function matmul(a: Variable, b: Variable): Variable {
  const bad = (why: string): Error => new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}: ${why}`);
  if (a.shape.length < 2 || b.shape.length < 2) throw bad('both operands need at least 2 dimensions (…, rows, columns)');
  const dtype = dtypeOf(a.data);
  if (dtypeOf(b.data) !== dtype) throw new Error(`matmul: operands are ${dtype} and ${dtypeOf(b.data)}; convert one so both have the same precision`);
  const M = a.shape[a.shape.length - 2] as number;
  const K = a.shape[a.shape.length - 1] as number;
  const N = b.shape[b.shape.length - 1] as number;
  if (b.shape[b.shape.length - 2] !== K) throw bad(`inner dimensions ${K} and ${b.shape[b.shape.length - 2]} differ`);
  const batchShape = a.shape.slice(0, -2);
  const shared = b.shape.length === 2;
  if (!shared && formatShape(b.shape.slice(0, -2)) !== formatShape(batchShape)) {
    throw bad('the leading (batch) dimensions must be equal, or the second operand 2-D');
  }
  const batches = numel(batchShape);
  const sb = shared ? 0 : K * N; // b's stride per batch (0: the same matrix)
  const be = jsBackend;
  const c = allocate(dtype, batches * M * N);
  // One view per operand, moved from batch to batch.
  const A = mat(a.data, 0, M, K);
  const B = mat(b.data, 0, K, N);
  const C = mat(c, 0, M, N);
  const toBatch = (p: number, ...views: Mat[]): void => {
    for (const v of views) v.offset = p * v.rows * v.cols;
    B.offset = p * sb;
  };
  for (let p = 0; p < batches; p++) {
    toBatch(p, A, C);
    matmulNN(be, C, A, B); // C = A B
  }
  const [out] = record('matmul', [a, b], [{ data: c, shape: [...batchShape, M, N] }], ([dc]) => {
    if (!dc) return;
    if (a.tracked) {
      const da = allocate(dtype, a.data.length);
      const dA = mat(da, 0, M, K);
      const dC = mat(dc, 0, M, N);
      for (let p = 0; p < batches; p++) {
        toBatch(p, dA, dC);
        matmulNT(be, dA, dC, B); // dA = dC Bᵀ
      }
      a.accumulateGrad(da);
    }
    if (b.tracked) {
      const db = allocate(dtype, b.data.length);
      const dB = mat(db, 0, K, N);
      const dC = mat(dc, 0, M, N);
      for (let p = 0; p < batches; p++) {
        toBatch(p, A, dC);
        dB.offset = p * sb;
        addMatmulTN(be, dB, A, dC); // dB += Aᵀ dC
      }
      b.accumulateGrad(db);
    }
  });
  return out as Variable;
}
