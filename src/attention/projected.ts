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
import { uniformInit } from '../init.js';
import { affine } from '../layers/linear.js';
import { Module } from '../module.js';
import {
  type Attention, type AttentionMemory, type AttentionOutput, checkMemory, checkQueries, positiveSize, type ProjectedAttentionOptions,
} from './attention.js';
import { dotProductAttention } from './dot-product.js';

export interface ProjectedDotAttentionOptions extends ProjectedAttentionOptions {
  /** Divide the scores by √d (default true). */
  scaled?: boolean;
}

export class ProjectedDotAttention extends Module implements Attention {
  readonly kind = 'projected' as const;
  readonly feedsInput = false;
  readonly querySize: number;
  readonly memorySize: number;
  /** d: features of the projected queries and keys. */
  readonly attentionSize: number;
  readonly scaled: boolean;
  private readonly queryWeight: number;
  private readonly keyWeight: number;

  constructor(options: ProjectedDotAttentionOptions) {
    super('ProjectedDotAttention', options, ['querySize', 'memorySize', 'attentionSize', 'scaled']);
    const m = this.moduleName;
    this.querySize = positiveSize(m, 'querySize', options.querySize);
    this.memorySize = positiveSize(m, 'memorySize', options.memorySize);
    this.attentionSize = positiveSize(m, 'attentionSize', options.attentionSize ?? this.querySize);
    this.scaled = options.scaled ?? true;
    if (typeof this.scaled !== 'boolean') throw new Error(`${m}: scaled must be true or false, got ${String(options.scaled)}`);
    this.queryWeight = this.addParameter('query.weight', [this.attentionSize, this.querySize]);
    this.keyWeight = this.addParameter('key.weight', [this.attentionSize, this.memorySize]);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.querySize), [this.prefix + 'query.weight']);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.memorySize), [this.prefix + 'key.weight']);
  }

  /** keys = memory W_kᵀ (B, S, d). */
  prepare(memory: Variable, lengths: ArrayLike<number>): AttentionMemory {
    const checked = checkMemory(this.moduleName, memory, this.memorySize, lengths);
    const keys = affine(this.moduleName, memory, this.params, this.keyWeight, -1, this.memorySize, this.attentionSize, this.backend);
    return { keys, values: memory, lengths: checked.lengths };
  }

  apply(queries: Variable, memory: AttentionMemory): AttentionOutput {
    checkQueries(this.moduleName, queries, this.querySize, memory);
    const q = affine(this.moduleName, queries, this.params, this.queryWeight, -1, this.querySize, this.attentionSize, this.backend);
    const scale = this.scaled ? 1 / Math.sqrt(this.attentionSize) : 1;
    return dotProductAttention(this.moduleName, q, memory.keys, memory.values, memory.lengths, scale, this.backend);
  }
}
