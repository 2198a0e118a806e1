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
import { addMatmulNT, at } from '../backend/matmul.js';
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
      const { be, B, H, views: v } = s;
      addMatmulNT(be, at(v.hw, t), at(v.hPrev, before), v.W_hh); // pre = xw[t] + h₋ W_hhᵀ
      be.rnnForward(B, H, relu, s.xw, t * B * H, s.hs, after * B * H); // h = act(pre)
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
