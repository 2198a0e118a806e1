/**
 * Multi-layer GRU over sequences, like `torch.nn.GRU` (equations in
 * {@link ../cells/gru.ts}; shapes and options in {@link ./stack.ts}).
 *
 * `resetAfter: false` applies the reset gate to h₋ before the recurrent
 * product — n = tanh(W_in x + b_in + W_hn (r ⊙ h₋) + b_hn) — as Keras's
 * `reset_after=False` and ONNX's `linear_before_reset=0` do; the default
 * (true) is PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h₋ + b_hn)). The
 * parameters are the same in both forms.
 *
 * Example:
 *   const gru = new GRU({ inputSize: 8, hiddenSize: 16, bidirectional: true });
 *   const { output, hN, ctx } = gru.forward(x, { lengths: [5, 3] });
 *   const keras = new GRU({ inputSize: 8, hiddenSize: 16, resetAfter: false });
 */
import type { CellKind } from '../cells/cell.js';
import { gruKind, gruResetBeforeKind } from '../cells/gru.js';
import { CellModule, type CellModuleOptions, type CellSignature } from './cell-module.js';
import { type ElmanOrGRUSignature, RecurrentLayer, type RecurrentOptions } from './stack.js';

/** The option shared by {@link GRU} and {@link GRUCell}. */
export interface GRUResetOptions {
  /** Whether the reset gate acts after the recurrent product (PyTorch's form, the default) or before it (false). */
  resetAfter?: boolean;
}

export interface GRUOptions extends RecurrentOptions, GRUResetOptions {}

/** The checked option and the cell it chooses. */
function gruCell(module: string, options: GRUResetOptions): { resetAfter: boolean; kind: CellKind } {
  const resetAfter: unknown = options.resetAfter ?? true;
  if (typeof resetAfter !== 'boolean') throw new Error(`${module}: resetAfter must be true or false, got ${String(resetAfter)}`);
  return { resetAfter, kind: resetAfter ? gruKind : gruResetBeforeKind };
}

export class GRU extends RecurrentLayer<ElmanOrGRUSignature> {
  /** Whether the reset gate acts after the recurrent product (PyTorch's form). */
  readonly resetAfter: boolean;
  constructor(options: GRUOptions) {
    const cell = gruCell('GRU', options);
    super(cell.kind, 'GRU', options, ['resetAfter']);
    this.resetAfter = cell.resetAfter;
  }
}

/** One GRU step as a module, like `torch.nn.GRUCell`. */
export class GRUCell extends CellModule<CellSignature> {
  /** Whether the reset gate acts after the recurrent product (PyTorch's form). */
  readonly resetAfter: boolean;
  constructor(options: CellModuleOptions & GRUResetOptions) {
    const cell = gruCell('GRUCell', options);
    super(cell.kind, 'GRUCell', options, ['resetAfter']);
    this.resetAfter = cell.resetAfter;
  }
}
