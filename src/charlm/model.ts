/**
 * A character-level language model: Embedding → recurrent stack → Linear.
 *
 *   x_t = E[id_t]                      (vocab → embeddingSize)
 *   h_t = RNN(x_t, h_{t−1})            (LSTM, GRU or Elman, numLayers × hiddenSize)
 *   logits_t = W_o dropout(h_t) + b_o  (hiddenSize → vocab)
 *
 * All parameters live in one store under PyTorch-style names:
 * `embedding.weight`, `rnn.weight_ih_l0` …, `decoder.weight`, `decoder.bias`
 * — the state dict of the equivalent `nn.Module` with submodules named
 * `embedding`, `rnn` and `decoder`.
 */
import { dropout } from '../autograd/ops.js';
import { constant, type Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import { Embedding, type TokenIds } from '../layers/embedding.js';
import { GRU } from '../layers/gru.js';
import { Linear } from '../layers/linear.js';
import { LSTM } from '../layers/lstm.js';
import type { RecurrentLayer } from '../layers/stack.js';
import { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import type { Tensor } from '../tensor.js';

export type CellType = 'lstm' | 'gru' | 'rnn';

export interface CharLMConfig {
  cell: CellType;
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout between recurrent layers and before the decoder, in training. */
  dropout: number;
  /** Seed of initialisation and dropout. */
  seed: number;
}

/** Recurrent state carried between calls (e.g. while sampling). */
export interface CharLMState {
  h: Tensor;
  c?: Tensor;
}

export class CharLM {
  readonly params: ParameterStore;
  readonly embedding: Embedding;
  readonly rnn: RecurrentLayer;
  readonly decoder: Linear;

  constructor(readonly config: CharLMConfig, backend?: Backend) {
    checkConfig(config);
    this.params = new ParameterStore('float32', 'CharLM');
    const shared = { params: this.params, seed: config.seed, ...(backend ? { backend } : {}) };
    this.embedding = new Embedding({ numEmbeddings: config.vocabSize, embeddingDim: config.embeddingSize, prefix: 'embedding.', ...shared });
    const rnnOptions = {
      inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, numLayers: config.numLayers,
      dropout: config.dropout, prefix: 'rnn.', ...shared, seed: config.seed + 1,
    };
    this.rnn = config.cell === 'lstm' ? new LSTM(rnnOptions) : config.cell === 'gru' ? new GRU(rnnOptions) : new RNN(rnnOptions);
    this.decoder = new Linear({ inFeatures: config.hiddenSize, outFeatures: config.vocabSize, prefix: 'decoder.', ...shared, seed: config.seed + 2 });
  }

  /** Training mode turns dropout on; evaluation mode off. */
  train(on = true): this {
    this.embedding.train(on);
    this.rnn.train(on);
    this.decoder.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  get training(): boolean {
    return this.rnn.training;
  }

  /** Logits `(T, B, vocab)` for ids `(T, B)`, from `state` (zeros when omitted), and the final state. */
  apply(ids: TokenIds, state?: CharLMState | null): { logits: Variable; state: CharLMState } {
    const x = this.embedding.apply(ids);
    const out = this.rnn.apply(x, state ? { h0: constant(state.h), c0: state.c ? constant(state.c) : null } : {});
    const h = dropout(out.output, this.config.dropout, this.rnn.rng, this.training);
    const logits = this.decoder.apply(h);
    const next: CharLMState = { h: out.hN.value };
    if (out.cN) next.c = out.cN.value;
    return { logits, state: next };
  }
}

/** Validates a config read from the command line or a checkpoint. */
export function checkConfig(c: CharLMConfig): void {
  if (!c || typeof c !== 'object') throw new Error('CharLM: config must be an object');
  if (c.cell !== 'lstm' && c.cell !== 'gru' && c.cell !== 'rnn') throw new Error(`CharLM: cell must be lstm, gru or rnn, got ${String(c.cell)}`);
  for (const key of ['vocabSize', 'embeddingSize', 'hiddenSize', 'numLayers'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`CharLM: ${key} must be a positive integer, got ${String(v)}`);
  }
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw new Error(`CharLM: dropout must be in [0, 1), got ${String(c.dropout)}`);
  if (typeof c.seed !== 'number' || !Number.isInteger(c.seed)) throw new Error(`CharLM: seed must be an integer, got ${String(c.seed)}`);
}
