/**
 * The encoder of a sequence-to-sequence model: embedding, then a recurrent
 * stack over the source, batch first, each row for its own length.
 *
 *   x_s = E_src[id_s]                                  (B, S, embeddingSize)
 *   h_s = RNN(x_s, h_{s−1})  (both directions when bidirectional, concatenated)
 *   memory = [h_1 … h_S]                               (B, S, D·hiddenSize), zeros past each length
 *
 * Padding rows of the embedding (`PAD`) stay zero and get no gradient; the
 * stack follows PyTorch's packed-sequence semantics, so the final states hN
 * (and cN) are each row's states at its last valid step (the reverse
 * direction's at step 0).
 *
 * Parameters: `embedding.weight`, `rnn.weight_ih_l0` … (`rnn.*_reverse` when
 * bidirectional), under the prefix given (`encoder.` in {@link Seq2Seq}).
 */
import type { Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/cell.js';
import { Embedding, type TokenIds } from '../layers/embedding.js';
import { recurrentLayer } from '../layers/recurrent-layer.js';
import type { RecurrentLayer } from '../layers/stack.js';
import type { ParameterStore } from '../params.js';
import { PAD } from './batch.js';

export interface EncoderOptions {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: CellType;
  bidirectional: boolean;
  params: ParameterStore;
  prefix: string;
  /** The embedding is seeded with `seed`, the stack with `seed + 1`. */
  seed: number;
  backend: Backend;
}

export interface EncoderOutput {
  /** (B, S, D·hiddenSize) every step's output (zeros past each row's length). */
  memory: Variable;
  /** (numLayers·D, B, hiddenSize) final hidden states. */
  hN: Variable;
  /** (numLayers·D, B, hiddenSize) final cell states (LSTM), else null. */
  cN: Variable | null;
}

export class Encoder {
  readonly embedding: Embedding;
  readonly rnn: RecurrentLayer;

  constructor(o: EncoderOptions) {
    const shared = { params: o.params, backend: o.backend };
    this.embedding = new Embedding({ numEmbeddings: o.vocabSize, embeddingDim: o.embeddingSize, paddingIdx: PAD, prefix: `${o.prefix}embedding.`, seed: o.seed, ...shared });
    this.rnn = recurrentLayer(o.cell, {
      inputSize: o.embeddingSize, hiddenSize: o.hiddenSize, numLayers: o.numLayers, bidirectional: o.bidirectional, batchFirst: true,
      prefix: `${o.prefix}rnn.`, seed: o.seed + 1, ...shared,
    });
  }

  /** Encodes `source` (B, S) ids with per-row `lengths` in [1, S]. */
  apply(source: TokenIds, lengths: Int32Array): EncoderOutput {
    const out = this.rnn.apply(this.embedding.apply(source), { lengths });
    return { memory: out.output, hN: out.hN, cN: out.cN ?? null };
  }
}
