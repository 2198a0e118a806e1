/**
 * GRU cell (Cho et al. 2014) in PyTorch's form — gate order r, z, n, with the
 * reset gate applied after the hidden projection ("reset-after"):
 *
 *   r = σ(W_ir x + b_ir + W_hr h₋ + b_hr)               reset gate
 *   z = σ(W_iz x + b_iz + W_hz h₋ + b_hz)               update gate
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h₋ + b_hn))      candidate
 *   h = (1 − z) ⊙ n + z ⊙ h₋
 *
 * Shapes: `weight_ih` (3H, I), `weight_hh` (3H, H), `bias_ih`, `bias_hh` (3H).
 * Init: U(−1/√H, 1/√H). Because `b_hn` sits inside `r ⊙ (…)`, the hidden bias
 * cannot be folded into the hoisted input projection.
 *
 * Example: `const cell = new GRUCell({ inputSize: 3, hiddenSize: 5 });
 * const { h } = cell.forward(x);`
 */
import { addMatmulNT, at } from '../backend/matmul.js';
import type { CellKind, ScanBuffers, ScanGradBuffers } from './cell.js';

export const gruKind: CellKind = {
  type: 'gru',
  name: 'GRU',
  gates: 3,
  gateNames: ['r', 'z', 'n'],
  hasCellState: false,
  foldsHiddenBias: false,
  separateHiddenPreactivations: true,

  stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
    const { be, B, H, views: v } = s;
    const off = t * B * 3 * H;
    // hw[t] = b_hh + h₋ W_hhᵀ
    if (s.bhh >= 0) {
      for (let b = 0; b < B; b++) s.hw.set(s.w.subarray(s.bhh, s.bhh + 3 * H), off + b * 3 * H);
    } else {
      s.hw.fill(0, off, off + B * 3 * H);
    }
    addMatmulNT(be, at(v.hw, t), at(v.hPrev, before), v.W_hh);
    be.gruForward(B, H, s.xw, off, s.hw, off, s.hs, before * B * H, s.hs, after * B * H);
  },

  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number): void {
    const { be, B, H } = s;
    const off = t * B * 3 * H;
    be.gruBackward(B, H, s.xw, off, s.hw, off, s.hs, before * B * H, d.dh, 0, d.dxw, off, d.dhw, off, d.dhPrev, 0);
  },
};
