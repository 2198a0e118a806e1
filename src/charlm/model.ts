/**
 * A character-level language model: Embedding → recurrent stack → Linear.
 *
 *   x_t = E[id_t]                      (vocab → embeddingSize)
 *   h_t = RNN(x_t, h_{t−1})            (LSTM, GRU or Elman tanh/relu/leaky relu, numLayers × hiddenSize)
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
import { type CellType, cellKinds, CELL_TYPES, isCellType } from '../cells/index.js';
import { Embedding, type TokenIds } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { recurrentLayer } from '../layers/recurrent-layer.js';
import type { RecurrentLayer } from '../layers/stack.js';
import { ParameterStore } from '../params.js';
import type { Tensor } from '../tensor.js';

export interface CharLMConfig {
  /** `lstm`, `gru`, `rnn_tanh`, `rnn_relu` or `rnn_leaky_relu` (slope 0.01). */
  cell: CellType;
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout between recurrent layers and before the decoder, in training. */
  dropout: number;
  /** Seed of initialisation and dropout, an unsigned 32-bit integer. */
  seed: number;
}

/** Largest seed: generators take 32-bit seeds. */
export const MAX_SEED = 0xffffffff;

/** Most parameters one store holds (the length limit of a typed array). */
export const MAX_PARAMETERS = 2 ** 32;

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
      dropout: config.dropout, prefix: 'rnn.', ...shared, seed: (config.seed + 1) >>> 0,
    };
    this.rnn = recurrentLayer(config.cell, rnnOptions);
    this.decoder = new Linear({ inFeatures: config.hiddenSize, outFeatures: config.vocabSize, prefix: 'decoder.', ...shared, seed: (config.seed + 2) >>> 0 }); // derived seeds wrap, as 32-bit seeds do
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

/** Validates a config (from code, the command line or a checkpoint), including that its parameters fit in one store. */
export function checkConfig(c: CharLMConfig): void {
  if (!c || typeof c !== 'object') throw new Error('CharLM: config must be an object');
  if (!isCellType(c.cell)) throw new Error(`CharLM: cell must be one of ${CELL_TYPES.join(', ')}, got ${String(c.cell)}`);
  for (const key of ['vocabSize', 'embeddingSize', 'hiddenSize', 'numLayers'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new Error(`CharLM: ${key} must be a positive integer, got ${String(v)}`);
  }
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw new Error(`CharLM: dropout must be in [0, 1), got ${String(c.dropout)}`);
  if (typeof c.seed !== 'number' || !Number.isInteger(c.seed) || c.seed < 0 || c.seed > MAX_SEED) {
    throw new Error(`CharLM: seed must be an integer in [0, ${MAX_SEED}], got ${String(c.seed)}`);
  }
  const count = parameterCount(c);
  if (count > MAX_PARAMETERS) {
    throw new Error(`CharLM: this configuration has ${count.toLocaleString('en-US')} parameters, more than one parameter store holds (${MAX_PARAMETERS.toLocaleString('en-US')})`);
  }
}

/**
 * Names and shapes of the parameters a config creates (G = gates × hiddenSize):
 *   embedding.weight (V, E); per layer k: rnn.weight_ih_lk (G, E or H),
 *   rnn.weight_hh_lk (G, H), rnn.bias_ih_lk (G), rnn.bias_hh_lk (G);
 *   decoder.weight (V, H), decoder.bias (V).
 * Computed without allocating, so a checkpoint's config can be checked against its tensors first.
 */
export function parameterShapes(c: CharLMConfig): [string, number[]][] {
  const G = cellKinds[c.cell].gates * c.hiddenSize;
  const shapes: [string, number[]][] = [['embedding.weight', [c.vocabSize, c.embeddingSize]]];
  for (let k = 0; k < c.numLayers; k++) {
    shapes.push(
      [`rnn.weight_ih_l${k}`, [G, k === 0 ? c.embeddingSize : c.hiddenSize]], [`rnn.weight_hh_l${k}`, [G, c.hiddenSize]],
      [`rnn.bias_ih_l${k}`, [G]], [`rnn.bias_hh_l${k}`, [G]],
    );
  }
  shapes.push(['decoder.weight', [c.vocabSize, c.hiddenSize]], ['decoder.bias', [c.vocabSize]]);
  return shapes;
}

/** Number of tensors {@link parameterShapes} lists: 3 + 4 per layer. */
export function parameterTensorCount(numLayers: number): number {
  return 3 + 4 * numLayers;
}

/** Total parameters of a config, by arithmetic (no allocation, no loop over layers). */
export function parameterCount(c: CharLMConfig): number {
  const G = cellKinds[c.cell].gates * c.hiddenSize;
  const V = c.vocabSize;
  const perLayer = G * c.hiddenSize + 2 * G;
  return V * c.embeddingSize + G * c.embeddingSize + G * c.hiddenSize * (c.numLayers - 1) + perLayer * c.numLayers + V * c.hiddenSize + V;
}

/** How a cell reads in messages: `LSTM`, `GRU`, `RNN (tanh)`, `RNN (relu)`, `RNN (leaky relu)`. */
export function cellLabel(cell: CellType): string {
  return cell === 'rnn_tanh' ? 'RNN (tanh)' : cell === 'rnn_relu' ? 'RNN (relu)'
    : cell === 'rnn_leaky_relu' ? 'RNN (leaky relu)' : cellKinds[cell].name;
}
