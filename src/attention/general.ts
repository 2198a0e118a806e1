/**
 * Luong's general attention (Luong, Pham & Manning 2015): a bilinear score
 * between the decoder state and the encoder output,
 *
 *   e_{t,s} = s_tᵀ W_a h_s,   α_t = softmax(e_t),   c_t = Σ_s α_{t,s} h_s
 *
 * computed as keys k_s = W_a h_s once per source (`prepare`), then dot
 * products with the keys for all queries at once (`apply`).
 *
 * Parameters: `weight` W_a (querySize, memorySize) — `nn.Linear(memorySize,
 * querySize, bias=False)`; init U(−1/√memorySize, 1/√memorySize).
 * Backward: the keys' gradient flows through the projection: dW_a += dKᵀ h,
 * dh += dK W_a (plus the values' gradient).
 *
 * Example: `const attn = new GeneralAttention({ querySize: 256, memorySize: 512 });
 * const { context, weights } = attn.apply(decoderOut, attn.prepare(encoderOut, lengths));`
 */
import type { Variable } from '../autograd/variable.js';
import { uniformInit } from '../init.js';
import { affine } from '../layers/linear.js';
import { Module } from '../module.js';
import {
  type Attention, type AttentionMemory, type AttentionOptions, type AttentionOutput, checkMemory, checkQueries, positiveSize,
} from './attention.js';
import { dotProductAttention } from './dot-product.js';

export class GeneralAttention extends Module implements Attention {
  readonly kind = 'general' as const;
  readonly feedsInput = false;
  readonly querySize: number;
  readonly memorySize: number;
  private readonly weight: number;

  constructor(options: AttentionOptions) {
    super('GeneralAttention', options, ['querySize', 'memorySize']);
    this.querySize = positiveSize(this.moduleName, 'querySize', options.querySize);
    this.memorySize = positiveSize(this.moduleName, 'memorySize', options.memorySize);
    this.weight = this.addParameter('weight', [this.querySize, this.memorySize]);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.memorySize), this.parameterNames);
  }

  /** keys = memory W_aᵀ (B, S, querySize). */
  prepare(memory: Variable, lengths: ArrayLike<number>): AttentionMemory {
    const checked = checkMemory(this.moduleName, memory, this.memorySize, lengths);
    const keys = affine(this.moduleName, memory, this.params, this.weight, -1, this.memorySize, this.querySize, this.backend);
    return { keys, values: memory, lengths: checked.lengths };
  }

  apply(queries: Variable, memory: AttentionMemory): AttentionOutput {
    checkQueries(this.moduleName, queries, this.querySize, memory);
    return dotProductAttention(this.moduleName, queries, memory.keys, memory.values, memory.lengths, 1, this.backend);
  }
}
