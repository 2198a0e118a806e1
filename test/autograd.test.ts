/**
 * The tape: every op's hand-written backward against float64 central
 * differences, composition (Embedding → LSTM → Linear → cross-entropy), and
 * the errors of a misused graph.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { leaf, noGrad, constant, type Variable } from '../src/autograd/variable.js';
import { concat, dropout, reshape, selectRows, slice, stack } from '../src/autograd/ops.js';
import { Linear } from '../src/layers/linear.js';
import { Embedding } from '../src/layers/embedding.js';
import { crossEntropy, mse } from '../src/train/loss.js';
import { GRU, LSTM, ParameterStore, Random } from '../src/index.js';
import { allocate, type Tensor } from '../src/tensor.js';
import { gradcheck } from './gradcheck.js';

function randn(rng: Random, shape: number[], scale = 1): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

/** A scalar test objective of y: Σ (y − w)², nonlinear so every path is exercised. */
function project(y: Variable, w: Tensor): Variable {
  return mse(y, w, 'sum');
}

describe('autograd ops: gradients by central differences (float64)', () => {
  test('Linear (weights, bias, input)', () => {
    const rng = new Random(1);
    const lin = new Linear({ inFeatures: 4, outFeatures: 3, dtype: 'float64', seed: 2 });
    const x = leaf(randn(rng, [2, 5, 4]));
    const target = randn(rng, [2, 5, 3]);
    const loss = (): number => project(lin.apply(x), target).item();
    lin.zeroGrad();
    project(lin.apply(x), target).backward();
    const r1 = gradcheck('Linear params', lin.params.data, lin.params.grad, loss);
    const r2 = gradcheck('Linear input', x.data, x.grad as Float64Array, loss);
    assert.ok(r1.checked === 15 && r2.checked === 40);
  });

  test('Embedding accumulates repeated ids and skips paddingIdx', () => {
    const rng = new Random(3);
    const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 0, dtype: 'float64', seed: 4 });
    const ids = { data: [1, 3, 1, 0, 4, 1], shape: [2, 3] };
    const target = randn(rng, [2, 3, 3]);
    const loss = (): number => project(emb.apply(ids), target).item();
    emb.zeroGrad();
    project(emb.apply(ids), target).backward();
    const g = emb.params.grad;
    assert.deepEqual([g[0], g[1], g[2]], [0, 0, 0], 'padding row gets no gradient');
    // Every row but the padding row matches central differences.
    gradcheck('Embedding weight', emb.params.data, g, loss, { indices: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] });
    assert.deepEqual([...emb.params.data.subarray(0, 3)], [0, 0, 0], 'padding row starts at zero');
  });

  test('crossEntropy with ignoreIndex, mask, mean and sum', () => {
    const rng = new Random(5);
    const z = leaf(randn(rng, [6, 4], 2));
    const targets = { data: [0, 3, -100, 2, 1, 3], shape: [6] };
    const mask = [1, 0.5, 1, 0, 2, 1];
    for (const reduction of ['mean', 'sum'] as const) {
      z.grad = null;
      const loss = (): number => crossEntropy(z, targets, { ignoreIndex: -100, mask, reduction }).item();
      crossEntropy(z, targets, { ignoreIndex: -100, mask, reduction }).backward();
      gradcheck(`crossEntropy ${reduction}`, z.data, z.grad as unknown as Float64Array, loss);
    }
    // Row 2 (ignored) and row 3 (mask 0) get exactly zero gradient.
    assert.deepEqual([...(z.grad as Float64Array).subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('crossEntropy equals −log softmax at the target', () => {
    const z = leaf({ data: Float64Array.from([1, 2, 3, 0, 0, 0]), shape: [2, 3] });
    const l = crossEntropy(z, { data: [2, 0], shape: [2] }).item();
    const expected = (-Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))) + Math.log(3)) / 2;
    assert.ok(Math.abs(l - expected) < 1e-12, `${l} vs ${expected}`);
  });

  test('concat, slice, stack, reshape', () => {
    const rng = new Random(6);
    const a = leaf(randn(rng, [2, 3, 2]));
    const b = leaf(randn(rng, [2, 1, 2]));
    const target = randn(rng, [3, 2, 2, 2]);
    const f = (): Variable => {
      const c = concat([a, b], 1); // (2, 4, 2)
      const s1 = slice(c, 1, 1, 3); // (2, 2, 2)
      const s2 = slice(c, 1, 0, 2);
      const st = stack([s1, s2, reshape(s1, [2, 2, 2])], 0); // (3, 2, 2, 2)
      return project(st, target);
    };
    f().backward();
    gradcheck('a', a.data, a.grad as Float64Array, () => f().item());
    gradcheck('b', b.data, b.grad as Float64Array, () => f().item());
  });

  test('selectRows: picks rows of the last dimension, repeats accumulate in backward', () => {
    const rng = new Random(8);
    const x = leaf(randn(rng, [2, 3, 2]));
    const rows = [4, 0, 4, 5];
    const y = selectRows(x, rows);
    assert.deepEqual(y.shape, [4, 2]);
    assert.deepEqual([...y.data.subarray(0, 2)], [...x.data.subarray(8, 10)]);
    const target = randn(rng, [4, 2]);
    const f = (): Variable => project(selectRows(x, rows), target);
    f().backward();
    gradcheck('x', x.data, x.grad as Float64Array, () => f().item());
    assert.deepEqual([...(x.grad as Float64Array).subarray(2, 8)], [0, 0, 0, 0, 0, 0], 'rows not selected get no gradient');
    assert.throws(() => selectRows(x, [6]), /selectRows: row 6 at position 0 is out of range for 6 rows of shape \[2, 3, 2\]/);
  });

  test('dropout: gradient flows through the kept elements only', () => {
    const rng = new Random(7);
    const x = leaf(randn(rng, [50]));
    const target = randn(rng, [50]);
    const f = (): Variable => project(dropout(x, 0.4, new Random(9), true), target);
    f().backward();
    gradcheck('dropout', x.data, x.grad as Float64Array, () => f().item());
    const y = dropout(constant(x.value), 0.4, new Random(9), true);
    const zeros = [...y.data].filter((v) => v === 0).length;
    assert.ok(zeros > 10 && zeros < 30, `${zeros} of 50 dropped at p = 0.4`);
    assert.equal(dropout(x, 0.4, new Random(9), false), x, 'identity in evaluation');
  });
});

test('a language model composes in a few lines and its gradients are exact', () => {
  const params = new ParameterStore('float64');
  const embed = new Embedding({ numEmbeddings: 7, embeddingDim: 3, params, prefix: 'embed.', seed: 1 });
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, params, prefix: 'lstm.', seed: 2 });
  const head = new Linear({ inFeatures: 4, outFeatures: 7, params, prefix: 'head.', seed: 3 });
  const inputs = { data: [1, 2, 3, 4, 5, 6, 0, 1], shape: [4, 2] };
  const targets = { data: [2, 3, 4, 5, 6, 0, 1, 2], shape: [4, 2] };
  const lossOf = (): Variable => crossEntropy(head.apply(lstm.apply(embed.apply(inputs)).output), targets);
  params.zeroGrad();
  lossOf().backward();
  assert.deepEqual(params.names().slice(0, 2), ['embed.weight', 'lstm.weight_ih_l0']);
  assert.ok(params.names().includes('head.bias'));
  const r = gradcheck('LM params', params.data, params.grad, () => lossOf().item());
  assert.equal(r.checked, params.size);
});

test('GRU.apply passes gradients to x and h0', () => {
  const rng = new Random(8);
  const gru = new GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true, dtype: 'float64' });
  const x = leaf(randn(rng, [3, 2, 2]));
  const h0 = leaf(randn(rng, [2, 2, 3]));
  const target = randn(rng, [2, 2, 3]);
  const f = (): Variable => project(gru.apply(x, { h0, lengths: [3, 2] }).hN, target);
  f().backward();
  gradcheck('x', x.data, x.grad as Float64Array, () => f().item());
  gradcheck('h0', h0.data, h0.grad as Float64Array, () => f().item());
});

describe('graph errors', () => {
  test('backward twice through a freed graph is an error naming the op', () => {
    const lin = new Linear({ inFeatures: 2, outFeatures: 2 });
    const loss = mse(lin.apply(constant({ data: new Float32Array([1, 2]), shape: [1, 2] })), { data: new Float32Array(2), shape: [1, 2] });
    loss.backward();
    assert.throws(() => loss.backward(), /backward: the graph through 'mse' was already backpropagated/);
  });

  test('noGrad records nothing', () => {
    const lin = new Linear({ inFeatures: 2, outFeatures: 1 });
    const y = noGrad(() => lin.apply(constant({ data: new Float32Array([1, 2]), shape: [2] })));
    assert.equal(y.creator, null);
    assert.throws(() => y.backward(), /backward: this variable was not produced by a recorded operation/);
  });

  test('shape mismatches between ops name the op', () => {
    const lin = new Linear({ inFeatures: 3, outFeatures: 2 });
    assert.throws(() => lin.apply(constant({ data: new Float32Array(4), shape: [2, 2] })), /^Error: Linear: expected input of shape \(…, 3\), got \[2, 2\]/);
    const a = constant({ data: new Float32Array(4), shape: [2, 2] });
    const b = constant({ data: new Float32Array(3), shape: [3, 1] });
    assert.throws(() => concat([a, b], 1), /concat: variable 1 has shape \[3, 1\], incompatible with \[2, 2\]/);
    assert.throws(() => slice(a, 0, 1, 3), /slice: range \[1, 3\) is out of bounds for axis 0 of size 2/);
    assert.throws(() => reshape(a, [3, -1]), /reshape: cannot view shape \[2, 2\] \(4 values\) as \[3, -1\]/);
    assert.throws(() => crossEntropy(a, { data: [0, 5], shape: [2] }), /crossEntropy: target 5 at position 1 is out of range; targets must be integers in \[0, 2\)/);
    assert.throws(() => crossEntropy(a, { data: [0], shape: [1] }), /crossEntropy: expected 2 targets/);
    const emb = new Embedding({ numEmbeddings: 4, embeddingDim: 2 });
    assert.throws(() => emb.apply({ data: [0, 4], shape: [2] }), /Embedding: token id 4 at position 1 is out of range; ids must be integers in \[0, 4\)/);
    assert.throws(() => new Linear({ inFeatures: 2, outFeatures: 2, dtype: 'float64' }).apply(a), /Linear: input is float32 but the parameters are float64/);
  });
});
