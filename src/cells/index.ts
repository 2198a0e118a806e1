/** Every cell's step, by its {@link CellType}. */
import type { CellKind, CellType } from './cell.js';
import { gruKind } from './gru.js';
import { lstmKind } from './lstm.js';
import { rnnReluKind, rnnTanhKind } from './rnn.js';

export type { CellKind, CellType } from './cell.js';

export const cellKinds: Readonly<Record<CellType, CellKind>> = {
  rnn_tanh: rnnTanhKind,
  rnn_relu: rnnReluKind,
  lstm: lstmKind,
  gru: gruKind,
};

export const CELL_TYPES: readonly CellType[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];

/** Whether `v` names a cell type. */
export function isCellType(v: unknown): v is CellType {
  return typeof v === 'string' && (CELL_TYPES as readonly string[]).includes(v);
}
