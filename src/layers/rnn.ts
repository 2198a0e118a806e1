/**
 * Multi-layer Elman RNN over sequences, like `torch.nn.RNN` (equations in
 * {@link ../cells/rnn.ts}; shapes and options in {@link ./stack.ts}).
 *
 * Example:
 *   const rnn = new RNN({ inputSize: 2, hiddenSize: 32, nonlinearity: 'relu' });
 *   const leaky = new RNN({ inputSize: 2, hiddenSize: 32, nonlinearity: 'leaky_relu', negativeSlope: 0.1 });
 */
import type { CellKind } from '../cells/cell.js';
import { DEFAULT_NEGATIVE_SLOPE, rnnLeakyReluKind, rnnReluKind, rnnTanhKind } from '../cells/rnn.js';
import { CellModule, type CellModuleOptions, type CellSignature } from './cell-module.js';
import { type ElmanOrGRUSignature, RecurrentLayer, type RecurrentOptions } from './stack.js';

export type ElmanNonlinearity = 'tanh' | 'relu' | 'leaky_relu';

/** The Elman options shared by {@link RNN} and {@link RNNCell}. */
export interface ElmanOptions {
  /** 'tanh' (default), 'relu' or 'leaky_relu'. */
  nonlinearity?: ElmanNonlinearity;
  /** leaky_relu only: the slope for negative inputs, a finite number in [0, 1). Default 0.01. */
  negativeSlope?: number;
}

export interface RNNOptions extends RecurrentOptions, ElmanOptions {}

const ELMAN_OPTION_KEYS = ['nonlinearity', 'negativeSlope'];

/** The checked nonlinearity and slope (0 unless leaky), and the cell they choose. */
function elmanCell(module: string, options: ElmanOptions): { nonlinearity: ElmanNonlinearity; negativeSlope: number; kind: CellKind } {
  const nl = options.nonlinearity ?? 'tanh';
  if (nl !== 'tanh' && nl !== 'relu' && nl !== 'leaky_relu') {
    throw new Error(`${module}: nonlinearity must be 'tanh', 'relu' or 'leaky_relu', got '${String(nl)}'`);
  }
  const slope: unknown = options.negativeSlope;
  if (nl !== 'leaky_relu') {
    if (slope !== undefined) throw new Error(`${module}: negativeSlope is only for nonlinearity 'leaky_relu', got nonlinearity '${nl}'`);
    return { nonlinearity: nl, negativeSlope: 0, kind: nl === 'relu' ? rnnReluKind : rnnTanhKind };
  }
  const s = slope ?? DEFAULT_NEGATIVE_SLOPE;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s >= 1) {
    throw new Error(`${module}: negativeSlope must be a finite number in [0, 1), got ${typeof s === 'string' ? `'${s}'` : String(s)}`);
  }
  return { nonlinearity: nl, negativeSlope: s, kind: rnnLeakyReluKind(s) };
}

export class RNN extends RecurrentLayer<ElmanOrGRUSignature> {
  readonly nonlinearity: ElmanNonlinearity;
  /** The leaky relu's slope for negative inputs; 0 for tanh and relu. */
  readonly negativeSlope: number;
  constructor(options: RNNOptions) {
    const cell = elmanCell('RNN', options);
    super(cell.kind, 'RNN', options, ELMAN_OPTION_KEYS);
    this.nonlinearity = cell.nonlinearity;
    this.negativeSlope = cell.negativeSlope;
  }
}

/** One Elman step as a module, like `torch.nn.RNNCell`. */
export class RNNCell extends CellModule<CellSignature> {
  readonly nonlinearity: ElmanNonlinearity;
  /** The leaky relu's slope for negative inputs; 0 for tanh and relu. */
  readonly negativeSlope: number;
  constructor(options: CellModuleOptions & ElmanOptions) {
    const cell = elmanCell('RNNCell', options);
    super(cell.kind, 'RNNCell', options, ELMAN_OPTION_KEYS);
    this.nonlinearity = cell.nonlinearity;
    this.negativeSlope = cell.negativeSlope;
  }
}
