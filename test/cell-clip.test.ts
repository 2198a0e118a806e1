/**
 * The cell clip (`clip`, ONNX's cell clip): gate pre-activations clamped to
 * [−clip, clip] before their activations, zero gradient where clamped.
 *  - float64 central-difference gradchecks of RNN (tanh, relu), LSTM (with
 *    and without peepholes) and GRU (both reset forms) with a clip small
 *    enough that many pre-activations are clamped (counted in the caches);
 *  - the WebAssembly backend equals the reference with a clip;
 *  - `clip: Infinity` gives the results of no clip, bit for bit;
 *  - bad values are refused, naming the layer.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, GRUCell, LSTM, RNN, Random, type RecurrentLayer } from '../src/index.js';
import { loadWasmBackend } from '../src/backend/wasm.js';
import type { Backend } from '../src/backend/backend.js';
import type { DType, Tensor } from '../src/tensor.js';
import { allocate } from '../src/tensor.js';
import { dot, gradcheck } from './gradcheck.js';
import { assertClose } from './helpers.js';

const CLIP = 0.5;

function randomTensor(rng: Random, shape: number[], dtype: DType, scale = 1): Tensor {
  const data = allocate(dtype, shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

type Make = (o: { dtype: DType; seed: number; clip?: number; backend?: Backend }) => RecurrentLayer;
const layers: [string, Make][] = [
  ['RNN tanh', (o) => new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, ...o })],
  ['RNN relu', (o) => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', ...o })],
  ['RNN leaky relu', (o) => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'leaky_relu', negativeSlope: 0.2, ...o })],
  ['LSTM, bidirectional', (o) => new LSTM({ inputSize: 3, hiddenSize: 4, bidirectional: true, ...o })],
  ['LSTM peepholes', (o) => new LSTM({ inputSize: 3, hiddenSize: 4, peepholes: true, ...o })],
  ['GRU, 2 layers', (o) => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, ...o })],
  ['GRU reset-before', (o) => new GRU({ inputSize: 3, hiddenSize: 4, resetAfter: false, ...o })],
];

/** Spreads the weights so that many pre-activations pass the clip. */
function randomise(layer: RecurrentLayer, rng: Random): void {
  const d = layer.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.8, 0.8);
}

/** Activations in a forward call's caches that are those of ±clip: clamped pre-activations. */
function clampedCount(layer: RecurrentLayer, ctx: { caches: readonly { xw: ArrayLike<number>; hs: ArrayLike<number> }[] }, clip: number): number {
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const slope = layer instanceof RNN && layer.nonlinearity === 'leaky_relu' ? 0.2 : 0;
  const bounds = layer instanceof RNN
    ? (layer.nonlinearity === 'tanh' ? [Math.tanh(clip), Math.tanh(-clip)] : [clip, -slope * clip].filter((v) => v !== 0))
    : [sig(clip), sig(-clip), Math.tanh(clip), Math.tanh(-clip)];
  let n = 0;
  for (const c of ctx.caches) for (const a of [c.xw, c.hs]) for (let i = 0; i < a.length; i++) if (bounds.includes(a[i] as number)) n++;
  return n;
}

describe('cell clip: float64 central differences, some pre-activations clamped', () => {
  for (const [name, make] of layers) {
    test(name, (t) => {
      const rng = new Random(5);
      const layer = make({ dtype: 'float64', seed: 1, clip: CLIP });
      randomise(layer, rng);
      const [T, B] = [4, 3];
      const D = layer.directions;
      const LD = layer.numLayers * D;
      const H = layer.hiddenSize;
      const x = randomTensor(rng, [T, B, 3], 'float64', 1.5);
      const h0 = randomTensor(rng, [LD, B, H], 'float64', 0.5);
      const gOut = randomTensor(rng, [T, B, D * H], 'float64');
      const lengths = [4, 2, 3];
      const loss = (): number => dot(layer.forward(x, { h0, lengths }).output.data, gOut.data);
      const out = layer.forward(x, { h0, lengths });
      const clamped = clampedCount(layer, out.ctx, CLIP);
      assert.ok(clamped >= 5, `some pre-activations are clamped (${clamped})`);
      layer.zeroGrad();
      const g = layer.backward(out.ctx, { dOutput: gOut });
      const results = [
        gradcheck('params', layer.params.data, layer.params.grad, loss),
        gradcheck('input', x.data, g.dInput.data, loss),
        gradcheck('h0', h0.data, g.dh0.data, loss),
      ];
      t.diagnostic(`${clamped} clamped; max relative error ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
    });
  }
});

const wasm = await loadWasmBackend();

/** Output, final state and every gradient of one forward and backward call, as plain arrays. */
function run(layer: RecurrentLayer, x: Tensor, gOut: Tensor): Float32Array[] {
  layer.zeroGrad();
  const out = layer.forward(x);
  const g = layer.backward(out.ctx, { dOutput: gOut });
  return [out.output.data, out.hN.data, g.dInput.data, layer.params.grad].map((a) => Float32Array.from(a));
}

describe('cell clip on float32, both backends', () => {
  for (const [name, make] of layers) {
    test(`${name}: clip Infinity is no clip, bit for bit; WebAssembly equals the reference with a clip`, (t) => {
      const rng = new Random(9);
      const x = randomTensor(rng, [5, 2, 3], 'float32', 1.5);
      const gOut = randomTensor(rng, [5, 2, make({ dtype: 'float32', seed: 1 }).directions * 4], 'float32');
      for (const backend of wasm ? [undefined, wasm] : [undefined]) {
        const plain = make({ dtype: 'float32', seed: 1, backend });
        const infinite = make({ dtype: 'float32', seed: 1, clip: Infinity, backend });
        randomise(plain, new Random(2));
        randomise(infinite, new Random(2));
        assert.deepEqual(run(infinite, x, gOut), run(plain, x, gOut), `${backend?.name ?? 'js'}: clip Infinity`);
      }
      if (!wasm) {
        t.skip('WebAssembly SIMD is not available');
        return;
      }
      const ref = make({ dtype: 'float32', seed: 1, clip: CLIP });
      const fast = make({ dtype: 'float32', seed: 1, clip: CLIP, backend: wasm });
      randomise(ref, new Random(2));
      randomise(fast, new Random(2));
      const [a, b] = [run(ref, x, gOut), run(fast, x, gOut)];
      const clipped = make({ dtype: 'float32', seed: 1 });
      randomise(clipped, new Random(2));
      assert.notDeepEqual(run(clipped, x, gOut)[0], a[0], 'the clip changes the output');
      ['output', 'hN', 'dInput', 'params grad'].forEach((what, i) => assertClose(b[i] as Float32Array, { data: a[i] as Float32Array, shape: [(a[i] as Float32Array).length] }, 1e-4, what));
    });
  }
});

test('clip must be a positive number', () => {
  for (const clip of [0, -1, Number.NaN, '1']) {
    assert.throws(() => new LSTM({ inputSize: 2, hiddenSize: 2, clip: clip as number }), /LSTM: clip must be a positive number, got/);
    assert.throws(() => new GRUCell({ inputSize: 2, hiddenSize: 2, clip: clip as number }), /GRUCell: clip must be a positive number, got/);
  }
  assert.equal(new RNN({ inputSize: 2, hiddenSize: 2, clip: 3 }).clip, 3);
  assert.equal(new RNN({ inputSize: 2, hiddenSize: 2 }).clip, Infinity);
});
