/**
 * Multi-layer Elman RNN over sequences, like `torch.nn.RNN` (equations in
 * {@link ../cells/rnn.ts}; shapes and options in {@link ./stack.ts}).
 *
 * Example:
 *   const rnn = new RNN({ inputSize: 2, hiddenSize: 32, nonlinearity: 'relu' });
 */
import { rnnReluKind, rnnTanhKind } from '../cells/rnn.js';
import { CellModule, type CellModuleOptions, type CellSignature } from './cell-module.js';
import { type ElmanOrGRUSignature, RecurrentLayer, type RecurrentOptions } from './stack.js';

export interface RNNOptions extends RecurrentOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

export class RNN extends RecurrentLayer<ElmanOrGRUSignature> {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(options: RNNOptions) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNN: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    super(nl === 'relu' ? rnnReluKind : rnnTanhKind, 'RNN', options, 0, ['nonlinearity']);
    this.nonlinearity = nl;
  }
}

/** One Elman step as a module, like `torch.nn.RNNCell`. */
export class RNNCell extends CellModule<CellSignature> {
  constructor(options: CellModuleOptions & { nonlinearity?: 'tanh' | 'relu' }) {
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNNCell: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    super(nl === 'relu' ? rnnReluKind : rnnTanhKind, 'RNNCell', options, ['nonlinearity']);
  }
}
