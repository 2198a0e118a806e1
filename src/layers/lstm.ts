/**
 * Multi-layer LSTM over sequences, like `torch.nn.LSTM` (equations in
 * {@link ../cells/lstm.ts}; shapes and options in {@link ./stack.ts}).
 *
 * `projSize` > 0 adds the projection h = W_hr (o ⊙ tanh(c)) (Sak et al. 2014),
 * making the emitted state and `h0`/`hN` projSize wide while `c` stays hiddenSize.
 *
 * Example:
 *   const lstm = new LSTM({ inputSize: 8, hiddenSize: 16, numLayers: 2 });
 *   const { output, hN, cN, ctx } = lstm.forward(x);          // x: (T, B, 8)
 *   const { dInput } = lstm.backward(ctx, { dOutput });        // grads in lstm.params.grad
 */
import { lstmKind } from '../cells/lstm.js';
import { CellModule, type CellModuleOptions, type LSTMCellSignature } from './cell-module.js';
import { type LSTMSignature, RecurrentLayer, type RecurrentOptions } from './stack.js';

export interface LSTMOptions extends RecurrentOptions {
  /** Size of the projected hidden state (0 = no projection, the default). */
  projSize?: number;
}

export class LSTM extends RecurrentLayer<LSTMSignature> {
  constructor(options: LSTMOptions) {
    super(lstmKind, 'LSTM', options, options.projSize ?? 0, ['projSize']);
  }
}

/** One LSTM step as a module, like `torch.nn.LSTMCell`. */
export class LSTMCell extends CellModule<LSTMCellSignature> {
  constructor(options: CellModuleOptions) {
    super(lstmKind, 'LSTMCell', options);
  }
}
