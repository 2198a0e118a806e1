/**
 * Lookup table of vectors, like `torch.nn.Embedding`:
 *
 *   y[…, :] = W[id[…], :],   W (numEmbeddings, embeddingDim)
 *
 * Backward: dW[id] += dy (rows of repeated ids accumulate). Init: W ~ N(0, 1);
 * with `paddingIdx`, that row starts at zero and never receives a gradient.
 *
 * Example: `const embed = new Embedding({ numEmbeddings: 65, embeddingDim: 64 });
 * const x = embed.apply({ data: ids, shape: [T, B] });   // (T, B, 64)`
 */
import { record, type Variable } from '../autograd/variable.js';
import { Module, type ModuleOptions } from '../module.js';
import { allocate, formatShape, numel } from '../tensor.js';

export interface EmbeddingOptions extends ModuleOptions {
  /** Number of ids (the vocabulary size): ids are integers in [0, numEmbeddings). */
  numEmbeddings: number;
  /** Size of each id's vector. */
  embeddingDim: number;
  /** An id whose vector stays zero and receives no gradient (default none). */
  paddingIdx?: number;
}

/** Integer ids with a shape. */
export interface TokenIds {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number;
  private readonly weight: number;

  constructor(options: EmbeddingOptions) {
    super('Embedding', options, ['numEmbeddings', 'embeddingDim', 'paddingIdx']);
    for (const key of ['numEmbeddings', 'embeddingDim'] as const) {
      const v = options[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`Embedding: ${key} must be a positive integer, got ${String(v)}`);
    }
    this.numEmbeddings = options.numEmbeddings;
    this.embeddingDim = options.embeddingDim;
    const pad = options.paddingIdx ?? -1;
    if (pad !== -1 && (!Number.isInteger(pad) || pad < 0 || pad >= this.numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx must be an id in [0, ${this.numEmbeddings}), got ${pad}`);
    }
    this.paddingIdx = pad;
    this.weight = this.addParameter('weight', [this.numEmbeddings, this.embeddingDim]);
    const E = this.embeddingDim;
    for (let i = 0; i < this.numEmbeddings * E; i++) this.params.data[this.weight + i] = this.rng.normal();
    if (pad >= 0) this.params.data.fill(0, this.weight + pad * E, this.weight + (pad + 1) * E);
  }

  /** Looks up `ids` (any shape) → (…ids.shape, embeddingDim). */
  apply(ids: TokenIds): Variable {
    const N = this.numEmbeddings;
    const E = this.embeddingDim;
    if (!ids || !Array.isArray(ids.shape) || ids.data == null || numel(ids.shape) !== ids.data.length) {
      throw new Error(`Embedding: ids must be { data, shape } with data filling the shape${ids && Array.isArray(ids.shape) ? ` ${formatShape(ids.shape)}` : ''}`);
    }
    const n = ids.data.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const id = ids.data[i] as number;
      if (!Number.isInteger(id) || id < 0 || id >= N) {
        throw new Error(`Embedding: token id ${id} at position ${i} is out of range; ids must be integers in [0, ${N})`);
      }
      idx[i] = id;
    }
    const w = this.params.data;
    const y = allocate(this.dtype, n * E);
    for (let i = 0; i < n; i++) {
      const row = this.weight + (idx[i] as number) * E;
      y.set(w.subarray(row, row + E), i * E);
    }
    const [out] = record('Embedding', [], [{ data: y, shape: [...ids.shape, E] }], ([dy]) => {
      if (!dy) return;
      const g = this.params.grad;
      for (let i = 0; i < n; i++) {
        const id = idx[i] as number;
        if (id === this.paddingIdx) continue;
        const row = this.weight + id * E;
        for (let j = 0; j < E; j++) g[row + j] = (g[row + j] as number) + (dy[i * E + j] as number); // dW[id] += dy
      }
    }, true);
    return out as Variable;
  }
}
