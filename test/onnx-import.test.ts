/**
 * ONNX import: models exported by the library and graphs written here node
 * by node (attributes the exporter never writes: direction "reverse",
 * layout 1, both GRU forms, peepholes, initial states, Relu and LeakyRelu)
 * run in onnxruntime and in the imported layers, compared at rtol 1e-5
 * (onnxruntime has no layout 1: those run there as the layout-0 node);
 * the operator specification's default examples (constant weights,
 * input [[[1, 2], [3, 4], [5, 6]]]) also against their closed forms; a
 * round trip keeps every weight bit for bit; and each bad model is refused
 * with an error naming what is wrong.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GRU } from '../src/layers/gru.js';
import { LSTM } from '../src/layers/lstm.js';
import { RNN } from '../src/layers/rnn.js';
import type { RecurrentLayer } from '../src/layers/stack.js';
import { exportRecurrentONNX } from '../src/onnx/export.js';
import { type AttributeValue, GraphBuilder } from '../src/onnx/graph.js';
import { transpose, type Value } from '../src/onnx/glue.js';
import { type Feed, importONNX } from '../src/onnx/import.js';
import { onnxProto } from '../src/onnx/proto.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';

const RTOL = 1e-5;

function uniform(rng: Random, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

type Feeds = Record<string, Feed & { type: 'float32' | 'int32' }>;

/** The outputs of `bytes` in onnxruntime. */
async function runtime(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, Value>> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) {
    ortFeeds[name] = new ort.Tensor(f.type, f.type === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data), [...f.shape]);
  }
  const out = await session.run(ortFeeds);
  return Object.fromEntries(session.outputNames.map((name) => [name, { data: out[name]!.data as Float32Array, shape: [...out[name]!.dims] }]));
}

/** Asserts that every expected output is computed, with its shape and values (rtol 1e-5); the largest |difference|. */
function compareOutputs(got: Record<string, Value>, want: Record<string, Value>): number {
  let worst = 0;
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    assert.ok(g, `imported model computes ${name}`);
    worst = Math.max(worst, assertClose({ data: g.data as Float32Array, shape: g.shape }, { data: w.data as Float32Array, shape: w.shape }, RTOL, name).maxAbs);
  }
  return worst;
}

interface NodeCase {
  name: string;
  op: 'RNN' | 'LSTM' | 'GRU';
  direction?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1;
  lengths?: number[];
  bias?: boolean;
  peepholes?: boolean;
  initial?: boolean;
  attributes?: Record<string, AttributeValue>;
}

const GATES = { RNN: 1, LSTM: 4, GRU: 3 } as const;

/**
 * A one-node model (T = 5, I = 3, H = 4) with random weights, and random
 * feeds for it. The values drawn do not depend on the layout: a layout-1
 * model's feeds are the layout-0 model's, transposed.
 */
async function nodeModel(c: NodeCase, rng: Random): Promise<{ bytes: Uint8Array; feeds: Feeds }> {
  const T = 5;
  const I = 3;
  const H = 4;
  const lengths = c.lengths ?? [5, 5];
  const N = lengths.length;
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const GH = GATES[c.op] * H;
  const layout = c.layout ?? 0;
  const batchMajor = (v: Feed, perm: number[]): Feed => (layout ? transpose({ data: Float32Array.from(v.data), shape: v.shape }, perm) : v);
  const lstm = c.op === 'LSTM';
  const g = new GraphBuilder();
  const xShape = layout ? [N, T, I] : [T, N, I];
  const stateShape = layout ? [N, D, H] : [D, N, H];
  const feeds: Feeds = { X: { type: 'float32', ...batchMajor({ data: uniform(rng, T * N * I, 1), shape: [T, N, I] }, [1, 0, 2]) } };
  const inputs = [g.input('X', 'float', xShape), g.floats('W', [D, GH, I], uniform(rng, D * GH * I, 0.5)), g.floats('R', [D, GH, H], uniform(rng, D * GH * H, 0.5))];
  inputs.push(c.bias === false ? '' : g.floats('B', [D, 2 * GH], uniform(rng, D * 2 * GH, 0.5)));
  if (c.lengths) {
    inputs.push(g.input('sequence_lens', 'int32', [N]));
    feeds['sequence_lens'] = { type: 'int32', data: Int32Array.from(lengths), shape: [N] };
  } else inputs.push('');
  const state = (name: string): string => {
    if (!c.initial) return '';
    feeds[name] = { type: 'float32', ...batchMajor({ data: uniform(rng, D * N * H, 0.5), shape: [D, N, H] }, [1, 0, 2]) };
    return g.input(name, 'float', stateShape);
  };
  inputs.push(state('initial_h'));
  if (lstm) inputs.push(state('initial_c'), c.peepholes ? g.floats('P', [D, 3 * H], uniform(rng, D * 3 * H, 0.5)) : '');
  g.node(c.op, inputs, lstm ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'], { hidden_size: H, direction: c.direction ?? 'forward', layout, ...c.attributes });
  g.output('Y', layout ? [N, T, D, H] : [T, D, N, H]);
  g.output('Y_h', stateShape);
  if (lstm) g.output('Y_c', stateShape);
  return { bytes: await g.encode('node', c.name), feeds };
}

const nodeCases: NodeCase[] = [
  { name: 'RNN tanh, reverse, lengths', op: 'RNN', direction: 'reverse', lengths: [5, 2, 4] },
  { name: 'RNN Relu, layout 1, initial_h', op: 'RNN', layout: 1, initial: true, attributes: { activations: { strings: ['Relu'] } } },
  { name: 'RNN LeakyRelu (alpha 0.2), bidirectional, lengths', op: 'RNN', direction: 'bidirectional', lengths: [3, 5], attributes: { activations: { strings: ['LeakyRelu', 'LeakyRelu'] }, activation_alpha: { floats: [0.2, 0.2] } } },
  { name: 'LSTM reverse, peepholes, initial states, lengths', op: 'LSTM', direction: 'reverse', peepholes: true, initial: true, lengths: [4, 1, 5] },
  { name: 'LSTM bidirectional, layout 1, peepholes, initial states, lengths', op: 'LSTM', direction: 'bidirectional', layout: 1, peepholes: true, initial: true, lengths: [2, 5] },
  { name: 'LSTM without B, explicit default activations', op: 'LSTM', bias: false, attributes: { activations: { strings: ['Sigmoid', 'Tanh', 'Tanh'] } } },
  { name: 'GRU linear_before_reset 0, reverse, initial_h', op: 'GRU', direction: 'reverse', initial: true, lengths: [5, 3], attributes: { linear_before_reset: 0 } },
  { name: 'GRU linear_before_reset 1, bidirectional, layout 1, lengths', op: 'GRU', direction: 'bidirectional', layout: 1, initial: true, lengths: [1, 4, 5], attributes: { linear_before_reset: 1 } },
  { name: 'GRU linear_before_reset 1, layout 1', op: 'GRU', layout: 1, attributes: { linear_before_reset: 1 } },
  // the cell clip (0.5 clamps many of these pre-activations)
  { name: 'RNN tanh, clip 0.5, bidirectional, lengths', op: 'RNN', direction: 'bidirectional', lengths: [3, 5], attributes: { clip: { float: 0.5 } } },
  { name: 'RNN Relu, clip 0.5, initial_h', op: 'RNN', initial: true, attributes: { activations: { strings: ['Relu'] }, clip: { float: 0.5 } } },
  { name: 'LSTM, clip 0.5, peepholes, initial states, lengths', op: 'LSTM', peepholes: true, initial: true, lengths: [4, 1, 5], attributes: { clip: { float: 0.5 } } },
  { name: 'GRU linear_before_reset 0, clip 0.5, initial_h', op: 'GRU', initial: true, attributes: { linear_before_reset: 0, clip: { float: 0.5 } } },
  { name: 'GRU linear_before_reset 1, clip 0.5, bidirectional, lengths', op: 'GRU', direction: 'bidirectional', lengths: [2, 5], attributes: { linear_before_reset: 1, clip: { float: 0.5 } } },
];

describe('ONNX import of single nodes, against onnxruntime', () => {
  for (const c of nodeCases) {
    test(c.name, async (t) => {
      const { bytes, feeds } = await nodeModel(c, new Random(3));
      const got = (await importONNX(bytes)).run(feeds);
      let want: Record<string, Value>;
      if (c.layout === 1) {
        // onnxruntime runs layout 0 only: the same node and values in layout 0, outputs transposed to layout 1.
        const reference = await nodeModel({ ...c, layout: 0 }, new Random(3));
        const y = await runtime(reference.bytes, reference.feeds);
        want = Object.fromEntries(Object.entries(y).map(([name, v]) => [name, transpose(v, name === 'Y' ? [2, 0, 1, 3] : [1, 0, 2])]));
      } else want = await runtime(bytes, feeds);
      t.diagnostic(`max |difference| ${compareOutputs(got, want).toExponential(2)}`);
    });
  }

  test('a chain as torch.onnx writes it: RNN → Squeeze(axis 1) → reverse LSTM with lengths', async (t) => {
    const rng = new Random(4);
    const [T, N, I, H] = [5, 2, 3, 4];
    const g = new GraphBuilder();
    const lens = g.input('sequence_lens', 'int32', [N]);
    g.node('RNN', [g.input('X', 'float', [T, N, I]), g.floats('W0', [1, H, I], uniform(rng, H * I, 0.5)), g.floats('R0', [1, H, H], uniform(rng, H * H, 0.5)), '', lens], ['Y0'], { hidden_size: H });
    g.node('Squeeze', ['Y0', g.int64s('axes', [1])], ['X1']);
    g.node('LSTM', ['X1', g.floats('W1', [1, 4 * H, H], uniform(rng, 4 * H * H, 0.5)), g.floats('R1', [1, 4 * H, H], uniform(rng, 4 * H * H, 0.5)), g.floats('B1', [1, 8 * H], uniform(rng, 8 * H, 0.5)), lens], ['Y', 'Y_h', 'Y_c'], { hidden_size: H, direction: 'reverse' });
    g.output('Y', [T, 1, N, H]);
    g.output('Y_h', [1, N, H]);
    g.output('Y_c', [1, N, H]);
    const bytes = await g.encode('chain', 'chain');
    const feeds: Feeds = { X: { type: 'float32', data: uniform(rng, T * N * I, 1), shape: [T, N, I] }, sequence_lens: { type: 'int32', data: [3, 5], shape: [N] } };
    const imported = await importONNX(bytes);
    assert.deepEqual(imported.recurrent.map((r) => `${r.operator} ${r.direction}`), ['RNN forward', 'LSTM reverse']);
    t.diagnostic(`max |difference| ${compareOutputs(imported.run(feeds), await runtime(bytes, feeds)).toExponential(2)}`);
  });

  test('initial_h sliced from a graph input with an end of INT64_MAX (raw int64 data), as exporters write "to the end"', async (t) => {
    const rng = new Random(6);
    const [T, N, I, H] = [3, 2, 3, 4];
    const g = new GraphBuilder();
    g.node('Slice', [g.input('H0', 'float', [3, N, H]), g.int64s('start', [-1]), g.int64s('end', [0]), g.int64s('axis', [0])], ['initial_h']);
    g.node('GRU', [g.input('X', 'float', [T, N, I]), g.floats('W', [1, 3 * H, I], uniform(rng, 3 * H * I, 0.5)), g.floats('R', [1, 3 * H, H], uniform(rng, 3 * H * H, 0.5)), '', '', 'initial_h'], ['Y', 'Y_h'], { hidden_size: H });
    g.output('Y', [T, 1, N, H]);
    g.output('Y_h', [1, N, H]);
    // The end rewritten as raw little-endian INT64_MAX, as torch.onnx stores it.
    const { ModelProto } = await onnxProto();
    const model = ModelProto.decode(await g.encode('slice', 'slice'));
    const end = model.graph!.initializer!.find((i) => i.name === 'end')!;
    end.int64Data = [];
    end.rawData = new Uint8Array(8);
    new DataView(end.rawData.buffer).setBigInt64(0, 0x7fffffffffffffffn, true);
    const bytes = ModelProto.encode(model).finish();
    const feeds: Feeds = { X: { type: 'float32', data: uniform(rng, T * N * I, 1), shape: [T, N, I] }, H0: { type: 'float32', data: uniform(rng, 3 * N * H, 0.5), shape: [3, N, H] } };
    t.diagnostic(`max |difference| ${compareOutputs((await importONNX(bytes)).run(feeds), await runtime(bytes, feeds)).toExponential(2)}`);
  });

  test('the description names each node, its direction and layout', async () => {
    const { bytes } = await nodeModel(nodeCases[4]!, new Random(3));
    const [r] = (await importONNX(bytes)).recurrent;
    assert.deepEqual({ node: r!.node, operator: r!.operator, direction: r!.direction, layout: r!.layout }, { node: 'LSTM_0', operator: 'LSTM', direction: 'bidirectional', layout: 1 });
    assert.ok(r!.layer instanceof LSTM && r!.layer.peepholes && r!.layer.bidirectional && r!.layer.hiddenSize === 4);
  });
});

/** Overwrites every parameter with U(−0.5, 0.5) (the store's live views). */
function randomizeWeights(layer: RecurrentLayer, rng: Random): void {
  for (const t of Object.values(layer.stateDict())) t.data.set(uniform(rng, t.data.length, 0.5));
}

describe('ONNX round trip: export, then import', () => {
  const common = { inputSize: 3, hiddenSize: 4, seed: 5 };
  const layers: [string, () => RecurrentLayer][] = [
    ['RNN leaky relu (slope 0.3), bidirectional', () => new RNN({ ...common, nonlinearity: 'leaky_relu', negativeSlope: 0.3, bidirectional: true })],
    ['LSTM, 2 layers, bidirectional, peepholes', () => new LSTM({ ...common, numLayers: 2, bidirectional: true, peepholes: true })],
    ['GRU resetAfter false, 3 layers', () => new GRU({ ...common, numLayers: 3, resetAfter: false })],
    ['GRU without bias, batchFirst', () => new GRU({ ...common, bias: false, batchFirst: true })],
    ['LSTM, clip 0.75', () => new LSTM({ ...common, clip: 0.75 })],
    ['GRU, clip 0.75, bidirectional', () => new GRU({ ...common, clip: 0.75, bidirectional: true })],
    ['RNN tanh, clip 0.75', () => new RNN({ ...common, clip: 0.75 })],
  ];
  for (const [name, make] of layers) {
    test(`${name}: identical weights, and the runtime's outputs`, async (t) => {
      const rng = new Random(9);
      const layer = make();
      randomizeWeights(layer, rng);
      const bytes = await exportRecurrentONNX(layer);
      const imported = await importONNX(bytes);
      assert.equal(imported.recurrent.length, layer.numLayers);
      const original = layer.stateDict();
      imported.recurrent.forEach((r, l) => {
        assert.equal(r.direction, layer.directions === 2 ? 'bidirectional' : 'forward');
        assert.equal(r.layer.cell.type, layer.cell.type, 'the same cell');
        assert.equal(r.layer.clip, layer.clip, 'the same cell clip');
        // ONNX stores activation_alpha as a float32; GRU kinds (reset before or after the product) are singletons.
        if (layer instanceof RNN) assert.equal((r.layer as RNN).negativeSlope, Math.fround(layer.negativeSlope));
        else assert.equal(r.layer.cell, layer.cell, 'the same GRU form');
        for (const [key, tensor] of Object.entries(r.layer.stateDict())) {
          const want = original[key.replace('_l0', `_l${l}`)];
          if (want) assert.deepEqual([...tensor.data], [...want.data], `layer ${l} ${key}`);
          else assert.ok(!layer.bias && key.startsWith('bias_') && tensor.data.every((v) => v === 0), `layer ${l} ${key}: zero, the original has no bias`);
        }
      });
      const [T, N, LD, H] = [4, 3, layer.numLayers * layer.directions, layer.hiddenSize];
      const feeds: Feeds = {
        input: { type: 'float32', data: uniform(rng, T * N * 3, 1), shape: layer.batchFirst ? [N, T, 3] : [T, N, 3] },
        sequence_lens: { type: 'int32', data: [4, 2, 3], shape: [N] },
        h0: { type: 'float32', data: uniform(rng, LD * N * H, 0.5), shape: [LD, N, H] },
      };
      if (layer.cell.hasCellState) feeds['c0'] = { type: 'float32', data: uniform(rng, LD * N * H, 0.5), shape: [LD, N, H] };
      t.diagnostic(`max |difference| ${compareOutputs(imported.run(feeds), await runtime(bytes, feeds)).toExponential(2)}`);
    });
  }
});

/**
 * The operator specification's default examples: X = [[[1, 2], [3, 4], [5, 6]]]
 * (T = 1, B = 3, I = 2), W and R filled with 0.1, no bias, zero initial
 * state, output Y_h only. With s = 0.1·(x₁ + x₂) per row:
 *   RNN  h = tanh(s)    LSTM  h = σ(s)·tanh(σ(s)·tanh(s))    GRU  h = (1 − σ(s))·tanh(s)
 */
describe('ONNX import: the specification\'s default examples', () => {
  const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
  const examples: [op: 'RNN' | 'LSTM' | 'GRU', H: number, h: (s: number) => number][] = [
    ['RNN', 4, (s) => Math.tanh(s)],
    ['LSTM', 3, (s) => sigmoid(s) * Math.tanh(sigmoid(s) * Math.tanh(s))],
    ['GRU', 5, (s) => (1 - sigmoid(s)) * Math.tanh(s)],
  ];
  for (const [op, H, h] of examples) {
    test(`${op} defaults (hidden_size ${H}, weights 0.1)`, async () => {
      const g = new GraphBuilder();
      const G = GATES[op];
      g.node(op, [g.input('X', 'float', [1, 3, 2]), g.floats('W', [1, G * H, 2], new Float32Array(G * H * 2).fill(0.1)), g.floats('R', [1, G * H, H], new Float32Array(G * H * H).fill(0.1))], ['', 'Y_h'], { hidden_size: H });
      g.output('Y_h', [1, 3, H]);
      const bytes = await g.encode(op, `test_${op.toLowerCase()}_defaults`);
      const feeds: Feeds = { X: { type: 'float32', data: [1, 2, 3, 4, 5, 6], shape: [1, 3, 2] } };
      const got = (await importONNX(bytes)).run(feeds);
      compareOutputs(got, await runtime(bytes, feeds));
      const closedForm = Float64Array.from({ length: 3 * H }, (_, i) => h(0.1 * (4 * Math.floor(i / H) + 3)));
      assertClose({ data: got['Y_h']!.data as Float32Array, shape: got['Y_h']!.shape }, { data: closedForm, shape: [1, 3, H] }, RTOL, 'Y_h');
    });
  }
});

describe('ONNX import refuses bad models, naming what is wrong', () => {
  const reject = (bytes: Promise<Uint8Array> | Uint8Array, pattern: RegExp): Promise<void> => assert.rejects(async () => importONNX(await bytes), pattern);
  /** An LSTM node (I = 3, H = 4) over X with the given weights, attributes and an optional node after it. */
  const lstm = (options: { W?: number[]; R?: number[]; P?: number[]; weightsAsInputs?: boolean; missing?: string; attributes?: Record<string, AttributeValue>; then?: string }): Promise<Uint8Array> => {
    const g = new GraphBuilder();
    const W = options.W ?? [1, 16, 3];
    const R = options.R ?? [1, 16, 4];
    const size = (d: number[]): number => d.reduce((a, b) => a * b, 1);
    const weight = (name: string, dims: number[]): string => {
      if (options.missing === name) return name;
      return options.weightsAsInputs ? g.input(name, 'float', dims) : g.floats(name, dims, new Float32Array(size(dims)));
    };
    const inputs = [g.input('X', 'float', [2, 1, 3]), weight('W', W), weight('R', R), '', '', '', ''];
    if (options.P) inputs.push(weight('P', options.P));
    g.node('LSTM', inputs, ['Y', 'Y_h'], { hidden_size: 4, ...options.attributes });
    if (options.then) g.node(options.then, ['Y_h'], ['Z']);
    g.output(options.then ? 'Z' : 'Y_h', [1, 1, 4]);
    return g.encode('bad', 'bad');
  };

  test('truncated bytes', async () => {
    const bytes = await exportRecurrentONNX(new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }));
    await reject(bytes.subarray(0, bytes.length - 3), /^Error: ONNX import: the bytes are not an ONNX model \(protobuf decoding failed: index out of range/);
  });

  test('bytes that are no protobuf, and an empty model', async () => {
    await reject(new TextEncoder().encode('hello, this is not a model'), /the bytes are not an ONNX model \(protobuf decoding failed: invalid wire type/);
    await reject(new Uint8Array(0), /ONNX import: the model has no graph or its graph has no nodes/);
  });

  test('an unsupported operator, named with its node', async () => {
    await reject(lstm({ then: 'Tanh' }), /node 'Tanh_1' \(Tanh\): operator Tanh is not supported \(only RNN, LSTM, GRU and Transpose, Reshape/);
  });

  test('weights whose shapes disagree with hidden_size or the input size, named', async () => {
    await reject(lstm({ R: [1, 16, 5] }), /node 'LSTM_0' \(LSTM\): R 'R' has shape \(1, 16, 5\), expected \(directions, 4·hidden_size, hidden_size\) = \(1, 16, 4\)/);
    await reject(lstm({ W: [1, 12, 3] }), /W 'W' has shape \(1, 12, 3\), expected \(directions, 4·hidden_size, input size\) = \(1, 16, 3\) for hidden_size 4/);
    await reject(lstm({ P: [1, 8] }), /P 'P' has shape \(1, 8\), expected \(directions, 3·hidden_size\) = \(1, 12\)/);
    await reject(lstm({ attributes: { direction: 'bidirectional' } }), /W 'W' has shape \(1, 16, 3\), expected .* = \(2, 16, 3\)/);
  });

  test('a missing initializer, and weights fed as graph inputs', async () => {
    await reject(lstm({ missing: 'R' }), /node 'LSTM_0' \(LSTM\) reads 'R', which is neither a graph input, an initializer nor an earlier node's output/);
    await reject(lstm({ weightsAsInputs: true }), /node 'LSTM_0' \(LSTM\): W 'W' must be an initializer/);
  });

  test('activations other than the defaults (and an RNN\'s Relu, LeakyRelu)', async () => {
    await reject(lstm({ attributes: { activations: { strings: ['Sigmoid', 'Tanh', 'Relu'] } } }),
      /node 'LSTM_0' \(LSTM\): activations \[Sigmoid, Tanh, Relu\] are not supported; an LSTM takes only the defaults \(sigmoid, tanh, tanh per direction\)/);
    const rnn = nodeModel({ name: 'sigmoid RNN', op: 'RNN', attributes: { activations: { strings: ['Sigmoid'] } } }, new Random(1));
    await reject((await rnn).bytes, /node 'RNN_0' \(RNN\): activations \[Sigmoid\] are not supported; an RNN takes Tanh, Relu or LeakyRelu/);
    const gru = nodeModel({ name: 'hard sigmoid GRU', op: 'GRU', attributes: { activations: { strings: ['HardSigmoid', 'Tanh'] } } }, new Random(1));
    await reject((await gru).bytes, /node 'GRU_0' \(GRU\): activations \[HardSigmoid, Tanh\] are not supported/);
  });

  test('a clip that is not positive, input_forget, and an unknown direction', async () => {
    await reject(lstm({ attributes: { clip: { float: -1 } } }), /node 'LSTM_0' \(LSTM\): LSTM: clip must be a positive number, got -1/);
    await reject(lstm({ attributes: { input_forget: 1 } }), /node 'LSTM_0' \(LSTM\): input_forget = 1 \(coupled input and forget gates\) is not supported/);
    await reject(lstm({ attributes: { direction: 'sideways' } }), /direction must be forward, reverse or bidirectional, got 'sideways'/);
  });

  test('run: a missing input and lengths out of range, named', async () => {
    const { bytes, feeds } = await nodeModel({ name: 'lengths', op: 'GRU', lengths: [5, 3] }, new Random(1));
    const model = await importONNX(bytes);
    assert.throws(() => model.run({ X: feeds['X']! }), /ONNX model: input 'sequence_lens' is missing/);
    assert.throws(() => model.run({ ...feeds, sequence_lens: { data: [6, 3], shape: [2] } }), /node 'GRU_0' \(GRU\): sequence_lens 'sequence_lens' must be \(2\) lengths in \[1, 5\], got \(2\) \[6, 3\]/);
  });
});
