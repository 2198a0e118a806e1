/**
 * Sequential: PyTorch nn.Sequential names in one store, completed configs,
 * shapes, exact gradients of whole models (float64 central differences)
 * including the padded, masked per-step losses `fit` uses, and spec errors
 * that name the layer and the field.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { leaf, noGrad, type Variable } from '../src/autograd/variable.js';
import { collate } from '../src/models/batch.js';
import { batchLoss } from '../src/models/objective.js';
import { Sequential } from '../src/models/sequential.js';
import { recurrentModulesOf } from '../src/insight/probe.js';
import type { RNN } from '../src/layers/rnn.js';
import type { LayerSpec } from '../src/models/layer-spec.js';
import { Random } from '../src/random.js';
import { mse } from '../src/train/loss.js';
import { gradcheck } from './gradcheck.js';

describe('Sequential: structure', () => {
  test('parameters are named as in torch.nn.Sequential, sizes are inferred and written into the config', () => {
    const model = new Sequential([
      { type: 'embedding', numEmbeddings: 10, embeddingDim: 4 },
      { type: 'gru', hiddenSize: 3, bidirectional: true },
      { type: 'takeLast' },
      { type: 'linear', outFeatures: 5 },
      { type: 'activation', activation: 'relu' },
      { type: 'linear', outFeatures: 2, bias: false },
    ], { seed: 3 });
    assert.deepEqual(model.params.names(), [
      '0.weight',
      '1.weight_ih_l0', '1.weight_hh_l0', '1.bias_ih_l0', '1.bias_hh_l0',
      '1.weight_ih_l0_reverse', '1.weight_hh_l0_reverse', '1.bias_ih_l0_reverse', '1.bias_hh_l0_reverse',
      '3.weight', '3.bias', '5.weight',
    ]);
    assert.deepEqual(model.params.ref('3.weight').shape, [5, 6]);
    assert.deepEqual(model.config.layers[1], { type: 'gru', inputSize: 4, hiddenSize: 3, numLayers: 1, bidirectional: true, dropout: 0, bias: true, resetAfter: true });
    assert.deepEqual(model.config.layers[3], { type: 'linear', inFeatures: 6, outFeatures: 5, bias: true });
    assert.deepEqual(model.signature, { input: 'ids', inputSize: 10, outputSequence: false, outputSize: 2, bidirectionalInput: [false, false, true, false, false, false] });
    const y = model.apply({ data: [1, 2, 3, 4, 5, 6], shape: [2, 3] }, { lengths: [3, 1] });
    assert.deepEqual(y.shape, [2, 2]);
    // The same specs and seed give the same weights.
    const again = new Sequential(model.config.layers, { seed: 3 });
    assert.deepEqual([...again.params.data], [...model.params.data]);
  });

  test('feature sequences, per-step outputs, vectors; the rnn and lstm options reach their modules', () => {
    const seq = new Sequential([
      { type: 'rnn', inputSize: 3, hiddenSize: 4, nonlinearity: 'relu', numLayers: 2 },
      { type: 'lstm', hiddenSize: 5, projSize: 2 },
      { type: 'linear', outFeatures: 1 },
    ]);
    assert.deepEqual(seq.signature.outputSequence, true);
    assert.ok(seq.params.names().includes('1.weight_hr_l0'));
    assert.ok(seq.params.names().includes('0.weight_ih_l1'));
    const x = { data: new Float32Array(2 * 5 * 3).fill(0.5), shape: [2, 5, 3] };
    assert.deepEqual(seq.apply(x, { lengths: [5, 2] }).shape, [2, 5, 1]);
    const mlp = new Sequential([{ type: 'linear', inFeatures: 3, outFeatures: 4 }, { type: 'activation', activation: 'tanh' }, { type: 'linear', outFeatures: 2 }]);
    assert.equal(mlp.signature.input, 'vector');
    assert.deepEqual(mlp.apply({ data: new Float32Array(6), shape: [2, 3] }).shape, [2, 2]);
  });

  test("a leaky-relu rnn layer: nonlinearity 'leaky_relu' with its negativeSlope (default 0.01) reaches the RNN; a slope is refused elsewhere", () => {
    const seq = new Sequential([{ type: 'rnn', inputSize: 2, hiddenSize: 3, nonlinearity: 'leaky_relu', negativeSlope: 0.2 }, { type: 'rnn', hiddenSize: 3, nonlinearity: 'leaky_relu' }]);
    assert.deepEqual(seq.config.layers.map((l) => (l as { negativeSlope?: number }).negativeSlope), [0.2, 0.01]);
    const layers = recurrentModulesOf(seq).map((m) => m.module as RNN);
    assert.deepEqual(layers.map((l) => [l.nonlinearity, l.negativeSlope]), [['leaky_relu', 0.2], ['leaky_relu', 0.01]]);
    assert.throws(() => new Sequential([{ type: 'rnn', inputSize: 2, hiddenSize: 3, negativeSlope: 0.2 }]), /layers\[0\]\.negativeSlope is only for nonlinearity 'leaky_relu'/);
    assert.throws(() => new Sequential([{ type: 'rnn', inputSize: 2, hiddenSize: 3, nonlinearity: 'leaky_relu', negativeSlope: 1 }]), /negativeSlope must be a number in \[0, 1\), got 1/);
  });

  test('dropout is active in training mode only', () => {
    const model = new Sequential([{ type: 'linear', inFeatures: 50, outFeatures: 50 }, { type: 'dropout', p: 0.5 }]);
    const x = { data: new Float32Array(50).fill(1), shape: [1, 50] };
    const zeros = (y: Variable): number => [...y.data].filter((v) => v === 0).length;
    assert.ok(zeros(model.apply(x)) > 10);
    model.eval();
    assert.equal(zeros(model.apply(x)), 0);
    assert.equal(model.training, false);
  });
});

describe('Sequential: exact gradients (float64)', () => {
  test('embedding → bidirectional LSTM → takeLast → linear → tanh → linear, cross-entropy over variable lengths', () => {
    const model = new Sequential([
      { type: 'embedding', numEmbeddings: 6, embeddingDim: 3 },
      { type: 'lstm', hiddenSize: 3, bidirectional: true },
      { type: 'takeLast' },
      { type: 'linear', outFeatures: 4 },
      { type: 'activation', activation: 'tanh' },
      { type: 'linear', outFeatures: 3 },
    ], { dtype: 'float64', seed: 1 });
    const data = { x: [[1, 2, 3, 4], [5, 0], [2, 2, 1]], y: [0, 2, 1] };
    const batch = collate(model, data, [0, 1, 2], 'crossEntropy', 'test');
    const loss = (): Variable => batchLoss(model, model.apply(batch.input, { lengths: batch.lengths }), batch, 'crossEntropy');
    model.zeroGrad();
    loss().backward();
    const r = gradcheck('model params', model.params.data, model.params.grad, () => loss().item());
    assert.equal(r.checked, model.params.size);
  });

  test('per-step MSE on a padded batch counts only the valid steps, and its gradient is exact', () => {
    const model = new Sequential([
      { type: 'gru', inputSize: 2, hiddenSize: 3 },
      { type: 'linear', outFeatures: 2 },
      { type: 'activation', activation: 'sigmoid' },
    ], { dtype: 'float64', seed: 2 });
    const rng = new Random(4);
    const seq = (n: number): number[][] => Array.from({ length: n }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
    const data = { x: [seq(4), seq(2), seq(3)], y: [seq(4), seq(2), seq(3)] };
    const batch = collate(model, data, [0, 1, 2], 'mse', 'test');
    assert.equal(batch.count, 9);
    const lossOf = (): Variable => batchLoss(model, model.apply(batch.input, { lengths: batch.lengths }), batch, 'mse');
    // Direct: the mean over the 9 valid steps × 2 outputs, each sequence alone (no padding at all).
    let direct = 0;
    noGrad(() => {
      data.x.forEach((x, i) => {
        const y = model.apply({ data: Float64Array.from(x.flat()), shape: [1, x.length, 2] }).data;
        (data.y[i] as number[][]).flat().forEach((t, k) => (direct += ((y[k] as number) - t) ** 2));
      });
    });
    assert.ok(Math.abs(lossOf().item() - direct / 18) < 1e-14, `${lossOf().item()} vs ${direct / 18}`);
    model.zeroGrad();
    lossOf().backward();
    gradcheck('per-step mse params', model.params.data, model.params.grad, () => lossOf().item());
  });

  test('a model\'s output is a variable on the tape: gradients reach a tracked input', () => {
    const model = new Sequential([{ type: 'rnn', inputSize: 2, hiddenSize: 3 }, { type: 'takeLast' }], { dtype: 'float64' });
    const rng = new Random(6);
    const x = leaf({ data: Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)), shape: [2, 3, 2] });
    const w = { data: Float64Array.from({ length: 6 }, () => rng.uniform(-1, 1)), shape: [2, 3] };
    const loss = (): Variable => mse(model.apply(x), w, 'sum');
    loss().backward();
    gradcheck('input', x.data, x.grad as Float64Array, () => loss().item());
    assert.throws(() => new Sequential([{ type: 'embedding', numEmbeddings: 3, embeddingDim: 2 }]).apply(x), /takes token ids, not a variable/);
  });
});

describe('Sequential: errors name the layer and the field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['empty', [], /Sequential: layers must be a non-empty array/],
    ['unknown type', [{ type: 'conv', outFeatures: 2 }], /Sequential: layers\[0\]\.type must be one of embedding, rnn, lstm, gru, takeLast, linear, activation, dropout, got 'conv'/],
    ['typo', [{ type: 'lstm', inputSize: 2, hidenSize: 4 }], /layers\[0\] \(lstm\): unknown field hidenSize/],
    ['first without input size', [{ type: 'lstm', hiddenSize: 4 }], /layers\[0\] \(lstm\): the first layer must declare inputSize/],
    ['first is an activation', [{ type: 'activation', activation: 'relu' }], /layers\[0\]: the first layer must be embedding, rnn, lstm, gru or linear/],
    ['bad size', [{ type: 'gru', inputSize: 2, hiddenSize: -3 }], /layers\[0\]\.hiddenSize must be an integer ≥ 1, got -3/],
    ['inferred size mismatch', [{ type: 'embedding', numEmbeddings: 5, embeddingDim: 4 }, { type: 'lstm', inputSize: 3, hiddenSize: 2 }], /layers\[1\]\.inputSize is 3 but layers\[0\] gives 4 features/],
    ['embedding not first', [{ type: 'linear', inFeatures: 2, outFeatures: 2 }, { type: 'embedding', numEmbeddings: 5, embeddingDim: 4 }], /layers\[1\]: an embedding takes token ids, so it can only be the first layer/],
    ['takeLast on vectors', [{ type: 'linear', inFeatures: 2, outFeatures: 2 }, { type: 'takeLast' }], /layers\[1\] \(takeLast\) needs a sequence \(B, T, F\), but layers\[0\] gives one vector per example/],
    ['recurrent after takeLast', [{ type: 'lstm', inputSize: 2, hiddenSize: 2 }, { type: 'takeLast' }, { type: 'gru', hiddenSize: 2 }], /layers\[2\] \(gru\) needs a sequence \(B, T, F\), but layers\[1\] gives one vector per example/],
    ['bad activation', [{ type: 'linear', inFeatures: 2, outFeatures: 2 }, { type: 'activation', activation: 'gelu' }], /layers\[1\]\.activation must be one of tanh, sigmoid, relu, softmax, logSoftmax, got 'gelu'/],
    ['projSize on a GRU', [{ type: 'gru', inputSize: 2, hiddenSize: 4, projSize: 2 }], /layers\[0\] \(gru\): unknown field projSize/],
    ['peepholes on a GRU', [{ type: 'gru', inputSize: 2, hiddenSize: 4, peepholes: true }], /layers\[0\] \(gru\): unknown field peepholes/],
    ['resetAfter on an LSTM', [{ type: 'lstm', inputSize: 2, hiddenSize: 4, resetAfter: false }], /layers\[0\] \(lstm\): unknown field resetAfter/],
    ['resetAfter not a boolean', [{ type: 'gru', inputSize: 2, hiddenSize: 4, resetAfter: 'no' }], /layers\[0\]\.resetAfter must be true or false, got 'no'/],
    ['dropout probability', [{ type: 'linear', inFeatures: 2, outFeatures: 2 }, { type: 'dropout', p: 1 }], /layers\[1\]\.p must be a probability in \[0, 1\), got 1/],
  ];
  for (const [name, layers, message] of cases) {
    test(name, () => assert.throws(() => new Sequential(layers as LayerSpec[]), message));
  }

  test('apply checks the input against the signature', () => {
    const model = new Sequential([{ type: 'lstm', inputSize: 2, hiddenSize: 3 }]);
    assert.throws(() => model.apply({ data: new Float32Array(6), shape: [1, 2, 3] }), /Sequential\.apply: expected input of shape \(B, T, 2\), got \[1, 2, 3\]/);
    assert.throws(() => model.apply({ data: new Float64Array(4), shape: [1, 2, 2] }), /Sequential\.apply: input is float64 but the parameters are float32/);
    assert.throws(() => model.apply({ data: new Float32Array(4), shape: [1, 2, 2] }, { lengths: [3] }), /Sequential\.apply: lengths\[0\] = 3 is out of range/);
  });
});
