/**
 * Gate blocks in ONNX's order. PyTorch stacks an LSTM's gates i|f|g|o and a
 * GRU's r|z|n; ONNX's LSTM wants i|o|f|c and its GRU z|r|h. A gate block is
 * hiddenSize consecutive rows of W, R or a bias, so the reorder moves whole
 * blocks: ONNX block j = PyTorch block order[j].
 */
import type { CellKind } from '../cells/cell.js';

/** ONNX block j is PyTorch block ORDER[j]: LSTM i,o,f,c ← i,f,g,o; GRU z,r,h ← r,z,n. */
export const ONNX_GATE_ORDER: Readonly<Record<'RNN' | 'LSTM' | 'GRU', readonly number[]>> = {
  RNN: [0],
  LSTM: [0, 3, 1, 2],
  GRU: [1, 0, 2],
};

/** ONNX's peephole rows [p_i, p_o, p_f] from the library's (and the equations') p_i, p_f, p_o. */
export const ONNX_PEEPHOLE_ORDER: readonly number[] = [0, 2, 1];

/** The ONNX operator of a cell: RNN, LSTM or GRU. */
export function onnxOperator(kind: CellKind): 'RNN' | 'LSTM' | 'GRU' {
  if (kind.hasCellState) return 'LSTM';
  return kind.gates === 3 ? 'GRU' : 'RNN';
}

/**
 * Copies `src` — blocks of `rows` rows of `cols` values, PyTorch's order —
 * into `out` at `offset` with block j = src block order[j]. Returns `out`.
 */
export function reorderBlocks(out: Float32Array, offset: number, src: ArrayLike<number>, order: readonly number[], rows: number, cols: number): Float32Array {
  const block = rows * cols;
  order.forEach((from, j) => {
    for (let i = 0; i < block; i++) out[offset + j * block + i] = src[from * block + i] as number;
  });
  return out;
}

/** The inverse of a block order: PyTorch block p is ONNX block inverse[p] (for importing). */
export function inverseOrder(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((from, j) => { inverse[from] = j; });
  return inverse;
}
