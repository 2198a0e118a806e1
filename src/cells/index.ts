/** Every cell's step, by its {@link CellType}. */
import type { CellKind, CellType } from './cell.js';
import { gruKind } from './gru.js';
import { lstmKind } from './lstm.js';
import { DEFAULT_NEGATIVE_SLOPE, rnnLeakyReluKind, rnnReluKind, rnnTanhKind } from './rnn.js';

export type { CellKind, CellType } from './cell.js';

/** Each cell type's step; `rnn_leaky_relu` with the default slope 0.01. */
export const cellKinds: Readonly<Record<CellType, CellKind>> = {
  rnn_tanh: rnnTanhKind,
  rnn_relu: rnnReluKind,
  rnn_leaky_relu: rnnLeakyReluKind(DEFAULT_NEGATIVE_SLOPE),
  lstm: lstmKind,
  gru: gruKind,
};

export const CELL_TYPES: readonly CellType[] = ['rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'lstm', 'gru'];

/** Whether `v` names a cell type. */
export function isCellType(v: unknown): v is CellType {
  return typeof v === 'string' && (CELL_TYPES as readonly string[]).includes(v);
}
