/**
 * LSTM cell (Hochreiter & Schmidhuber 1997, with forget gate: Gers et al. 2000),
 * in PyTorch's form and gate order i, f, g, o:
 *
 *   i = σ(W_ii x + b_ii + W_hi h₋ + b_hi)        input gate
 *   f = σ(W_if x + b_if + W_hf h₋ + b_hf)        forget gate
 *   g = tanh(W_ig x + b_ig + W_hg h₋ + b_hg)     candidate
 *   o = σ(W_io x + b_io + W_ho h₋ + b_ho)        output gate
 *   c = f ⊙ c₋ + i ⊙ g                            cell state
 *   h = o ⊙ tanh(c)          (with projection: h = W_hr (o ⊙ tanh(c)))
 *
 * Shapes: `weight_ih` (4H, I), `weight_hh` (4H, P), `bias_ih`, `bias_hh` (4H),
 * `weight_hr` (P, H) where P = projSize or H. Init: U(−1/√H, 1/√H) for all.
 *
 * Example: `const cell = new LSTMCell({ inputSize: 3, hiddenSize: 5 });
 * const { h, c } = cell.forward(x);`
 */
import type { CellKind, ScanBuffers, ScanGradBuffers } from './cell.js';

export const lstmKind: CellKind = {
  type: 'lstm',
  name: 'LSTM',
  gates: 4,
  hasCellState: true,
  foldsHiddenBias: true,
  separateHiddenPreactivations: false,

  stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
    const { be, B, H, P } = s;
    const cs = s.cs!;
    const gOff = t * B * 4 * H;
    // gates = xw[t] + h₋ W_hhᵀ
    be.gemm(false, true, B, 4 * H, P, 1, s.hs, before * B * P, P, s.w, s.whh, P, 1, s.xw, gOff, 4 * H);
    if (s.ms) {
      be.lstmForward(B, H, s.xw, gOff, cs, before * B * H, cs, after * B * H, s.ms, t * B * H);
      // h = m W_hrᵀ
      be.gemm(false, true, B, P, H, 1, s.ms, t * B * H, H, s.w, s.whr, H, 0, s.hs, after * B * P, P);
    } else {
      be.lstmForward(B, H, s.xw, gOff, cs, before * B * H, cs, after * B * H, s.hs, after * B * H);
    }
  },

  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number, after: number): void {
    const { be, B, H, P } = s;
    const cs = s.cs!;
    let dm = d.dh;
    if (s.ms && d.dm && d.dhAll) {
      // through h = m W_hrᵀ: dm = dh W_hr (W_hr's own gradient is taken after the loop)
      be.gemm(false, false, B, H, P, 1, d.dh, 0, P, s.w, s.whr, H, 0, d.dm, 0, H);
      d.dhAll.set(d.dh.subarray(0, B * P), t * B * P);
      dm = d.dm;
    }
    const gOff = t * B * 4 * H;
    be.lstmBackward(B, H, s.xw, gOff, cs, before * B * H, cs, after * B * H, dm, 0, d.dc!, 0, d.dxw, gOff);
    // h₋ reaches the output only through W_hh: no direct part.
    d.dhPrev.fill(0, 0, B * P);
  },
};
