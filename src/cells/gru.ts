/**
 * GRU cell (Cho et al. 2014), gate order r, z, n, in two forms that differ
 * only in where the reset gate acts. PyTorch's (the default) applies it after
 * the hidden projection ("reset-after"; Keras `reset_after=True`, ONNX
 * `linear_before_reset=1`):
 *
 *   r = σ(W_ir x + b_ir + W_hr h₋ + b_hr)               reset gate
 *   z = σ(W_iz x + b_iz + W_hz h₋ + b_hz)               update gate
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h₋ + b_hn))      candidate
 *   h = (1 − z) ⊙ n + z ⊙ h₋
 *
 * With `resetAfter: false` it is applied to h₋ before the product (Cho et
 * al.'s original; Keras `reset_after=False`, ONNX `linear_before_reset=0`):
 *
 *   n = tanh(W_in x + b_in + W_hn (r ⊙ h₋) + b_hn)
 *
 * Shapes, the same in both: `weight_ih` (3H, I), `weight_hh` (3H, H),
 * `bias_ih`, `bias_hh` (3H). Init: U(−1/√H, 1/√H). Reset-after: `b_hn` sits
 * inside `r ⊙ (…)`, so the hidden bias cannot be folded into the hoisted input
 * projection and the hidden pre-activations keep their own buffer.
 * Reset-before: every bias folds, but the candidate's product needs r first,
 * so a step is two products — `[r z] += h₋ [W_hr; W_hz]ᵀ`, then
 * `n += (r ⊙ h₋) W_hnᵀ` — and `r ⊙ h₋` is kept per step (`rs`) for `dW_hn`.
 *
 * Example: `const cell = new GRUCell({ inputSize: 3, hiddenSize: 5, resetAfter: false });
 * const { h } = cell.forward(x);`
 */
import { addMatmulNT, at, type Mat, matmulNN } from '../backend/matmul.js';
import type { CellKind, ScanBuffers, ScanGradBuffers } from './cell.js';

export const gruKind: CellKind = {
  type: 'gru',
  name: 'GRU',
  gates: 3,
  gateNames: ['r', 'z', 'n'],
  hasCellState: false,
  foldsHiddenBias: false,
  separateHiddenPreactivations: true,
  directGates: 3,

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
    be.gruForward(B, H, s.clip, s.xw, off, s.hw, off, s.hs, before * B * H, s.hs, after * B * H);
  },

  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number): void {
    const { be, B, H } = s;
    const off = t * B * 3 * H;
    be.gruBackward(B, H, s.clip, s.xw, off, s.hw, off, s.hs, before * B * H, d.dh, 0, d.dxw, off, d.dhw, off, d.dhPrev, 0);
  },
};

/** Points a view of columns of `xw` (or `dxw`) at step `t`, `col` columns into the row. */
function columnsAt(m: Mat, t: number, col: number): Mat {
  m.offset = t * m.rows * m.ld + col;
  return m;
}

/** The GRU with the reset gate before the recurrent product (`resetAfter: false`). */
export const gruResetBeforeKind: CellKind = {
  type: 'gru',
  name: 'GRU',
  gates: 3,
  gateNames: ['r', 'z', 'n'],
  hasCellState: false,
  foldsHiddenBias: true,
  separateHiddenPreactivations: false,
  directGates: 2,

  stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
    const { be, B, H, views: v } = s;
    const off = t * B * 3 * H;
    addMatmulNT(be, columnsAt(v.rzPre!, t, 0), at(v.hPrev, before), v.W_hrz!); // [r z] += h₋ [W_hr; W_hz]ᵀ
    be.gruResetForward(B, H, s.clip, s.xw, off, s.hs, before * B * H, s.rs!, t * B * H); // r, z; rs = r ⊙ h₋
    addMatmulNT(be, columnsAt(v.nPre!, t, 2 * H), at(v.rs!, t), v.W_hn!); // n += (r ⊙ h₋) W_hnᵀ
    be.gruCandidateForward(B, H, s.clip, s.xw, off, s.hs, before * B * H, s.hs, after * B * H); // n = tanh(·), h
  },

  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number): void {
    const { be, B, H } = s;
    const off = t * B * 3 * H;
    const hPrev = before * B * H;
    // dz, dn (pre-activations) and dh₋ = z ⊙ dh
    be.gruCandidateBackward(B, H, s.clip, s.xw, off, s.hs, hPrev, d.dh, 0, d.dxw, off, d.dhPrev, 0);
    matmulNN(be, d.views.drs!, columnsAt(d.views.dnPre!, t, 2 * H), s.views.W_hn!); // d(r ⊙ h₋) = dn W_hn
    // dr (pre-activation) and dh₋ += r ⊙ d(r ⊙ h₋)
    be.gruResetBackward(B, H, s.clip, s.xw, off, s.hs, hPrev, d.drs!, 0, d.dxw, off, d.dhPrev, 0);
  },
};
