/**
 * What projected dot-product and Bahdanau attention share: queries and keys
 * projected to a common size A before they are compared,
 *
 *   q = W_q s   (`query.weight`, (A, querySize)),   k = W_k h   (`key.weight`, (A, memorySize)),
 *
 * both `nn.Linear(…, bias=False)` with init U(−1/√in, 1/√in); A =
 * attentionSize (default querySize). Keys are projected once per source
 * ({@link prepare}); each kind compares q and k its own way.
 */
import type { Variable } from '../autograd/variable.js';
import { uniformInit } from '../init.js';
import { affine } from '../layers/linear.js';
import { Module } from '../module.js';
import { type AttentionMemory, checkMemory, checkQueries, positiveSize, type ProjectedAttentionOptions } from './attention.js';

export abstract class QueryKeyProjection extends Module {
  readonly querySize: number;
  readonly memorySize: number;
  /** A: features of the projected queries and keys. */
  readonly attentionSize: number;
  private readonly queryWeight: number;
  private readonly keyWeight: number;

  /** @param optionKeys the kind's option keys besides querySize, memorySize and attentionSize. */
  protected constructor(moduleName: string, options: ProjectedAttentionOptions, optionKeys: readonly string[] = []) {
    super(moduleName, options, ['querySize', 'memorySize', 'attentionSize', ...optionKeys]);
    const m = this.moduleName;
    this.querySize = positiveSize(m, 'querySize', options.querySize);
    this.memorySize = positiveSize(m, 'memorySize', options.memorySize);
    this.attentionSize = positiveSize(m, 'attentionSize', options.attentionSize ?? this.querySize);
    this.queryWeight = this.addParameter('query.weight', [this.attentionSize, this.querySize]);
    this.keyWeight = this.addParameter('key.weight', [this.attentionSize, this.memorySize]);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.querySize), [this.prefix + 'query.weight']);
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.memorySize), [this.prefix + 'key.weight']);
  }

  /** keys = memory W_kᵀ (B, S, A); the values are the memory itself. */
  prepare(memory: Variable, lengths: ArrayLike<number>): AttentionMemory {
    const checked = checkMemory(this.moduleName, memory, this.memorySize, lengths);
    const keys = affine(this.moduleName, memory, this.params, this.keyWeight, -1, this.memorySize, this.attentionSize, this.backend);
    return { keys, values: memory, lengths: checked.lengths };
  }

  /** q = queries W_qᵀ (B, T, A), after checking the queries against the memory. */
  protected projectQueries(queries: Variable, memory: AttentionMemory): Variable {
    checkQueries(this.moduleName, queries, this.querySize, memory);
    return affine(this.moduleName, queries, this.params, this.queryWeight, -1, this.querySize, this.attentionSize, this.backend);
  }
}
