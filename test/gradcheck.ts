/**
 * Central-difference gradient checking in float64.
 *
 * For a scalar loss L(θ), the analytic gradient g is compared with
 * (L(θ + εe_i) − L(θ − εe_i)) / 2ε for every coordinate i (or a sample of them).
 */
import assert from 'node:assert/strict';
import type { FloatArray } from '../src/tensor.js';

export interface GradcheckResult {
  checked: number;
  maxAbsError: number;
  maxRelError: number;
}

/**
 * Checks `analytic` against central differences of `loss` with respect to the
 * entries of `x` (perturbed in place and restored).
 * Passes when |g − ĝ| ≤ atol + rtol·max(|g|, |ĝ|) for each entry.
 */
export function gradcheck(
  what: string, x: FloatArray, analytic: ArrayLike<number>, loss: () => number,
  { eps = 1e-6, rtol = 1e-6, atol = 1e-8, indices }: { eps?: number; rtol?: number; atol?: number; indices?: readonly number[] } = {},
): GradcheckResult {
  assert.ok(x instanceof Float64Array, `${what}: gradient checks run in float64`);
  const idx = indices ?? Array.from({ length: x.length }, (_, i) => i);
  let maxAbsError = 0;
  let maxRelError = 0;
  for (const i of idx) {
    const saved = x[i] as number;
    x[i] = saved + eps;
    const plus = loss();
    x[i] = saved - eps;
    const minus = loss();
    x[i] = saved;
    const numeric = (plus - minus) / (2 * eps);
    const a = analytic[i] as number;
    const err = Math.abs(a - numeric);
    const scale = Math.max(Math.abs(a), Math.abs(numeric));
    maxAbsError = Math.max(maxAbsError, err);
    if (scale > 0) maxRelError = Math.max(maxRelError, err / scale);
    if (!(err <= atol + rtol * scale)) {
      assert.fail(`${what}[${i}]: analytic ${a}, numeric ${numeric} (|diff| ${err.toExponential(2)})`);
    }
  }
  return { checked: idx.length, maxAbsError, maxRelError };
}

/** Σ a·w, the scalar loss that turns upstream gradients `w` into a test objective. */
export function dot(a: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (w[i] as number);
  return s;
}
