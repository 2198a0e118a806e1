/**
 * Multi-layer GRU over sequences, like `torch.nn.GRU` (equations in
 * {@link ../cells/gru.ts}; shapes and options in {@link ./recurrent.ts}).
 *
 * Example:
 *   const gru = new GRU({ inputSize: 8, hiddenSize: 16, bidirectional: true });
 *   const { output, hN, ctx } = gru.forward(x, { lengths: [5, 3] });
 */
import { gruKind } from '../cells/gru.js';
import { RecurrentLayer, type RecurrentOptions } from './recurrent.js';

export class GRU extends RecurrentLayer {
  constructor(options: RecurrentOptions) {
    super(gruKind, 'GRU', options);
  }
}
