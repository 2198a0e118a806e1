/**
 * Multi-layer LSTM over sequences, like `torch.nn.LSTM` (equations in
 * {@link ../cells/lstm.ts}; shapes and options in {@link ./stack.ts}).
 *
 * `projSize` > 0 adds the projection h = W_hr (o ⊙ tanh(c)) (Sak et al. 2014),
 * making the emitted state and `h0`/`hN` projSize wide while `c` stays hiddenSize.
 *
 * `peepholes: true` lets the gates see the cell state (Gers & Schmidhuber
 * 2000; ONNX's `P`): i = σ(… + p_i ⊙ c₋), f = σ(… + p_f ⊙ c₋), o = σ(… + p_o ⊙ c),
 * with one more parameter per layer and direction, `weight_peep_l{k}` (3, H),
 * rows p_i, p_f, p_o (ONNX stores them as [p_i, p_o, p_f]). PyTorch has no peepholes.
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
  /** Whether the gates see the cell state through peepholes `weight_peep_l{k}` (default false). */
  peepholes?: boolean;
}

export interface LSTMCellOptions extends CellModuleOptions {
  /** Whether the gates see the cell state through peepholes `weight_peep` (3, H) (default false). */
  peepholes?: boolean;
}

export class LSTM extends RecurrentLayer<LSTMSignature> {
  constructor(options: LSTMOptions) {
    super(lstmKind, 'LSTM', options, ['projSize', 'peepholes'], { projSize: options.projSize ?? 0, peepholes: options.peepholes ?? false });
  }
}

/** One LSTM step as a module, like `torch.nn.LSTMCell`. */
export class LSTMCell extends CellModule<LSTMCellSignature> {
  constructor(options: LSTMCellOptions) {
    super(lstmKind, 'LSTMCell', options, ['peepholes'], options.peepholes ?? false);
  }
}
