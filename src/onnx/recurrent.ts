/**
 * A recurrent stack as ONNX nodes: one RNN, LSTM or GRU node per layer
 * (both directions in one node, `direction: "bidirectional"`, W/R/B stacked
 * [forward, reverse]), layout 0 (time-major).
 *
 * Per layer l, with PyTorch's weights reordered by ./gates.ts:
 *   W = [W_ih]        (D, G·H, in)      R = [W_hh]   (D, G·H, H)
 *   B = [b_ih | b_hh] (D, 2·G·H)        P = [p_i, p_o, p_f] (D, 3·H)   (peepholes)
 *   Y (T, D, B, H) → Transpose [0, 2, 1, 3] → Reshape (T, B, D·H): the library's output
 * and the final states Y_h, Y_c (D, B, H) of every layer concatenated on axis 0.
 * The initial states are the rows [l·D, (l+1)·D) of h0 and c0 (Slice).
 *
 * GRU: resetAfter (PyTorch) is `linear_before_reset = 1`, reset before the
 * product 0. Elman: tanh, relu, or leaky relu as `LeakyRelu` with
 * `activation_alpha` = the slope. The cell clip is `clip` (written only when
 * set; a float, so rounded to float32). An LSTM with projSize has no ONNX form.
 */
import { gruResetBeforeKind } from '../cells/gru.js';
import { RNN } from '../layers/rnn.js';
import type { RecurrentLayer } from '../layers/stack.js';
import type { Tensor } from '../tensor.js';
import { ONNX_GATE_ORDER, ONNX_PEEPHOLE_ORDER, onnxOperator, reorderBlocks } from './gates.js';
import type { AttributeValue, GraphBuilder } from './graph.js';

/** The graph values a stack reads and writes; `sequenceLens` and `c0` may be '' (omitted). */
export interface RecurrentValues {
  /** (T, B, inputSize), time-major. */
  input: string;
  /** (B) int32 lengths, or '' for full-length sequences. */
  sequenceLens: string;
  /** (numLayers·D, B, H). */
  h0: string;
  /** (numLayers·D, B, H), LSTM only. */
  c0: string;
  /** (T, B, D·H). */
  output: string;
  hN: string;
  /** LSTM only. */
  cN: string;
}

/**
 * Throws when a layer has no ONNX form: an LSTM with a projection, which
 * ONNX's LSTM lacks.
 */
export function checkExportable(layer: RecurrentLayer, where: string): void {
  if (layer.projSize > 0) {
    throw new Error(`${where}: ${layer.moduleName} has projSize ${layer.projSize}, and ONNX's LSTM has no projection (weight_hr); only LSTMs without projSize can be exported`);
  }
}

/** The attributes that choose the cell's nonlinearity or GRU form. */
function cellAttributes(layer: RecurrentLayer, D: number): Record<string, AttributeValue> {
  const op = onnxOperator(layer.cell);
  if (op === 'GRU') return { linear_before_reset: layer.cell === gruResetBeforeKind ? 0 : 1 };
  if (op === 'LSTM') return {};
  const nonlinearity = layer instanceof RNN ? layer.nonlinearity : layer.cell.type.slice('rnn_'.length);
  const name = nonlinearity === 'relu' ? 'Relu' : nonlinearity === 'tanh' ? 'Tanh' : 'LeakyRelu';
  const activations = { strings: Array<string>(D).fill(name) };
  if (name !== 'LeakyRelu') return { activations };
  if (!(layer instanceof RNN)) throw new Error(`ONNX export: ${layer.moduleName} has a leaky relu cell whose slope is unknown (not an RNN module)`);
  return { activations, activation_alpha: { floats: Array<number>(D).fill(layer.negativeSlope) } };
}

/** Appends the stack's nodes and weights (named `prefix` + W_l{k} …) to `g`. */
export function emitRecurrent(g: GraphBuilder, layer: RecurrentLayer, v: RecurrentValues, prefix: string): void {
  checkExportable(layer, 'ONNX export');
  const op = onnxOperator(layer.cell);
  const order = ONNX_GATE_ORDER[op];
  const D = layer.directions;
  const L = layer.numLayers;
  const H = layer.hiddenSize;
  const GH = order.length * H;
  const lstm = op === 'LSTM';
  const weights = layer.stateDict();
  const weight = (name: string): Tensor => {
    const t = weights[name];
    if (!t) throw new Error(`ONNX export: ${layer.moduleName} has no parameter ${name}`);
    return t;
  };
  const attributes: Record<string, AttributeValue> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward', ...cellAttributes(layer, D) };
  if (layer.clip !== Infinity) attributes.clip = { float: layer.clip }; // the cell clip
  const hNs: string[] = [];
  const cNs: string[] = [];
  let x = v.input;
  for (let l = 0; l < L; l++) {
    const inSize = l === 0 ? layer.inputSize : D * H;
    const W = new Float32Array(D * GH * inSize);
    const R = new Float32Array(D * GH * H);
    const B = new Float32Array(D * 2 * GH);
    const P = new Float32Array(D * 3 * H);
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      reorderBlocks(W, d * GH * inSize, weight(`weight_ih${sfx}`).data, order, H, inSize);
      reorderBlocks(R, d * GH * H, weight(`weight_hh${sfx}`).data, order, H, H);
      if (layer.bias) {
        reorderBlocks(B, d * 2 * GH, weight(`bias_ih${sfx}`).data, order, H, 1);
        reorderBlocks(B, d * 2 * GH + GH, weight(`bias_hh${sfx}`).data, order, H, 1);
      }
      if (layer.peepholes) reorderBlocks(P, d * 3 * H, weight(`weight_peep${sfx}`).data, ONNX_PEEPHOLE_ORDER, 1, H);
    }
    const name = (what: string): string => `${prefix}${what}_l${l}`;
    const state = (all: string, what: string): string => {
      if (L === 1 || all === '') return all;
      const sliced = name(what);
      g.node('Slice', [all, g.int64s(`${sliced}_start`, [l * D]), g.int64s(`${sliced}_end`, [(l + 1) * D]), g.int64s(`${sliced}_axis`, [0])], [sliced]);
      return sliced;
    };
    const inputs = [
      x, g.floats(name('W'), [D, GH, inSize], W), g.floats(name('R'), [D, GH, H], R),
      layer.bias ? g.floats(name('B'), [D, 2 * GH], B) : '', v.sequenceLens, state(v.h0, 'initial_h'),
    ];
    if (lstm) inputs.push(state(v.c0, 'initial_c'), layer.peepholes ? g.floats(name('P'), [D, 3 * H], P) : '');
    const yH = L === 1 ? v.hN : name('Y_h');
    const yC = L === 1 ? v.cN : name('Y_c');
    g.node(op, inputs, lstm ? [name('Y'), yH, yC] : [name('Y'), yH], attributes);
    hNs.push(yH);
    cNs.push(yC);
    g.node('Transpose', [name('Y')], [name('Y_tbdh')], { perm: { ints: [0, 2, 1, 3] } });
    const out = l === L - 1 ? v.output : name('output');
    g.node('Reshape', [name('Y_tbdh'), g.int64s(name('output_shape'), [0, 0, -1])], [out]);
    x = out;
  }
  if (L > 1) {
    g.node('Concat', hNs, [v.hN], { axis: 0 });
    if (lstm) g.node('Concat', cNs, [v.cN], { axis: 0 });
  }
}
