/**
 * The last valid step of each sequence: many-to-one from a recurrent
 * layer's output.
 *
 *   y[b, :] = x[lengths[b] − 1, b, :]                               (one direction)
 *   y[b, :] = [ x[lengths[b] − 1, b, :P] , x[0, b, P:] ]            (bidirectional, P = F/2)
 *
 * With `bidirectional`, the first half of the features is the forward
 * direction, read at its last valid step, and the second half the backward
 * direction, read at step 0 where its scan ends — together the final states
 * of both directions (PyTorch's `torch.cat([h_n[-2], h_n[-1]], 1)`).
 * Without `lengths`, every sequence spans all T steps.
 *
 * Backward: dx is zero except at the steps read, which receive dy.
 */
import { checkLengths } from '../checks.js';
import { allocate, dtypeOf, formatShape } from '../tensor.js';
import { record, type Variable } from './variable.js';

export interface LastStepOptions {
  /** Per-sequence lengths in [1, T] (default: all T). */
  lengths?: ArrayLike<number> | null;
  /** Features are [forward | backward] halves, read at the last and first step (default false). */
  bidirectional?: boolean;
  /** `x` is (B, T, F) instead of (T, B, F) (default false). */
  batchFirst?: boolean;
}

/** `x` (T, B, F) or (B, T, F) → (B, F). */
export function lastStep(x: Variable, options: LastStepOptions = {}): Variable {
  const batchFirst = options.batchFirst ?? false;
  if (x.shape.length !== 3) {
    throw new Error(`lastStep: expected a sequence of shape ${batchFirst ? '(B, T, F)' : '(T, B, F)'}, got ${formatShape(x.shape)}`);
  }
  const [d0, d1, F] = x.shape as [number, number, number];
  const T = batchFirst ? d1 : d0;
  const B = batchFirst ? d0 : d1;
  const bidirectional = options.bidirectional ?? false;
  if (bidirectional && F % 2 !== 0) throw new Error(`lastStep: a bidirectional sequence has an even number of features (forward | backward), got ${F}`);
  const lengths = options.lengths == null ? null : checkLengths('lastStep', options.lengths, B, T);
  const P = bidirectional ? F / 2 : F;
  // Flat offset of step t of sequence b.
  const at = (t: number, b: number): number => (batchFirst ? b * T + t : t * B + b) * F;
  const forwardAt = new Int32Array(B);
  const backwardAt = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    forwardAt[b] = at((lengths ? (lengths[b] as number) : T) - 1, b);
    backwardAt[b] = at(0, b) + P;
  }
  const y = allocate(dtypeOf(x.data), B * F);
  for (let b = 0; b < B; b++) {
    const f = forwardAt[b] as number;
    y.set(x.data.subarray(f, f + P), b * F);
    if (bidirectional) {
      const r = backwardAt[b] as number;
      y.set(x.data.subarray(r, r + P), b * F + P);
    }
  }
  const [out] = record('lastStep', [x], [{ data: y, shape: [B, F] }], ([dy]) => {
    if (!dy) return;
    const g = allocate(dtypeOf(dy), x.data.length);
    for (let b = 0; b < B; b++) {
      g.set(dy.subarray(b * F, b * F + P), forwardAt[b] as number); // dy goes back to the step it was read from
      if (bidirectional) g.set(dy.subarray(b * F + P, (b + 1) * F), backwardAt[b] as number);
    }
    x.accumulateGrad(g);
  });
  return out as Variable;
}
