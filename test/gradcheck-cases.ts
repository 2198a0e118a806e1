/**
 * Float64 central-difference gradient checks of every cell (and the variants:
 * GRU reset-before, LSTM peepholes) and of layer configurations combining
 * layers, directions, lengths, projection, no-bias and batch-first: gradients
 * of all parameters, the input and the initial states; and the cells' single
 * step on the tape (`apply`), chained over two steps. Run on the reference
 * backend (gradcheck.test.ts) and on the native one's float64 kernels
 * (native.test.ts).
 */
import { test, describe } from 'node:test';
import type { Backend } from '../src/backend/backend.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, Random, type RecurrentLayer } from '../src/index.js';
import type { CellModule } from '../src/layers/cell-module.js';
import { allocate, type Tensor } from '../src/tensor.js';
import { leaf, type Variable } from '../src/autograd/variable.js';
import { add, mul } from '../src/autograd/elementwise.js';
import { sum } from '../src/autograd/reduce.js';
import { mse } from '../src/train/loss.js';
import { dot, gradcheck } from './gradcheck.js';

export function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

/** Perturbs biases away from the tiny default range so every path matters. */
function randomiseParams(layer: { params: { data: Float64Array | Float32Array } }, rng: Random): void {
  const d = layer.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.6, 0.6);
}

interface LayerConfig {
  name: string;
  make: () => RecurrentLayer;
  T: number;
  B: number;
  lengths?: number[];
  /** Check every `sample`-th coordinate of the parameters and the input (default: all). */
  sample?: number;
}

/** Every `step`-th index below `n` (all of them without a step). */
function everyNth(n: number, step = 1): number[] {
  return Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step);
}

/** Registers the gradient checks on `backend` (the reference when undefined), suite names prefixed by `label`. */
export function runGradcheckSuites(backend: Backend | undefined, label = ''): void {
  const prefix = label ? `${label}: ` : '';
  const common = { dtype: 'float64' as const, seed: 3, ...(backend ? { backend } : {}) };
  const configs: LayerConfig[] = [
    { name: 'RNN tanh, 1 layer', make: () => new RNN({ inputSize: 3, hiddenSize: 4, ...common }), T: 4, B: 2 },
    { name: 'RNN relu, 2 layers, bidirectional, lengths', make: () => new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, nonlinearity: 'relu', ...common }), T: 4, B: 3, lengths: [2, 4, 1] },
    { name: 'RNN leaky relu (slope 0.2), 2 layers, bidirectional, lengths', make: () => new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, nonlinearity: 'leaky_relu', negativeSlope: 0.2, ...common }), T: 4, B: 3, lengths: [3, 4, 2] },
    { name: 'RNN leaky relu (default slope 0.01), 1 layer', make: () => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'leaky_relu', ...common }), T: 4, B: 2 },
    { name: 'LSTM, 1 layer', make: () => new LSTM({ inputSize: 3, hiddenSize: 4, ...common }), T: 4, B: 2 },
    { name: 'LSTM, 3 layers, no bias', make: () => new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 3, bias: false, ...common }), T: 3, B: 2 },
    { name: 'LSTM, 2 layers, bidirectional, lengths, batch-first', make: () => new LSTM({ inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, batchFirst: true, ...common }), T: 4, B: 3, lengths: [4, 1, 3] },
    { name: 'LSTM with projection, bidirectional, lengths', make: () => new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, numLayers: 2, bidirectional: true, ...common }), T: 3, B: 2, lengths: [2, 3] },
    { name: 'GRU, 1 layer', make: () => new GRU({ inputSize: 3, hiddenSize: 4, ...common }), T: 4, B: 2 },
    { name: 'GRU, 3 layers, bidirectional, lengths, no bias', make: () => new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 3, bidirectional: true, bias: false, ...common }), T: 3, B: 3, lengths: [3, 1, 2] },
    { name: 'GRU reset-before, 1 layer', make: () => new GRU({ inputSize: 3, hiddenSize: 4, resetAfter: false, ...common }), T: 4, B: 2 },
    { name: 'GRU reset-before, 2 layers, bidirectional, lengths, batch-first', make: () => new GRU({ inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, batchFirst: true, resetAfter: false, ...common }), T: 4, B: 3, lengths: [4, 1, 3] },
    { name: 'GRU reset-before, no bias, lengths', make: () => new GRU({ inputSize: 2, hiddenSize: 3, bias: false, resetAfter: false, ...common }), T: 3, B: 3, lengths: [2, 3, 1] },
    // B ≥ 4 and T·B ≥ 128: the backward pass multiplies by a transposed copy of W_hh (a sample of coordinates)
    { name: 'GRU reset-before, long batch (transposed W_hh)', make: () => new GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true, resetAfter: false, ...common }), T: 32, B: 4, lengths: [32, 5, 20, 1], sample: 7 },
    { name: 'LSTM peepholes, 1 layer', make: () => new LSTM({ inputSize: 3, hiddenSize: 4, peepholes: true, ...common }), T: 4, B: 2 },
    { name: 'LSTM peepholes, 2 layers, bidirectional, lengths, no bias', make: () => new LSTM({ inputSize: 3, hiddenSize: 3, numLayers: 2, bidirectional: true, bias: false, peepholes: true, ...common }), T: 4, B: 3, lengths: [4, 1, 3] },
    { name: 'LSTM peepholes with projection, bidirectional, lengths', make: () => new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, bidirectional: true, peepholes: true, ...common }), T: 3, B: 2, lengths: [2, 3] },
  ];

  describe(`${prefix}gradient check (float64 central differences), layers`, () => {
    for (const cfg of configs) {
      test(cfg.name, (t) => {
        const rng = new Random(11);
        const layer = cfg.make();
        randomiseParams(layer, rng);
        const D = layer.directions;
        const LD = layer.numLayers * D;
        const P = layer.outputSize;
        const H = layer.hiddenSize;
        const isLstm = layer instanceof LSTM;
        const { T, B } = cfg;
        const x = randomTensor(rng, layer.batchFirst ? [B, T, layer.inputSize] : [T, B, layer.inputSize]);
        const h0 = randomTensor(rng, [LD, B, P], 0.5);
        const c0 = isLstm ? randomTensor(rng, [LD, B, H], 0.5) : null;
        const gOut = randomTensor(rng, layer.batchFirst ? [B, T, D * P] : [T, B, D * P]);
        const gh = randomTensor(rng, [LD, B, P]);
        const gc = isLstm ? randomTensor(rng, [LD, B, H]) : null;
        const loss = (): number => {
          const o = layer.forward(x, { h0, c0, lengths: cfg.lengths ?? null });
          return dot(o.output.data, gOut.data) + dot(o.hN.data, gh.data) + (o.cN && gc ? dot(o.cN.data, gc.data) : 0);
        };
        const out = layer.forward(x, { h0, c0, lengths: cfg.lengths ?? null });
        layer.zeroGrad();
        const g = layer.backward(out.ctx, { dOutput: gOut, dhN: gh, dcN: gc });
        const results = [
          gradcheck('params', layer.params.data, layer.params.grad, loss, { indices: everyNth(layer.params.data.length, cfg.sample) }),
          gradcheck('input', x.data, g.dInput.data, loss, { indices: everyNth(x.data.length, cfg.sample) }),
          gradcheck('h0', h0.data, g.dh0.data, loss),
        ];
        if (c0 && g.dc0) results.push(gradcheck('c0', c0.data, g.dc0.data, loss));
        const worst = Math.max(...results.map((r) => r.maxRelError));
        t.diagnostic(`${results.reduce((s, r) => s + r.checked, 0)} coordinates, max relative error ${worst.toExponential(2)}`);
      });
    }
  });

  describe(`${prefix}gradient check (float64 central differences), cells`, () => {
    const cells: { name: string; make: () => CellModule; lstm: boolean; batched: boolean }[] = [
      { name: 'RNNCell tanh', make: () => new RNNCell({ inputSize: 3, hiddenSize: 4, ...common }), lstm: false, batched: true },
      { name: 'RNNCell relu, no bias', make: () => new RNNCell({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', bias: false, ...common }), lstm: false, batched: true },
      { name: 'RNNCell leaky relu (slope 0.3)', make: () => new RNNCell({ inputSize: 3, hiddenSize: 4, nonlinearity: 'leaky_relu', negativeSlope: 0.3, ...common }), lstm: false, batched: true },
      { name: 'LSTMCell', make: () => new LSTMCell({ inputSize: 3, hiddenSize: 4, ...common }), lstm: true, batched: true },
      { name: 'LSTMCell unbatched', make: () => new LSTMCell({ inputSize: 3, hiddenSize: 2, ...common }), lstm: true, batched: false },
      { name: 'GRUCell', make: () => new GRUCell({ inputSize: 3, hiddenSize: 4, ...common }), lstm: false, batched: true },
      { name: 'GRUCell, no bias', make: () => new GRUCell({ inputSize: 2, hiddenSize: 3, bias: false, ...common }), lstm: false, batched: true },
      { name: 'GRUCell reset-before', make: () => new GRUCell({ inputSize: 3, hiddenSize: 4, resetAfter: false, ...common }), lstm: false, batched: true },
      { name: 'GRUCell reset-before, no bias, unbatched', make: () => new GRUCell({ inputSize: 2, hiddenSize: 3, bias: false, resetAfter: false, ...common }), lstm: false, batched: false },
      { name: 'LSTMCell peepholes', make: () => new LSTMCell({ inputSize: 3, hiddenSize: 4, peepholes: true, ...common }), lstm: true, batched: true },
      { name: 'LSTMCell peepholes, no bias, unbatched', make: () => new LSTMCell({ inputSize: 2, hiddenSize: 3, bias: false, peepholes: true, ...common }), lstm: true, batched: false },
    ];
    for (const c of cells) {
      test(c.name, (t) => {
        const rng = new Random(5);
        const cell = c.make();
        randomiseParams(cell, rng);
        const B = 3;
        const I = cell.inputSize;
        const H = cell.hiddenSize;
        const x = randomTensor(rng, c.batched ? [B, I] : [I]);
        const h0 = randomTensor(rng, c.batched ? [B, H] : [H], 0.5);
        const c0 = c.lstm ? randomTensor(rng, c.batched ? [B, H] : [H], 0.5) : null;
        const gh = randomTensor(rng, h0.shape as number[]);
        const gc = c.lstm ? randomTensor(rng, h0.shape as number[]) : null;
        const loss = (): number => {
          const o = cell.forward(x, { h0, c0 });
          return dot(o.h.data, gh.data) + (o.c && gc ? dot(o.c.data, gc.data) : 0);
        };
        const out = cell.forward(x, { h0, c0 });
        cell.zeroGrad();
        const g = cell.backward(out.ctx, { dh: gh, dc: gc });
        const results = [
          gradcheck('params', cell.params.data, cell.params.grad, loss),
          gradcheck('input', x.data, g.dInput.data, loss),
          gradcheck('h0', h0.data, g.dh0.data, loss),
        ];
        if (c0 && g.dc0) results.push(gradcheck('c0', c0.data, g.dc0.data, loss));
        t.diagnostic(`max relative error ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
      });
    }
  });

  describe(`${prefix}gradient check (float64 central differences), cells on the tape (apply)`, () => {
    const cells: { name: string; make: () => CellModule }[] = [
      { name: 'RNNCell.apply', make: () => new RNNCell({ inputSize: 3, hiddenSize: 4, ...common }) },
      { name: 'LSTMCell.apply', make: () => new LSTMCell({ inputSize: 3, hiddenSize: 4, ...common }) },
      { name: 'GRUCell.apply', make: () => new GRUCell({ inputSize: 3, hiddenSize: 4, ...common }) },
      { name: 'GRUCell.apply (reset-before)', make: () => new GRUCell({ inputSize: 3, hiddenSize: 4, resetAfter: false, ...common }) },
      { name: 'LSTMCell.apply (peepholes)', make: () => new LSTMCell({ inputSize: 3, hiddenSize: 4, peepholes: true, ...common }) },
    ];
    for (const c of cells) {
      test(`${c.name}: two steps chained, gradients of parameters, input and initial states`, (t) => {
        const rng = new Random(8);
        const cell = c.make();
        randomiseParams(cell, rng);
        const B = 2;
        const x1 = leaf(randomTensor(rng, [B, cell.inputSize]));
        const x2 = leaf(randomTensor(rng, [B, cell.inputSize]));
        const h0 = leaf(randomTensor(rng, [B, cell.hiddenSize], 0.5));
        const lstm = cell instanceof LSTMCell;
        const c0 = lstm ? leaf(randomTensor(rng, [B, cell.hiddenSize], 0.5)) : null;
        const w = randomTensor(rng, [B, cell.hiddenSize]);
        // L = Σ (h₂ − w)² (+ Σ c₂²): nonlinear in the state, through both steps.
        const objective = (): Variable => {
          const s1 = cell.apply(x1, { h0, c0 });
          const s2 = cell.apply(x2, { h0: s1.h, c0: s1.c ?? null });
          const l = mse(s2.h, w, 'sum');
          return s2.c ? add(l, sum(mul(s2.c, s2.c))) : l;
        };
        cell.zeroGrad();
        objective().backward();
        const loss = (): number => objective().item();
        const results = [
          gradcheck('params', cell.params.data, cell.params.grad, loss),
          gradcheck('x1', x1.data, x1.grad as Float64Array, loss),
          gradcheck('x2', x2.data, x2.grad as Float64Array, loss),
          gradcheck('h0', h0.data, h0.grad as Float64Array, loss),
        ];
        if (c0) results.push(gradcheck('c0', c0.data, c0.grad as Float64Array, loss));
        t.diagnostic(`max relative error ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
      });
    }
  });
}
