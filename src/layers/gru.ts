/**
 * Multi-layer GRU over sequences, like `torch.nn.GRU` (equations in
 * {@link ../cells/gru.ts}; shapes and options in {@link ./stack.ts}).
 *
 * Example:
 *   const gru = new GRU({ inputSize: 8, hiddenSize: 16, bidirectional: true });
 *   const { output, hN, ctx } = gru.forward(x, { lengths: [5, 3] });
 */
import { gruKind } from '../cells/gru.js';
import { CellModule, type CellModuleOptions, type CellSignature } from './cell-module.js';
import { type ElmanOrGRUSignature, RecurrentLayer, type RecurrentOptions } from './stack.js';

export class GRU extends RecurrentLayer<ElmanOrGRUSignature> {
  constructor(options: RecurrentOptions) {
    super(gruKind, 'GRU', options);
  }
}

/** One GRU step as a module, like `torch.nn.GRUCell`. */
export class GRUCell extends CellModule<CellSignature> {
  constructor(options: CellModuleOptions) {
    super(gruKind, 'GRUCell', options);
  }
}
