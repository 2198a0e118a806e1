/**
 * An ONNX RNN, LSTM or GRU node as a library layer (numLayers 1,
 * bidirectional if the node is) with its weights loaded, and the step that
 * computes the node's outputs with it. See ./import.ts for the mapping.
 *
 * direction "reverse": the library has no reverse-only layer, so the step
 * reverses each row's first sequence_lens[b] steps (x'ₜ = x_{len−1−t}),
 * runs the forward layer, and reverses the output back the same way; the
 * final state is the reverse scan's (at t = 0).
 */
import { noGrad } from '../autograd/variable.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { RecurrentLayer } from '../layers/stack.js';
import type { Tensor } from '../tensor.js';
import { type Attributes, attributeFloats, attributeInt, attributeString, attributeStrings, type Step } from './attributes.js';
import { inverseOrder, ONNX_GATE_ORDER, ONNX_PEEPHOLE_ORDER, reorderBlocks } from './gates.js';
import { transpose, type Value } from './glue.js';

type Operator = 'RNN' | 'LSTM' | 'GRU';
type Direction = 'forward' | 'reverse' | 'bidirectional';

/** A recurrent node of the imported graph and the layer that computes it. */
export interface ImportedRecurrent {
  /** The node's name in the graph. */
  readonly node: string;
  readonly operator: Operator;
  readonly direction: Direction;
  readonly layout: 0 | 1;
  /** One layer, bidirectional if the node is; a "reverse" node's layer runs forward on reversed rows. */
  readonly layer: RecurrentLayer;
}

const ATTRIBUTES: Readonly<Record<Operator, readonly string[]>> = {
  RNN: ['activations', 'activation_alpha', 'activation_beta', 'clip', 'direction', 'hidden_size', 'layout'],
  LSTM: ['activations', 'activation_alpha', 'activation_beta', 'clip', 'direction', 'hidden_size', 'layout', 'input_forget'],
  GRU: ['activations', 'activation_alpha', 'activation_beta', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
};

const DEFAULT_ACTIVATIONS: Readonly<Record<Operator, readonly string[]>> = {
  RNN: ['tanh'],
  LSTM: ['sigmoid', 'tanh', 'tanh'],
  GRU: ['sigmoid', 'tanh'],
};

const shapeText = (shape: readonly number[]): string => `(${shape.join(', ')})`;

/** The Elman nonlinearity an RNN node's activations choose. */
function elman(where: string, a: Attributes, D: number): { nonlinearity: 'tanh' | 'relu' | 'leaky_relu'; negativeSlope?: number } {
  const given = attributeStrings(a, 'activations');
  const names = (given ?? Array<string>(D).fill('Tanh')).map((s) => s.toLowerCase());
  const alphas = attributeFloats(a, 'activation_alpha');
  const refuse = (): never => {
    throw new Error(`ONNX import: ${where}: activations [${(given ?? []).join(', ')}] are not supported; an RNN takes Tanh, Relu or LeakyRelu, the same in both directions`);
  };
  if (names.length !== D || names.some((n) => n !== names[0])) refuse();
  if (names[0] === 'leakyrelu') {
    const slopes = alphas ?? Array<number>(D).fill(0.01);
    if (slopes.length !== D || slopes.some((s) => s !== slopes[0])) throw new Error(`ONNX import: ${where}: LeakyRelu needs one activation_alpha per direction, all equal; got [${slopes.join(', ')}]`);
    return { nonlinearity: 'leaky_relu', negativeSlope: slopes[0]! };
  }
  if (names[0] !== 'tanh' && names[0] !== 'relu') refuse();
  if (alphas) throw new Error(`ONNX import: ${where}: activation_alpha [${alphas.join(', ')}] is only supported with LeakyRelu`);
  return { nonlinearity: names[0] as 'tanh' | 'relu' };
}

function checkAttributes(op: Operator, where: string, a: Attributes, D: number): void {
  for (const name of a.keys()) {
    if (!ATTRIBUTES[op].includes(name)) throw new Error(`ONNX import: ${where}: unknown attribute '${name}'`);
  }
  if (attributeInt(a, 'input_forget', 0) !== 0) throw new Error(`ONNX import: ${where}: input_forget = 1 (coupled input and forget gates) is not supported`);
  if (a.has('activation_beta')) throw new Error(`ONNX import: ${where}: activation_beta is not supported (no supported activation takes one)`);
  if (op === 'RNN') return;
  const given = attributeStrings(a, 'activations');
  const want = Array.from({ length: D }, () => DEFAULT_ACTIVATIONS[op]).flat();
  if (given && (given.length !== want.length || given.some((s, i) => s.toLowerCase() !== want[i]))) {
    throw new Error(`ONNX import: ${where}: activations [${given.join(', ')}] are not supported; ${op === 'LSTM' ? 'an' : 'a'} ${op} takes only the defaults (${DEFAULT_ACTIVATIONS[op].join(', ')} per direction)`);
  }
  if (a.has('activation_alpha')) throw new Error(`ONNX import: ${where}: activation_alpha is not supported for a ${op}`);
}

/** Reverses each row's first lens[b] steps of a time-major (T, B, …) value. */
function reverseRows(v: Value, lens: ArrayLike<number> | null): Value {
  const [T, B] = v.shape as [number, number];
  const F = v.data.length / (T * B);
  const out = new Float32Array(v.data.length);
  for (let b = 0; b < B; b++) {
    const len = lens ? (lens[b] as number) : T;
    for (let t = 0; t < T; t++) {
      const from = t < len ? len - 1 - t : t;
      out.set(v.data.subarray((from * B + b) * F, (from * B + b + 1) * F), (t * B + b) * F);
    }
  }
  return { data: out, shape: v.shape };
}

/**
 * The layer of a recurrent node and the step computing its outputs.
 * @throws Error naming the node and the attribute or tensor at fault.
 */
export function recurrentNode(
  op: Operator, where: string, node: string, inputs: readonly string[], outputs: readonly string[],
  a: Attributes, constants: ReadonlyMap<string, Value>,
): { imported: ImportedRecurrent; step: Step } {
  const direction = attributeString(a, 'direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new Error(`ONNX import: ${where}: direction must be forward, reverse or bidirectional, got '${direction}'`);
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  checkAttributes(op, where, a, D);
  const layout = attributeInt(a, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw new Error(`ONNX import: ${where}: layout must be 0 or 1, got ${layout}`);
  const order = ONNX_GATE_ORDER[op];
  const G = order.length;
  const weight = (index: number, what: string): Value | null => {
    const name = inputs[index] ?? '';
    if (name === '') return null;
    const v = constants.get(name);
    if (!v) throw new Error(`ONNX import: ${where}: ${what} '${name}' must be an initializer (a graph input cannot be loaded into a layer)`);
    return v;
  };
  const W = weight(1, 'W');
  const R = weight(2, 'R');
  if (!W || !R) throw new Error(`ONNX import: ${where}: the weights W and R are required`);
  const H = attributeInt(a, 'hidden_size', R.shape[2] ?? 0);
  const I = W.shape[2] ?? 0;
  const GH = G * H;
  const expect = (v: Value | null, what: string, index: number, shape: readonly number[], dims: string): void => {
    if (v && (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i]))) {
      throw new Error(`ONNX import: ${where}: ${what} '${inputs[index]}' has shape ${shapeText(v.shape)}, expected ${dims} = ${shapeText(shape)} for hidden_size ${H}, input size ${I}, ${D} direction(s)`);
    }
  };
  if (!(H > 0) || !(I > 0)) throw new Error(`ONNX import: ${where}: hidden_size ${H} and input size ${I} (W '${inputs[1]}' of shape ${shapeText(W.shape)}) must be positive`);
  expect(W, 'W', 1, [D, GH, I], `(directions, ${G}·hidden_size, input size)`);
  expect(R, 'R', 2, [D, GH, H], `(directions, ${G}·hidden_size, hidden_size)`);
  const B = weight(3, 'B');
  expect(B, 'B', 3, [D, 2 * GH], `(directions, ${2 * G}·hidden_size)`);
  const P = op === 'LSTM' ? weight(7, 'P') : null;
  expect(P, 'P', 7, [D, 3 * H], '(directions, 3·hidden_size)');

  // the cell clip: the layer's option of the same name (checked there: a positive number)
  const clip = a.has('clip') ? (a.get('clip')!.f ?? 0) : undefined;
  const options = { inputSize: I, hiddenSize: H, bidirectional: D === 2, clip, seed: 0 };
  let layer: RecurrentLayer;
  try {
    if (op === 'LSTM') layer = new LSTM({ ...options, peepholes: P !== null });
    else if (op === 'GRU') layer = new GRU({ ...options, resetAfter: attributeInt(a, 'linear_before_reset', 0) !== 0 });
    else layer = new RNN({ ...options, ...elman(where, a, D) });
  } catch (e) {
    throw new Error(`ONNX import: ${where}: ${(e as Error).message}`, { cause: e });
  }
  const params = layer.stateDict();
  const inverse = inverseOrder(order);
  for (let d = 0; d < D; d++) {
    const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
    reorderBlocks(params[`weight_ih${sfx}`]!.data as Float32Array, 0, W.data.subarray(d * GH * I, (d + 1) * GH * I), inverse, H, I);
    reorderBlocks(params[`weight_hh${sfx}`]!.data as Float32Array, 0, R.data.subarray(d * GH * H, (d + 1) * GH * H), inverse, H, H);
    const biasIH = params[`bias_ih${sfx}`]!.data as Float32Array;
    const biasHH = params[`bias_hh${sfx}`]!.data as Float32Array;
    if (B) {
      reorderBlocks(biasIH, 0, B.data.subarray(2 * d * GH, (2 * d + 1) * GH), inverse, H, 1);
      reorderBlocks(biasHH, 0, B.data.subarray((2 * d + 1) * GH, (2 * d + 2) * GH), inverse, H, 1);
    } else {
      biasIH.fill(0);
      biasHH.fill(0);
    }
    if (P) reorderBlocks(params[`weight_peep${sfx}`]!.data as Float32Array, 0, P.data.subarray(d * 3 * H, (d + 1) * 3 * H), inverseOrder(ONNX_PEEPHOLE_ORDER), 1, H);
  }

  const step: Step = (env) => {
    const fail = (message: string): never => {
      throw new Error(`ONNX model: ${where}: ${message}`);
    };
    const xIn = env.get(inputs[0] ?? '');
    if (!xIn || xIn.shape.length !== 3 || xIn.shape[2] !== I) fail(`X '${inputs[0]}' must be ${layout ? '(B, T' : '(T, B'}, ${I}), got ${xIn ? shapeText(xIn.shape) : 'nothing'}`);
    const x = layout ? transpose(xIn!, [1, 0, 2]) : xIn!;
    const [T, N] = x.shape as [number, number];
    const lensValue = inputs[4] ? env.get(inputs[4])! : null;
    if (lensValue && (lensValue.shape.length !== 1 || lensValue.shape[0] !== N || [...lensValue.data].some((n) => n < 1 || n > T))) {
      fail(`sequence_lens '${inputs[4]}' must be (${N}) lengths in [1, ${T}], got ${shapeText(lensValue.shape)} [${[...lensValue.data].join(', ')}]`);
    }
    const lens = lensValue ? Array.from(lensValue.data) : null;
    const state = (index: number, what: string): Tensor | null => {
      const name = inputs[index] ?? '';
      if (name === '') return null;
      const v = env.get(name)!;
      const want = layout ? [N, D, H] : [D, N, H];
      if (v.shape.length !== 3 || v.shape.some((d, i) => d !== want[i])) fail(`${what} '${name}' must be ${shapeText(want)}, got ${shapeText(v.shape)}`);
      return (layout ? transpose(v, [1, 0, 2]) : v) as Tensor;
    };
    const h0 = state(5, 'initial_h');
    const c0 = op === 'LSTM' ? state(6, 'initial_c') : null;
    const input = direction === 'reverse' ? reverseRows(x, lens) : x;
    let result: { output: Tensor; hN: Tensor; cN?: Tensor };
    try {
      result = noGrad(() => (layer as LSTM).forward(input as Tensor, { h0, c0, lengths: lens }));
    } catch (e) {
      throw new Error(`ONNX model: ${where}: ${(e as Error).message}`, { cause: e });
    }
    const output: Value = { data: Float32Array.from(result.output.data), shape: [T, N, D, H] };
    const Y = direction === 'reverse' ? reverseRows(output, lens) : output;
    const final = (t: Tensor): Value => (layout ? transpose({ data: Float32Array.from(t.data), shape: t.shape }, [1, 0, 2]) : { data: Float32Array.from(t.data), shape: t.shape });
    if (outputs[0]) env.set(outputs[0], transpose(Y, layout ? [1, 0, 2, 3] : [0, 2, 1, 3]));
    if (outputs[1]) env.set(outputs[1], final(result.hN));
    if (outputs[2] && result.cN) env.set(outputs[2], final(result.cN));
  };
  return { imported: { node, operator: op, direction, layout: layout as 0 | 1, layer }, step };
}
