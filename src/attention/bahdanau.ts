/**
 * Bahdanau's additive attention (Bahdanau, Cho & Bengio 2015, "Neural
 * Machine Translation by Jointly Learning to Align and Translate"): a
 * one-hidden-layer network scores each source step against the decoder's
 * previous state s,
 *
 *   e_{t,s} = vᵀ tanh(W_1 h_s + W_2 s_{t−1}),   α_t = softmax(e_t),   c_t = Σ_s α_{t,s} h_s
 *
 * and the context joins the next recurrent input ({@link feedsInput}), so a
 * decoder using it runs step by step. Keys W_1 h_s are projected once per
 * source; `apply` projects the queries and runs one fused node:
 *
 *   forward   u[b,t,s,:] = tanh(k[b,s,:] + q[b,t,:]),  e[b,t,s] = v·u[b,t,s,:]   (valid s only)
 *   backward  with de from the masked softmax (./weights.ts):
 *             dv += Σ de·u,   dpre = de · v ⊙ (1 − u²)   (through tanh),
 *             dk[b,s] += Σ_t dpre,   dq[b,t] += Σ_s dpre
 *
 * Shapes: queries (B, T, querySize) (T = 1 when stepping), memory (B, S, memorySize).
 * Parameters: `query.weight` W_2 (A, querySize), `key.weight` W_1 (A, memorySize),
 * `v` (A), A = attentionSize (default querySize); init U(−1/√in, 1/√in) as
 * for `nn.Linear` (in = A for v).
 *
 * Example: `const attn = new BahdanauAttention({ querySize: 256, memorySize: 512 });
 * const memory = attn.prepare(encoderOut, lengths);
 * const { context } = attn.apply(previousState, memory);   // (B, 1, 512)`
 */
import { record, type Variable } from '../autograd/variable.js';
import { uniformInit } from '../init.js';
import { allocate } from '../tensor.js';
import type { Attention, AttentionMemory, AttentionOutput, ProjectedAttentionOptions } from './attention.js';
import { QueryKeyProjection } from './query-key-projection.js';
import { maskedSoftmax, maskedSoftmaxBackward, weightedSum, weightedSumBackward } from './weights.js';

export class BahdanauAttention extends QueryKeyProjection implements Attention {
  readonly kind = 'bahdanau' as const;
  readonly feedsInput = true;
  private readonly v: number;

  constructor(options: ProjectedAttentionOptions) {
    super('BahdanauAttention', options);
    this.v = this.addParameter('v', [this.attentionSize]);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.attentionSize), [this.prefix + 'v']);
  }

  apply(queries: Variable, memory: AttentionMemory): AttentionOutput {
    return this.additive(this.projectQueries(queries, memory), memory);
  }

  /** The fused node: scores vᵀ tanh(k + q), masked softmax, context. */
  private additive(queries: Variable, memory: AttentionMemory): AttentionOutput {
    const { keys, values, lengths } = memory;
    const be = this.backend;
    const dtype = this.dtype;
    const A = this.attentionSize;
    const [B, T] = queries.shape as [number, number];
    const [, S, Dv] = values.shape as [number, number, number];
    const Q = queries.data;
    const K = keys.data;
    const V = values.data;
    const w = this.params.data;
    const u = allocate(dtype, B * T * S * A); // tanh(k + q), kept for backward
    const alpha = allocate(dtype, B * T * S);
    for (let b = 0; b < B; b++) {
      const L = lengths[b] as number;
      for (let t = 0; t < T; t++) {
        const qo = (b * T + t) * A;
        for (let s = 0; s < L; s++) {
          const ko = (b * S + s) * A;
          const uo = ((b * T + t) * S + s) * A;
          let e = 0;
          for (let a = 0; a < A; a++) {
            const h = Math.tanh((K[ko + a] as number) + (Q[qo + a] as number));
            u[uo + a] = h;
            e += (w[this.v + a] as number) * h;
          }
          alpha[(b * T + t) * S + s] = e;
        }
      }
    }
    maskedSoftmax(B, T, S, lengths, alpha);
    const context = allocate(dtype, B * T * Dv);
    weightedSum(be, B, T, S, Dv, lengths, alpha, V, context);

    const outputs = [{ data: context, shape: [B, T, Dv] }, { data: alpha, shape: [B, T, S] }];
    const [c, weights] = record(this.moduleName, [queries, keys, values], outputs, ([dContext, dWeights]) => {
      const dE = be.allocate(dtype, B * T * S);
      if (dWeights) dE.set(dWeights);
      const dV = values.tracked ? allocate(dtype, V.length) : null;
      if (dContext) weightedSumBackward(be, B, T, S, Dv, lengths, alpha, V, dContext, dE, dV);
      maskedSoftmaxBackward(B, T, S, lengths, alpha, dE);
      const dQ = allocate(dtype, Q.length);
      const dK = allocate(dtype, K.length);
      const g = this.params.grad;
      const vw = this.params.data;
      for (let b = 0; b < B; b++) {
        const L = lengths[b] as number;
        for (let t = 0; t < T; t++) {
          const qo = (b * T + t) * A;
          for (let s = 0; s < L; s++) {
            const de = dE[(b * T + t) * S + s] as number;
            const ko = (b * S + s) * A;
            const uo = ((b * T + t) * S + s) * A;
            for (let a = 0; a < A; a++) {
              const h = u[uo + a] as number;
              g[this.v + a] = (g[this.v + a] as number) + de * h; // dv += de·u
              const dpre = de * (vw[this.v + a] as number) * (1 - h * h); // through tanh
              dK[ko + a] = (dK[ko + a] as number) + dpre;
              dQ[qo + a] = (dQ[qo + a] as number) + dpre;
            }
          }
        }
      }
      if (queries.tracked) queries.accumulateGrad(dQ);
      if (keys.tracked) keys.accumulateGrad(dK);
      if (dV) values.accumulateGrad(dV);
      be.release(dE);
    }, true);
    return { context: c as Variable, weights: weights as Variable };
  }
}
