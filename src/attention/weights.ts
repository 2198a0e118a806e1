/**
 * What every attention kind shares once its scores are known: the masked
 * softmax that turns scores into weights, and the context those weights
 * average — forward and backward, on raw buffers, per batch row with the
 * backend's gemm.
 *
 * Shapes (B batch, T queries, S source steps, Dv value features; row b has
 * L_b = lengths[b] valid source steps, the rest is padding):
 *   scores, α   (B, T, S)     context  (B, T, Dv)     values  (B, S, Dv)
 *
 *   α[b,t,s] = exp(e[b,t,s]) / Σ_{s'<L_b} exp(e[b,t,s'])   for s < L_b,  0 beyond
 *   context[b,t,:] = Σ_{s<L_b} α[b,t,s] values[b,s,:]
 *
 * Padding is masked as a score of −∞: its weight is exactly 0 and it gets no
 * gradient. Backward:
 *   dα[b] = dcontext[b] values[b]ᵀ              dvalues[b] += α[b]ᵀ dcontext[b]
 *   de[b,t,s] = α[b,t,s] (dα[b,t,s] − Σ_{s'} α[b,t,s'] dα[b,t,s'])
 */
import type { Backend } from '../backend/backend.js';
import type { FloatArray } from '../tensor.js';

/** In place over `a` (B, T, S): each row's first L_b scores → softmax weights; the rest → 0. */
export function maskedSoftmax(B: number, T: number, S: number, lengths: Int32Array, a: FloatArray): void {
  for (let b = 0; b < B; b++) {
    const L = lengths[b] as number;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * S;
      let max = -Infinity;
      for (let s = 0; s < L; s++) max = Math.max(max, a[o + s] as number);
      let sum = 0;
      for (let s = 0; s < L; s++) sum += (a[o + s] = Math.exp((a[o + s] as number) - max));
      for (let s = 0; s < L; s++) a[o + s] = (a[o + s] as number) / sum;
      a.fill(0, o + L, o + S); // masked: score −∞
    }
  }
}

/** `context[b] = α[b] values[b]` over the valid source steps; `context` (B, T, Dv) is overwritten. */
export function weightedSum(
  be: Backend, B: number, T: number, S: number, Dv: number, lengths: Int32Array,
  alpha: FloatArray, values: FloatArray, context: FloatArray,
): void {
  for (let b = 0; b < B; b++) {
    be.gemm(false, false, T, Dv, lengths[b] as number, 1, alpha, b * T * S, S, values, b * S * Dv, Dv, 0, context, b * T * Dv, Dv);
  }
}

/**
 * Backward of {@link weightedSum}: `dAlpha[b] += dcontext[b] values[b]ᵀ` on
 * the valid steps, and `dValues[b] += α[b]ᵀ dcontext[b]` when `dValues` is given.
 */
export function weightedSumBackward(
  be: Backend, B: number, T: number, S: number, Dv: number, lengths: Int32Array,
  alpha: FloatArray, values: FloatArray, dContext: FloatArray, dAlpha: FloatArray, dValues: FloatArray | null,
): void {
  for (let b = 0; b < B; b++) {
    const L = lengths[b] as number;
    be.gemm(false, true, T, L, Dv, 1, dContext, b * T * Dv, Dv, values, b * S * Dv, Dv, 1, dAlpha, b * T * S, S); // dα += dC Vᵀ
    if (dValues) be.gemm(true, false, L, Dv, T, 1, alpha, b * T * S, S, dContext, b * T * Dv, Dv, 1, dValues, b * S * Dv, Dv); // dV += αᵀ dC
  }
}

/** In place over `d` (B, T, S): the weights' gradient dα → the scores' gradient de (0 at padding). */
export function maskedSoftmaxBackward(B: number, T: number, S: number, lengths: Int32Array, alpha: FloatArray, d: FloatArray): void {
  for (let b = 0; b < B; b++) {
    const L = lengths[b] as number;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * S;
      let dot = 0;
      for (let s = 0; s < L; s++) dot += (alpha[o + s] as number) * (d[o + s] as number);
      for (let s = 0; s < L; s++) d[o + s] = (alpha[o + s] as number) * ((d[o + s] as number) - dot); // through the normalisation
      d.fill(0, o + L, o + S);
    }
  }
}
