/**
 * A sequence-to-sequence model with attention (Sutskever et al. 2014;
 * Bahdanau et al. 2015; Luong et al. 2015): an {@link Encoder} reads the
 * source, a {@link Bridge} turns its final states into the decoder's
 * initial ones, and a {@link Decoder} predicts the target one token at a
 * time while attending over the encoder's outputs.
 *
 * Training minimises the mean cross-entropy of the target tokens with
 * teacher forcing, padding ignored:
 *   L = −(1/N) Σ_{b,t: y_{b,t} ≠ PAD} log softmax(logits_{b,t})[y_{b,t}]
 * over `targetOut` of a {@link PairBatch} (N = its non-PAD tokens); only
 * those N positions go through the readout to the vocabulary.
 *
 * All parameters live in one store under PyTorch-style names — the state
 * dict of an `nn.Module` with submodules `encoder` (`embedding`, `rnn`),
 * `bridge` (`hidden`, `cell`; bidirectional encoders only) and `decoder`
 * (`embedding`, `rnn`, `attention`, `combine`, `output`):
 *   encoder.embedding.weight, encoder.rnn.weight_ih_l0, …, bridge.hidden.weight,
 *   decoder.attention.weight, decoder.combine.weight, decoder.output.bias, …
 * Encoder and decoder share the cell type, hidden size and number of layers.
 * The defaults are the reference model of the benchmark: embeddings 128,
 * a bidirectional GRU encoder of 256 per direction, a GRU decoder of 256,
 * general attention.
 *
 * Example:
 *   const model = new Seq2Seq({ sourceVocabSize: 3368, targetVocabSize: 5985 });
 *   const loss = model.loss(batch);      // a scalar on the tape
 *   loss.backward();
 */
import { selectRows } from '../autograd/ops.js';
import type { Variable } from '../autograd/variable.js';
import type { AttentionMemory } from '../attention/attention.js';
import { ATTENTION_KINDS, type AttentionKind } from '../attention/index.js';
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import { isCellType, type CellType } from '../cells/index.js';
import { checkLengths, checkOptionKeys } from '../checks.js';
import { ParameterStore, type TensorLike } from '../params.js';
import type { Random } from '../random.js';
import { type DType, formatShape, type Tensor } from '../tensor.js';
import type { TokenIds } from '../layers/embedding.js';
import { crossEntropy } from '../train/loss.js';
import { type PairBatch, PAD, SPECIAL_TOKENS } from './batch.js';
import { Bridge } from './bridge.js';
import { Decoder, type DecoderFeatures, type DecoderOutput, type DecoderState } from './decoder.js';
import { Encoder } from './encoder.js';

/** A model's complete configuration (every default written out). */
export interface Seq2SeqConfig {
  sourceVocabSize: number;
  targetVocabSize: number;
  /** Size of the source and target embeddings. */
  embeddingSize: number;
  /** Hidden size of the encoder (per direction) and of the decoder. */
  hiddenSize: number;
  /** Layers of the encoder and of the decoder. */
  numLayers: number;
  cell: CellType;
  /** Whether the encoder reads the source in both directions. */
  bidirectional: boolean;
  attention: AttentionKind | 'none';
  /** Projected and Bahdanau attention: size of the projected queries and keys (default hiddenSize). */
  attentionSize: number;
  /** Projected attention: divide the scores by √attentionSize. */
  scaled: boolean;
  /** Seed of the initialisation. */
  seed: number;
  dtype: DType;
}

/** What the constructor takes: both vocabulary sizes, anything else defaults. */
export type Seq2SeqOptions = Pick<Seq2SeqConfig, 'sourceVocabSize' | 'targetVocabSize'> & Partial<Seq2SeqConfig>;

/** The defaults: the benchmark's reference model. */
export const SEQ2SEQ_DEFAULTS: Omit<Seq2SeqConfig, 'sourceVocabSize' | 'targetVocabSize' | 'attentionSize'> = {
  embeddingSize: 128, hiddenSize: 256, numLayers: 1, cell: 'gru', bidirectional: true, attention: 'general', scaled: true, seed: 0, dtype: 'float32',
};

/** An encoded source batch: what the decoder reads. */
export interface EncodedSource {
  /** The prepared encoder outputs, or null without attention. */
  memory: AttentionMemory | null;
  /** The decoder's initial state, from the bridge. */
  state: DecoderState;
  /** Valid source steps per row. */
  lengths: Int32Array;
}

/** Options of {@link Seq2Seq.forward} and {@link Seq2Seq.loss}. */
export interface ForwardOptions {
  /** Probability that a decoder input is the reference token (default 1); below 1 needs `random`. */
  teacherForcing?: number;
  /** Decides, step by step, whether the reference token is fed (teacher forcing < 1). */
  random?: Random;
}

export class Seq2Seq {
  readonly config: Seq2SeqConfig;
  readonly params: ParameterStore;
  readonly backend: Backend;
  readonly encoder: Encoder;
  readonly bridge: Bridge;
  readonly decoder: Decoder;

  constructor(options: Seq2SeqOptions, { backend = jsBackend }: { backend?: Backend } = {}) {
    this.config = completeConfig(options);
    const c = this.config;
    this.backend = backend;
    this.params = new ParameterStore(c.dtype, 'Seq2Seq');
    const shared = { params: this.params, backend };
    const D = c.bidirectional ? 2 : 1;
    this.encoder = new Encoder({
      vocabSize: c.sourceVocabSize, embeddingSize: c.embeddingSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
      cell: c.cell, bidirectional: c.bidirectional, prefix: 'encoder.', seed: c.seed, ...shared,
    });
    this.bridge = new Bridge({
      hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, hasCellState: c.cell === 'lstm',
      prefix: 'bridge.', seed: c.seed + 2, ...shared,
    });
    this.decoder = new Decoder({
      vocabSize: c.targetVocabSize, embeddingSize: c.embeddingSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
      cell: c.cell, attention: c.attention, memorySize: D * c.hiddenSize, attentionSize: c.attentionSize, scaled: c.scaled,
      prefix: 'decoder.', seed: c.seed + 4, ...shared,
    });
  }

  get dtype(): DType {
    return this.config.dtype;
  }

  /** Encodes `source` (B, S) ids, row b valid for its first lengths[b] steps. */
  encode(source: TokenIds, lengths: ArrayLike<number>): EncodedSource {
    const where = 'Seq2Seq.encode';
    if (!source || !Array.isArray(source.shape) || source.shape.length !== 2 || source.data?.length !== (source.shape[0] as number) * (source.shape[1] as number)) {
      throw new Error(`${where}: expected source ids of shape (B, S) with data filling it, got ${source && Array.isArray(source.shape) ? formatShape(source.shape) : String(source)}`);
    }
    const [B, S] = source.shape as [number, number];
    const checked = checkLengths(where, lengths, B, S);
    const enc = this.encoder.apply(source, checked);
    const state = this.bridge.apply(enc.hN, enc.cN);
    const memory = this.decoder.attention ? this.decoder.attention.prepare(enc.memory, checked) : null;
    return { memory, state, lengths: checked };
  }

  /** Teacher-forced decoding of a batch: logits (B, T, V) and attention weights (B, T, S). */
  forward(batch: PairBatch, options: ForwardOptions = {}): DecoderOutput {
    const f = this.decode(batch, options, 'Seq2Seq.forward');
    return { logits: this.decoder.readout(f.states, f.context), weights: f.weights, state: f.state };
  }

  /**
   * Mean cross-entropy over the batch's target tokens; a scalar on the tape.
   * Only the N positions with a target (not PAD) are read out: logits (N, V).
   */
  loss(batch: PairBatch, options: ForwardOptions = {}): Variable {
    const f = this.decode(batch, options, 'Seq2Seq.loss');
    const rows: number[] = [];
    const targets: number[] = [];
    batch.targetOut.forEach((y, i) => {
      if (y === PAD) return;
      rows.push(i);
      targets.push(y);
    });
    const logits = this.decoder.readout(selectRows(f.states, rows), f.context ? selectRows(f.context, rows) : null);
    return crossEntropy(logits, { data: targets, shape: [targets.length] }, { backend: this.backend });
  }

  /** Encoder, bridge and decoder up to the readout, teacher-forced. */
  private decode(batch: PairBatch, options: ForwardOptions, where: string): DecoderFeatures {
    checkPairBatch(where, batch);
    const ratio = options.teacherForcing ?? 1;
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new Error(`${where}: teacherForcing must be a probability in [0, 1], got ${String(ratio)}`);
    if (ratio < 1 && !options.random) throw new Error(`${where}: teacherForcing ${ratio} < 1 needs a seeded generator in options.random`);
    const encoded = this.encode({ data: batch.source, shape: [batch.batchSize, batch.sourceSteps] }, batch.sourceLengths);
    const inputs = { data: batch.targetIn, shape: [batch.batchSize, batch.targetSteps] };
    const forcing = ratio < 1 ? { ratio, random: options.random as Random } : null;
    return this.decoder.run(inputs, encoded.state, encoded.memory, forcing);
  }

  /** Live views of every parameter under its PyTorch-style name. */
  stateDict(): Record<string, Tensor> {
    return this.params.stateDict();
  }

  /** Loads weights by name; every key is checked before any is written. */
  loadStateDict(dict: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>): void {
    this.params.loadStateDict(dict);
  }

  zeroGrad(): void {
    this.params.zeroGrad();
  }
}

/** Fills in the defaults and validates every field. */
export function completeConfig(options: Seq2SeqOptions): Seq2SeqConfig {
  const where = 'Seq2Seq';
  if (!options || typeof options !== 'object') throw new Error(`${where}: options must be an object`);
  const keys = ['sourceVocabSize', 'targetVocabSize', 'attentionSize', ...Object.keys(SEQ2SEQ_DEFAULTS)];
  checkOptionKeys(where, options, keys);
  const hiddenSize = options.hiddenSize ?? SEQ2SEQ_DEFAULTS.hiddenSize;
  const c: Seq2SeqConfig = { ...SEQ2SEQ_DEFAULTS, attentionSize: hiddenSize, ...definedOnly(options) } as Seq2SeqConfig;
  for (const key of ['sourceVocabSize', 'targetVocabSize', 'embeddingSize', 'hiddenSize', 'numLayers', 'attentionSize'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: ${key} must be a positive integer, got ${String(v)}`);
  }
  for (const key of ['sourceVocabSize', 'targetVocabSize'] as const) {
    if (c[key] < SPECIAL_TOKENS.length) throw new Error(`${where}: ${key} must be at least ${SPECIAL_TOKENS.length} (the special tokens), got ${c[key]}`);
  }
  if (!isCellType(c.cell)) throw new Error(`${where}: cell must be 'rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'lstm' or 'gru', got '${String(c.cell)}'`);
  if (typeof c.bidirectional !== 'boolean') throw new Error(`${where}: bidirectional must be true or false, got ${String(c.bidirectional)}`);
  if (typeof c.scaled !== 'boolean') throw new Error(`${where}: scaled must be true or false, got ${String(c.scaled)}`);
  if (c.attention !== 'none' && !ATTENTION_KINDS.includes(c.attention)) {
    throw new Error(`${where}: attention must be 'none', ${ATTENTION_KINDS.map((k) => `'${k}'`).join(', ')}, got '${String(c.attention)}'`);
  }
  if (c.attention === 'dot' && c.bidirectional) {
    throw new Error(`${where}: dot attention needs the decoder state (${c.hiddenSize}) and the encoder output (2·${c.hiddenSize}, bidirectional) to have one size; use 'general' or 'projected', or a one-direction encoder`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`${where}: seed must be an integer, got ${String(c.seed)}`);
  if (c.dtype !== 'float32' && c.dtype !== 'float64') throw new Error(`${where}: dtype must be 'float32' or 'float64', got ${String(c.dtype)}`);
  return c;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks that a batch's arrays fill its shapes and its lengths are in range. */
export function checkPairBatch(where: string, batch: PairBatch): void {
  if (!batch || typeof batch !== 'object') throw new Error(`${where}: expected a PairBatch, got ${String(batch)}`);
  const { batchSize: B, sourceSteps: S, targetSteps: T } = batch;
  for (const [name, v] of [['batchSize', B], ['sourceSteps', S], ['targetSteps', T]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: batch.${name} must be a positive integer, got ${String(v)}`);
  }
  const sized: [string, ArrayLike<number>, number][] = [
    ['source', batch.source, B * S], ['targetIn', batch.targetIn, B * T], ['targetOut', batch.targetOut, B * T],
    ['sourceLengths', batch.sourceLengths, B], ['targetLengths', batch.targetLengths, B],
  ];
  for (const [name, a, n] of sized) {
    if (!a || a.length !== n) throw new Error(`${where}: batch.${name} has ${a?.length ?? 'no'} entries, expected ${n}`);
  }
  checkLengths(`${where}: batch.sourceLengths`, batch.sourceLengths, B, S);
  checkLengths(`${where}: batch.targetLengths`, batch.targetLengths, B, T);
}
