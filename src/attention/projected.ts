/**
 * Projected dot-product attention: queries and keys are projected to a
 * common size d and compared by a (scaled) dot product,
 *
 *   q_t = W_q s_t,   k_s = W_k h_s,   e_{t,s} = q_tᵀ k_s / √d,
 *   α_t = softmax(e_t),   c_t = Σ_s α_{t,s} h_s
 *
 * (the scaled dot product of Vaswani et al. 2017, "Attention Is All You
 * Need", with one head and the encoder outputs themselves as values).
 * `scaled: false` drops the 1/√d. Keys are projected once per source.
 *
 * Parameters: `query.weight` W_q (d, querySize), `key.weight` W_k (d, memorySize)
 * — two `nn.Linear(…, d, bias=False)`; init U(−1/√in, 1/√in) each.
 *
 * Example: `const attn = new ProjectedDotAttention({ querySize: 256, memorySize: 512, attentionSize: 128 });`
 */
import type { Variable } from '../autograd/variable.js';
import type { Attention, AttentionMemory, AttentionOutput, ProjectedAttentionOptions } from './attention.js';
import { dotProductAttention } from './dot-product.js';
import { QueryKeyProjection } from './query-key-projection.js';

export interface ProjectedDotAttentionOptions extends ProjectedAttentionOptions {
  /** Divide the scores by √d (default true). */
  scaled?: boolean;
}

export class ProjectedDotAttention extends QueryKeyProjection implements Attention {
  readonly kind = 'projected' as const;
  readonly feedsInput = false;
  readonly scaled: boolean;

  constructor(options: ProjectedDotAttentionOptions) {
    super('ProjectedDotAttention', options, ['scaled']);
    this.scaled = options.scaled ?? true;
    if (typeof this.scaled !== 'boolean') throw new Error(`${this.moduleName}: scaled must be true or false, got ${String(options.scaled)}`);
  }

  apply(queries: Variable, memory: AttentionMemory): AttentionOutput {
    const q = this.projectQueries(queries, memory);
    const scale = this.scaled ? 1 / Math.sqrt(this.attentionSize) : 1;
    return dotProductAttention(this.moduleName, q, memory.keys, memory.values, memory.lengths, scale, this.backend);
  }
}
