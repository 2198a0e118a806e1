/**
 * The Elman RNN with leaky relu: one step against its equation, slope 0 the
 * same as relu to the bit (on the reference and the WebAssembly backend).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmBackend } from '../src/backend/wasm.js';
import { CELL_TYPES, cellKinds, Random, RNN, RNNCell } from '../src/index.js';
import type { Backend } from '../src/backend/backend.js';
import { recurrentLayer } from '../src/layers/recurrent-layer.js';
import { allocate, type Tensor } from '../src/tensor.js';

function uniform(rng: Random, shape: number[], scale: number): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

test('RNNCell leaky relu: h = leaky(W_ih x + b_ih + W_hh h₋ + b_hh), negative pre-activations scaled by the slope', () => {
  const I = 3;
  const H = 4;
  const B = 2;
  const slope = 0.2;
  const cell = new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'leaky_relu', negativeSlope: slope, dtype: 'float64', seed: 7 });
  const rng = new Random(11);
  const x = uniform(rng, [B, I], 2);
  const h0 = uniform(rng, [B, H], 2);
  const { h } = cell.forward(x, { h0 });
  const p = cell.stateDict();
  const [wih, whh, bih, bhh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => (p[n] as Tensor).data);
  let negatives = 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      let a = (bih?.[j] as number) + (bhh?.[j] as number);
      for (let k = 0; k < I; k++) a += (wih?.[j * I + k] as number) * (x.data[b * I + k] as number);
      for (let k = 0; k < H; k++) a += (whh?.[j * H + k] as number) * (h0.data[b * H + k] as number);
      if (a < 0) negatives++;
      const expected = a > 0 ? a : slope * a;
      assert.ok(Math.abs((h.data[b * H + j] as number) - expected) < 1e-12, `h[${b}, ${j}] = ${h.data[b * H + j]}, expected ${expected}`);
    }
  }
  assert.ok(negatives > 0 && negatives < B * H, `both signs are exercised (${negatives} of ${B * H} negative)`);
});

async function slopeZeroIsRelu(backend: Backend | undefined, dtype: 'float32' | 'float64'): Promise<void> {
  const options = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 4, dtype, backend } as const;
  const relu = new RNN({ ...options, nonlinearity: 'relu' });
  const leaky = new RNN({ ...options, nonlinearity: 'leaky_relu', negativeSlope: 0 });
  const rng = new Random(3);
  const x = uniform(rng, [6, 2, 3], 1.5);
  const a = relu.forward(x);
  const b = leaky.forward(x);
  assert.deepEqual(b.output.data, a.output.data);
  assert.deepEqual(b.hN.data, a.hN.data);
  const dOutput = uniform(rng, [...a.output.shape], 1);
  const ga = relu.backward(a.ctx, { dOutput });
  const gb = leaky.backward(b.ctx, { dOutput });
  assert.deepEqual(gb.dInput.data, ga.dInput.data);
  assert.deepEqual(leaky.params.grad, relu.params.grad);
  assert.ok(relu.params.grad.some((g) => g !== 0));
}

test('leaky relu with slope 0 is relu, bit for bit (reference, float64)', () => slopeZeroIsRelu(undefined, 'float64'));

test('leaky relu with slope 0 is relu, bit for bit (WebAssembly, float32)', async (t) => {
  const backend = await loadWasmBackend({ threads: 1 });
  if (!backend) return t.skip('WebAssembly SIMD is not available in this runtime');
  await slopeZeroIsRelu(backend, 'float32');
});

test("cell type 'rnn_leaky_relu' names the leaky relu RNN with the default slope 0.01", () => {
  assert.ok(CELL_TYPES.includes('rnn_leaky_relu'));
  assert.equal(cellKinds.rnn_leaky_relu.type, 'rnn_leaky_relu');
  const layer = recurrentLayer('rnn_leaky_relu', { inputSize: 2, hiddenSize: 3 });
  assert.ok(layer instanceof RNN);
  assert.equal(layer.nonlinearity, 'leaky_relu');
  assert.equal(layer.negativeSlope, 0.01);
});
