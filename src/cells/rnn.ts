/**
 * Elman RNN cell, the same weights at every step:
 *
 *   h = act(W_ih x + b_ih + W_hh h₋ + b_hh),   act = tanh, relu or leaky relu
 *   leaky(a) = a if a > 0 else slope·a          (slope in [0, 1); 0 is relu)
 *
 * Backward: dpre = dh ⊙ (1 − h²) for tanh, dh ⊙ (h > 0 ? 1 : slope) for the
 * rectifiers (for slope > 0, h > 0 exactly when a > 0).
 *
 * Shapes: `weight_ih` (H, I), `weight_hh` (H, H), `bias_ih`, `bias_hh` (H).
 * Init: U(−1/√H, 1/√H). With relu and identity `W_hh` this is the IRNN of
 * Le, Jaitly & Hinton (2015).
 *
 * Example: `const cell = new RNNCell({ inputSize: 3, hiddenSize: 5, nonlinearity: 'relu' });
 * const { h } = cell.forward(x);`
 */
import { ELMAN_TANH } from '../backend/backend.js';
import { addMatmulNT, at } from '../backend/matmul.js';
import type { CellKind, CellType, ScanBuffers, ScanGradBuffers } from './cell.js';

/** The leaky relu's default negative slope, as in `torch.nn.LeakyReLU`. */
export const DEFAULT_NEGATIVE_SLOPE = 0.01;

/** `slope`: {@link ELMAN_TANH}, or the rectifier's negative slope in [0, 1). */
function elmanKind(type: CellType, slope: number): CellKind {
  return {
    type,
    name: 'RNN',
    gates: 1,
    gateNames: [],
    hasCellState: false,
    foldsHiddenBias: true,
    separateHiddenPreactivations: false,
    directGates: 1,

    stepForward(s: ScanBuffers, t: number, before: number, after: number): void {
      const { be, B, H, views: v } = s;
      addMatmulNT(be, at(v.hw, t), at(v.hPrev, before), v.W_hh); // pre = xw[t] + h₋ W_hhᵀ
      be.rnnForward(B, H, slope, s.clip, s.xw, t * B * H, s.hs, after * B * H); // h = act(pre)
    },

    stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, _before: number, after: number): void {
      const { be, B, H } = s;
      be.rnnBackward(B, H, slope, s.clip, s.hs, after * B * H, d.dh, 0, d.dxw, t * B * H);
      d.dhPrev.fill(0, 0, B * H); // h₋ acts only through W_hh
    },
  };
}

export const rnnTanhKind: CellKind = elmanKind('rnn_tanh', ELMAN_TANH);
export const rnnReluKind: CellKind = elmanKind('rnn_relu', 0);

/** The leaky-relu Elman cell with negative slope `slope` (a finite number in [0, 1)). */
export function rnnLeakyReluKind(slope: number): CellKind {
  if (!(Number.isFinite(slope) && slope >= 0 && slope < 1)) throw new Error(`rnnLeakyReluKind: slope must be a finite number in [0, 1), got ${String(slope)}`);
  return elmanKind('rnn_leaky_relu', slope);
}
