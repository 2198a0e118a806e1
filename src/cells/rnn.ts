/**
 * Elman RNN cell, the same weights at every step:
 *
 *   h = act(W_ih x + b_ih + W_hh h₋ + b_hh),   act = tanh or relu
 *
 * Shapes: `weight_ih` (H, I), `weight_hh` (H, H), `bias_ih`, `bias_hh` (H).
 * Init: U(−1/√H, 1/√H). With relu and identity `W_hh` this is the IRNN of
 * Le, Jaitly & Hinton (2015).
 *
 * Example: `const cell = new RNNCell({ inputSize: 3, hiddenSize: 5, nonlinearity: 'relu' });
 * const { h } = cell.forward(x);`
 */
import type { CellKind, ScanBuffers, ScanGradBuffers } from './cell.js';

function elmanKind(relu: boolean): CellKind {
  return {
    type: relu ? 'rnn_relu' : 'rnn_tanh',
    name: 'RNN',
    gates: 1,
    hasCellState: false,
    foldsHiddenBias: true,
    separateHiddenPreactivations: false,

    stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
      const { be, B, H } = s;
      const off = t * B * H;
      // pre = xw[t] + h₋ W_hhᵀ, then h = act(pre)
      be.gemm(false, true, B, H, H, 1, s.hs, before * B * H, H, s.w, s.whh, H, 1, s.xw, off, H);
      be.rnnForward(B, H, relu, s.xw, off, s.hs, after * B * H);
    },

    stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, _before: number, after: number): void {
      const { be, B, H } = s;
      be.rnnBackward(B, H, relu, s.hs, after * B * H, d.dh, 0, d.dxw, t * B * H);
      d.dhPrev.fill(0, 0, B * H); // h₋ acts only through W_hh
    },
  };
}

export const rnnTanhKind: CellKind = elmanKind(false);
export const rnnReluKind: CellKind = elmanKind(true);
