/**
 * Luong's dot attention (Luong, Pham & Manning 2015, "Effective Approaches
 * to Attention-based Neural Machine Translation"): the score is the plain
 * dot product of the decoder state and the encoder output,
 *
 *   e_{t,s} = s_tᵀ h_s,   α_t = softmax(e_t),   c_t = Σ_s α_{t,s} h_s
 *
 * No parameters; the decoder state and the encoder output must have the
 * same size. Shapes and masking in ./attention.ts, the fused node in
 * ./dot-product.ts.
 *
 * Example: `const attn = new DotAttention({ querySize: 8, memorySize: 8 });
 * const { context, weights } = attn.apply(decoderOut, attn.prepare(encoderOut, lengths));`
 */
import type { Variable } from '../autograd/variable.js';
import { Module } from '../module.js';
import {
  type Attention, type AttentionMemory, type AttentionOptions, type AttentionOutput, checkMemory, checkQueries, positiveSize,
} from './attention.js';
import { dotProductAttention } from './dot-product.js';

export class DotAttention extends Module implements Attention {
  readonly kind = 'dot' as const;
  readonly feedsInput = false;
  readonly querySize: number;
  readonly memorySize: number;

  constructor(options: AttentionOptions) {
    super('DotAttention', options, ['querySize', 'memorySize']);
    this.querySize = positiveSize(this.moduleName, 'querySize', options.querySize);
    this.memorySize = positiveSize(this.moduleName, 'memorySize', options.memorySize);
    if (this.querySize !== this.memorySize) {
      throw new Error(`DotAttention: querySize (${this.querySize}) must equal memorySize (${this.memorySize}) for a dot product; use 'general' or 'projected' attention for different sizes`);
    }
  }

  prepare(memory: Variable, lengths: ArrayLike<number>): AttentionMemory {
    return { keys: memory, values: memory, lengths: checkMemory(this.moduleName, memory, this.memorySize, lengths).lengths };
  }

  apply(queries: Variable, memory: AttentionMemory): AttentionOutput {
    checkQueries(this.moduleName, queries, this.querySize, memory);
    return dotProductAttention(this.moduleName, queries, memory.keys, memory.values, memory.lengths, 1, this.backend);
  }
}
