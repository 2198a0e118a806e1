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
 * With peepholes (Gers & Schmidhuber 2000; ONNX's `P`), the gates also see
 * the cell state through diagonal weights p_i, p_f, p_o (H each):
 *
 *   i = σ(… + p_i ⊙ c₋),   f = σ(… + p_f ⊙ c₋),   o = σ(… + p_o ⊙ c)
 *
 * (o sees the new c, so it is computed after c). PyTorch has no peepholes.
 *
 * Shapes: `weight_ih` (4H, I), `weight_hh` (4H, P), `bias_ih`, `bias_hh` (4H),
 * `weight_hr` (P, H) where P = projSize or H, `weight_peep` (3, H) with rows
 * p_i, p_f, p_o — the gate order without g (ONNX orders its `P` as
 * [p_i, p_o, p_f]). Init: U(−1/√H, 1/√H) for all.
 *
 * Example: `const cell = new LSTMCell({ inputSize: 3, hiddenSize: 5 });
 * const { h, c } = cell.forward(x);`
 */
import { addMatmulNT, at, matmulNN, matmulNT } from '../backend/matmul.js';
import type { CellKind, ScanBuffers, ScanGradBuffers } from './cell.js';

export const lstmKind: CellKind = {
  type: 'lstm',
  name: 'LSTM',
  gates: 4,
  gateNames: ['i', 'f', 'g', 'o'],
  hasCellState: true,
  foldsHiddenBias: true,
  separateHiddenPreactivations: false,
  directGates: 4,

  stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
    const { be, B, H, views: v } = s;
    const cs = s.cs!;
    const gOff = t * B * 4 * H;
    addMatmulNT(be, at(v.hw, t), at(v.hPrev, before), v.W_hh); // gates = xw[t] + h₋ W_hhᵀ
    // m = o ⊙ tanh(c): the state itself, or what the projection reads
    const m = s.ms ?? s.hs;
    const mOff = s.ms ? t * B * H : after * B * H;
    if (s.peep >= 0) be.lstmPeepholeForward(B, H, s.clip, s.xw, gOff, s.w, s.peep, cs, before * B * H, cs, after * B * H, m, mOff);
    else be.lstmForward(B, H, s.clip, s.xw, gOff, cs, before * B * H, cs, after * B * H, m, mOff);
    if (s.ms) matmulNT(be, at(v.h, after), at(v.m!, t), v.W_hr!); // h = m W_hrᵀ
  },

  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number, after: number): void {
    const { be, B, H, P } = s;
    const cs = s.cs!;
    let dm = d.dh;
    if (s.ms && d.dm && d.dhAll) {
      // through h = m W_hrᵀ (W_hr's own gradient is taken after the loop)
      matmulNN(be, d.views.dm!, d.views.dh, s.views.W_hr!); // dm = dh W_hr
      d.dhAll.set(d.dh.subarray(0, B * P), t * B * P);
      dm = d.dm;
    }
    const gOff = t * B * 4 * H;
    if (s.peep >= 0) be.lstmPeepholeBackward(B, H, s.clip, s.xw, gOff, s.w, s.peep, cs, before * B * H, cs, after * B * H, dm, 0, d.dc!, 0, d.dxw, gOff);
    else be.lstmBackward(B, H, s.clip, s.xw, gOff, cs, before * B * H, cs, after * B * H, dm, 0, d.dc!, 0, d.dxw, gOff);
    // h₋ reaches the output only through W_hh (the peepholes read c): no direct part.
    d.dhPrev.fill(0, 0, B * P);
  },
};
