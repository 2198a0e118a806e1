/** The recurrent layer of a {@link CellType}: for code that takes the cell by name. */
import type { CellType } from '../cells/cell.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { RNN } from './rnn.js';
import type { RecurrentOptions } from './stack.js';

/** `RNN` (tanh, relu or leaky relu with slope 0.01), `LSTM` or `GRU` with the given options, PyTorch's default init. */
export function recurrentLayer(cell: CellType, options: RecurrentOptions): RNN | LSTM | GRU {
  switch (cell) {
    case 'rnn_tanh': return new RNN({ ...options, nonlinearity: 'tanh' });
    case 'rnn_relu': return new RNN({ ...options, nonlinearity: 'relu' });
    case 'rnn_leaky_relu': return new RNN({ ...options, nonlinearity: 'leaky_relu' });
    case 'lstm': return new LSTM(options);
    case 'gru': return new GRU(options);
    default: throw new Error(`recurrentLayer: cell must be 'rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'lstm' or 'gru', got '${String(cell)}'`);
  }
}
