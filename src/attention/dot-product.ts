/**
 * Dot-product attention as one fused node on the tape — the core of the
 * dot, general and projected kinds:
 *
 *   e[b,t,s] = λ q[b,t,:]·k[b,s,:]      (λ = scale: 1, or 1/√d)
 *   α[b,t,:] = softmax of e[b,t,:L_b], 0 at padding
 *   c[b,t,:] = Σ_s α[b,t,s] v[b,s,:]
 *
 * Shapes: queries (B, T, D), keys (B, S, D), values (B, S, Dv) →
 * context (B, T, Dv), weights (B, T, S). Per row b, scores and context are
 * two products over the valid steps only: E_b = λ Q_b K_bᵀ, C_b = A_b V_b.
 *
 * Backward (dA from the context and, when the weights are used, their own
 * gradient; dE through the softmax, see ./weights.ts):
 *   dQ_b = λ dE_b K_b     dK_b = λ dE_bᵀ Q_b     dV_b = A_bᵀ dC_b
 * Keys and values may be the same variable (dot attention): both gradients add up.
 */
import { record, type Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import { allocate, dtypeOf, formatShape } from '../tensor.js';
import type { AttentionOutput } from './attention.js';
import { maskedSoftmax, maskedSoftmaxBackward, weightedSum, weightedSumBackward } from './weights.js';

export function dotProductAttention(
  op: string, queries: Variable, keys: Variable, values: Variable, lengths: Int32Array, scale: number, be: Backend,
): AttentionOutput {
  const [B, T, D] = queries.shape as [number, number, number];
  const [, S, Dv] = values.shape as [number, number, number];
  if (keys.shape.length !== 3 || keys.shape[0] !== B || keys.shape[1] !== S || keys.shape[2] !== D) {
    throw new Error(`${op}: keys of shape ${formatShape(keys.shape)} do not match queries ${formatShape(queries.shape)} and values ${formatShape(values.shape)}; expected (${B}, ${S}, ${D})`);
  }
  const dtype = dtypeOf(queries.data);
  if (dtypeOf(keys.data) !== dtype || dtypeOf(values.data) !== dtype) throw new Error(`${op}: queries, keys and values must have the same precision`);
  const Q = queries.data;
  const K = keys.data;
  const V = values.data;
  const alpha = allocate(dtype, B * T * S);
  for (let b = 0; b < B; b++) {
    be.gemm(false, true, T, lengths[b] as number, D, scale, Q, b * T * D, D, K, b * S * D, D, 0, alpha, b * T * S, S); // E_b = λ Q_b K_bᵀ
  }
  maskedSoftmax(B, T, S, lengths, alpha);
  const context = allocate(dtype, B * T * Dv);
  weightedSum(be, B, T, S, Dv, lengths, alpha, V, context);

  const outputs = [{ data: context, shape: [B, T, Dv] }, { data: alpha, shape: [B, T, S] }];
  const [c, w] = record(op, [queries, keys, values], outputs, ([dContext, dWeights]) => {
    const dE = be.allocate(dtype, B * T * S);
    if (dWeights) dE.set(dWeights);
    const dV = values.tracked ? allocate(dtype, V.length) : null;
    if (dContext) weightedSumBackward(be, B, T, S, Dv, lengths, alpha, V, dContext, dE, dV);
    maskedSoftmaxBackward(B, T, S, lengths, alpha, dE);
    if (queries.tracked) {
      const dQ = allocate(dtype, Q.length);
      for (let b = 0; b < B; b++) {
        be.gemm(false, false, T, D, lengths[b] as number, scale, dE, b * T * S, S, K, b * S * D, D, 0, dQ, b * T * D, D); // dQ_b = λ dE_b K_b
      }
      queries.accumulateGrad(dQ);
    }
    if (keys.tracked) {
      const dK = allocate(dtype, K.length);
      for (let b = 0; b < B; b++) {
        be.gemm(true, false, lengths[b] as number, D, T, scale, dE, b * T * S, S, Q, b * T * D, D, 0, dK, b * S * D, D); // dK_b = λ dE_bᵀ Q_b
      }
      keys.accumulateGrad(dK);
    }
    if (dV) values.accumulateGrad(dV);
    be.release(dE);
  });
  return { context: c as Variable, weights: w as Variable };
}
