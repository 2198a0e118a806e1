/**
 * ONNX export: every exported model, run in onnxruntime-node on random
 * inputs, gives the library's forward values (float32, rtol 1e-5) — the
 * gate reorder, the bias layout, the peepholes, the GRU's reset form, the
 * Elman activations, stacking, both directions, sequence lengths and
 * initial states all show in the numbers. Weights are drawn at random
 * (peepholes included, which start at zero) so that a misplaced block
 * cannot hide.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { noGrad } from '../src/autograd/variable.js';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import { GRU } from '../src/layers/gru.js';
import { LSTM } from '../src/layers/lstm.js';
import { RNN } from '../src/layers/rnn.js';
import type { RecurrentLayer } from '../src/layers/stack.js';
import { exportRecurrentONNX } from '../src/onnx/export.js';
import { Random } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { failsCleanly, ok, spawnCollect } from './cli-harness.js';
import { assertClose, fixturePath } from './helpers.js';

const RTOL = 1e-5;

function uniform(rng: Random, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** Overwrites every parameter with U(−0.5, 0.5) (the store's live views). */
function randomizeWeights(layer: RecurrentLayer, rng: Random): void {
  for (const t of Object.values(layer.stateDict())) t.data.set(uniform(rng, t.data.length, 0.5));
}

interface LayerCase {
  name: string;
  layer: () => RecurrentLayer;
  lengths: number[];
  T: number;
}

const common = { inputSize: 3, hiddenSize: 4, seed: 7 };
const cases: LayerCase[] = [
  { name: 'RNN tanh', layer: () => new RNN(common), T: 5, lengths: [5, 2, 4] },
  { name: 'RNN relu', layer: () => new RNN({ ...common, nonlinearity: 'relu' }), T: 5, lengths: [5, 5, 1] },
  { name: 'RNN leaky relu (slope 0.2), bidirectional', layer: () => new RNN({ ...common, nonlinearity: 'leaky_relu', negativeSlope: 0.2, bidirectional: true }), T: 4, lengths: [3, 4] },
  { name: 'LSTM', layer: () => new LSTM(common), T: 6, lengths: [6, 3, 1] },
  { name: 'LSTM with peepholes', layer: () => new LSTM({ ...common, peepholes: true }), T: 5, lengths: [5, 4] },
  { name: 'LSTM, 2 layers, bidirectional, peepholes', layer: () => new LSTM({ ...common, numLayers: 2, bidirectional: true, peepholes: true }), T: 5, lengths: [2, 5, 3] },
  { name: 'LSTM without bias, batchFirst', layer: () => new LSTM({ ...common, bias: false, batchFirst: true }), T: 4, lengths: [4, 2] },
  { name: 'GRU (resetAfter, PyTorch)', layer: () => new GRU(common), T: 5, lengths: [5, 3, 2] },
  { name: 'GRU resetAfter false', layer: () => new GRU({ ...common, resetAfter: false }), T: 5, lengths: [1, 5, 4] },
  { name: 'GRU, 2 layers, bidirectional, resetAfter false', layer: () => new GRU({ ...common, numLayers: 2, bidirectional: true, resetAfter: false }), T: 4, lengths: [4, 3] },
  { name: 'RNN tanh, 3 layers, full lengths', layer: () => new RNN({ ...common, numLayers: 3 }), T: 3, lengths: [3, 3] },
];

describe('ONNX export of recurrent layers, run in onnxruntime', () => {
  for (const c of cases) {
    test(c.name, async (t) => {
      const rng = new Random(11);
      const layer = c.layer();
      randomizeWeights(layer, rng);
      const B = c.lengths.length;
      const { T } = c;
      const LD = layer.numLayers * layer.directions;
      const H = layer.hiddenSize;
      const lstm = layer.cell.hasCellState;
      const inputShape = layer.batchFirst ? [B, T, layer.inputSize] : [T, B, layer.inputSize];
      const input: Tensor = { data: uniform(rng, T * B * layer.inputSize, 1), shape: inputShape };
      const h0: Tensor = { data: uniform(rng, LD * B * H, 0.5), shape: [LD, B, H] };
      const c0: Tensor = { data: uniform(rng, LD * B * H, 0.5), shape: [LD, B, H] };
      const expected = noGrad(() => layer.forward(input, { h0, lengths: c.lengths, ...(lstm ? { c0 } : {}) }));

      const session = await ort.InferenceSession.create(await exportRecurrentONNX(layer));
      const feeds: Record<string, ort.Tensor> = {
        input: new ort.Tensor('float32', input.data as Float32Array, inputShape),
        sequence_lens: new ort.Tensor('int32', Int32Array.from(c.lengths), [B]),
        h0: new ort.Tensor('float32', h0.data as Float32Array, h0.shape),
      };
      if (lstm) feeds['c0'] = new ort.Tensor('float32', c0.data as Float32Array, c0.shape);
      const got = await session.run(feeds);
      const compare = (name: string, want: Tensor): number => {
        const value = got[name]!;
        assert.deepEqual([...value.dims], [...want.shape], `${name}: shape`);
        return assertClose(value.data as Float32Array, want, RTOL, name).maxAbs;
      };
      const diffs = [compare('output', expected.output), compare('h_n', expected.hN)];
      if (lstm) diffs.push(compare('c_n', (expected as { cN: Tensor }).cN));
      t.diagnostic(`max |difference| ${Math.max(...diffs).toExponential(2)}`);
    });
  }

  test('an LSTM with projSize is refused, naming it', async () => {
    await assert.rejects(() => exportRecurrentONNX(new LSTM({ ...common, projSize: 2 })), /LSTM has projSize 2, and ONNX's LSTM has no projection/);
  });
});

describe('recurrent export --onnx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-onnx-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const cell of ['lstm', 'gru']) {
    test(`a ${cell} checkpoint of recurrent train gives the library's next-character distribution`, async (t) => {
      const checkpoint = fixturePath(`charlm_${cell}.safetensors`);
      const out = join(dir, `${cell}.onnx`);
      const r = ok(await spawnCollect(['export', '--onnx', out, '--checkpoint', checkpoint], { cwd: dir }), 'export');
      assert.match(r.stdout, new RegExp(`${cell}.onnx`));
      const { model } = loadCharLM(checkpoint);
      const { numLayers: L, hiddenSize: H, vocabSize: V } = model.config;
      const ids = Array.from({ length: 16 }, (_, i) => (i * 7) % V);
      const expected = noGrad(() => model.eval().apply({ data: Int32Array.from(ids), shape: [ids.length, 1] }).logits.value);

      const session = await ort.InferenceSession.create(readFileSync(out));
      const zeros = new ort.Tensor('float32', new Float32Array(L * H), [L, 1, H]);
      const feeds: Record<string, ort.Tensor> = { ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [ids.length, 1]), h0: zeros };
      if (cell === 'lstm') feeds['c0'] = zeros;
      const logits = (await session.run(feeds))['logits']!;
      assert.deepEqual([...logits.dims], expected.shape);
      const softmax = (a: ArrayLike<number>): Float64Array => {
        const out = new Float64Array(a.length);
        for (let row = 0; row < a.length / V; row++) {
          let max = -Infinity;
          for (let v = 0; v < V; v++) max = Math.max(max, a[row * V + v] as number);
          let sum = 0;
          for (let v = 0; v < V; v++) sum += out[row * V + v] = Math.exp((a[row * V + v] as number) - max);
          for (let v = 0; v < V; v++) out[row * V + v]! /= sum;
        }
        return out;
      };
      assertClose(logits.data as Float32Array, expected, RTOL, 'logits');
      const r2 = assertClose(softmax(logits.data as Float32Array), { data: softmax(expected.data), shape: expected.shape }, RTOL, 'next-character distribution');
      t.diagnostic(`max |difference| of the probabilities ${r2.maxAbs.toExponential(2)}`);
    });
  }

  test('refuses a translation checkpoint, saying so', async () => {
    const checkpoint = join(dir, 'dates.safetensors');
    ok(await spawnCollect(['translate', 'train', '--hidden', '8', '--embedding', '4', '--batch', '16', '--backend', 'js', '--steps', '1', '--checkpoint', checkpoint], { cwd: dir }), 'translate train');
    const r = await spawnCollect(['export', '--onnx', join(dir, 'dates.onnx'), '--checkpoint', checkpoint], { cwd: dir });
    failsCleanly(r, /dates\.safetensors is a translation model; ONNX export is for character-level language models only/, 'translation checkpoint');
  });

  test('refuses a file that is not a checkpoint, naming it', async () => {
    const r = await spawnCollect(['export', '--onnx', join(dir, 'x.onnx'), '--checkpoint', join(dir, 'missing.safetensors')], { cwd: dir });
    failsCleanly(r, /missing\.safetensors/, 'missing checkpoint');
  });
});
