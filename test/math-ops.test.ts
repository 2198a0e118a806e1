/**
 * Elementwise arithmetic, activations, reductions, matmul and lastStep on the
 * tape: forward values against direct formulas, every backward against
 * float64 central differences (broadcast operands included), and the errors.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { constant, leaf, type Variable } from '../src/autograd/variable.js';
import { add, broadcastShape, mul, sub } from '../src/autograd/elementwise.js';
import { logSoftmax, relu, sigmoid, softmax, tanh } from '../src/autograd/activations.js';
import { mean, sum } from '../src/autograd/reduce.js';
import { matmul } from '../src/autograd/matmul.js';
import { lastStep } from '../src/autograd/last-step.js';
import { mse } from '../src/train/loss.js';
import { GRU, Random } from '../src/index.js';
import { allocate, type Tensor } from '../src/tensor.js';
import { gradcheck } from './gradcheck.js';

function randn(rng: Random, shape: number[], scale = 1): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

/** Builds `f(inputs)`, backpropagates Σ (f − w)², and checks every input's gradient by central differences. */
function check(what: string, shapes: number[][], f: (...xs: Variable[]) => Variable, seed = 1, scale = 1): void {
  const rng = new Random(seed);
  const xs = shapes.map((s) => leaf(randn(rng, s, scale)));
  const w = randn(rng, [...f(...xs).shape]);
  const loss = (): Variable => mse(f(...xs), w, 'sum');
  loss().backward();
  for (const [i, x] of xs.entries()) {
    const r = gradcheck(`${what} input ${i}`, x.data, x.grad as Float64Array, () => loss().item());
    assert.equal(r.checked, x.data.length);
  }
}

describe('elementwise arithmetic with broadcasting', () => {
  test('broadcastShape follows NumPy: aligned at the end, 1 or missing stretches', () => {
    assert.deepEqual(broadcastShape([2, 3, 4], [4]), [2, 3, 4]);
    assert.deepEqual(broadcastShape([2, 3, 1], [2, 1, 4]), [2, 3, 4]);
    assert.deepEqual(broadcastShape([], [3, 2]), [3, 2]);
    assert.deepEqual(broadcastShape([5, 1], [1, 6]), [5, 6]);
    assert.equal(broadcastShape([2, 3], [2]), null);
  });

  test('forward values: a bias over the last dim, a per-row mask, a scalar', () => {
    const x = constant({ data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    const bias = constant({ data: Float64Array.from([10, 20, 30]), shape: [3] });
    const rowMask = constant({ data: Float64Array.from([0, 1]), shape: [2, 1] });
    assert.deepEqual([...add(x, bias).data], [11, 22, 33, 14, 25, 36]);
    assert.deepEqual([...sub(x, bias).data], [-9, -18, -27, -6, -15, -24]);
    assert.deepEqual([...mul(x, rowMask).data], [0, 0, 0, 4, 5, 6]);
    assert.deepEqual([...mul(x, 0.5).data], [0.5, 1, 1.5, 2, 2.5, 3]);
    assert.deepEqual([...sub(1, x).data], [0, -1, -2, -3, -4, -5]);
    assert.deepEqual(add(x, rowMask).shape, [2, 3]);
  });

  test('gradients: same shapes, bias-like, both broadcast, scalar variable', () => {
    for (const [name, op] of [['add', add], ['sub', sub], ['mul', mul]] as const) {
      check(`${name} same shape`, [[2, 3, 4], [2, 3, 4]], op);
      check(`${name} bias`, [[2, 3, 4], [4]], op, 2);
      check(`${name} bias first`, [[3, 1], [2, 3, 4]], op, 3);
      check(`${name} both broadcast`, [[5, 1], [1, 6]], op, 4);
      check(`${name} scalar`, [[3, 2], []], op, 5);
    }
    check('mul by a number', [[4, 3]], (x) => mul(sub(x, 0.25), 3), 6);
  });

  test('errors name the op and the shapes', () => {
    const a = constant({ data: new Float32Array(6), shape: [2, 3] });
    assert.throws(() => add(a, constant({ data: new Float32Array(2), shape: [2] })), /^Error: add: shapes \[2, 3\] and \[2\] do not broadcast/);
    assert.throws(() => mul(a, constant({ data: new Float64Array(3), shape: [3] })), /^Error: mul: operands are float32 and float64/);
    assert.throws(() => sub(1, 2), /sub: at least one operand must be a variable/);
  });
});

describe('activations', () => {
  test('forward values', () => {
    const x = constant({ data: Float64Array.from([-2, 0, 3, 1, 1, 1]), shape: [2, 3] });
    assert.deepEqual([...relu(x).data], [0, 0, 3, 1, 1, 1]);
    assert.ok(Math.abs((tanh(x).data[2] as number) - Math.tanh(3)) < 1e-15);
    assert.ok(Math.abs((sigmoid(x).data[0] as number) - 1 / (1 + Math.exp(2))) < 1e-15);
    const s = softmax(x).data;
    const z = Math.exp(-2) + 1 + Math.exp(3);
    assert.ok(Math.abs((s[2] as number) - Math.exp(3) / z) < 1e-15);
    assert.ok(Math.abs((s[3] as number) - 1 / 3) < 1e-15);
    assert.ok(Math.abs((logSoftmax(x).data[0] as number) - (-2 - Math.log(z))) < 1e-14);
    // Large logits do not overflow.
    const big = softmax(constant({ data: Float64Array.from([1000, 1000]), shape: [2] })).data;
    assert.deepEqual([...big], [0.5, 0.5]);
    const sig = sigmoid(constant({ data: Float64Array.from([-1000, 1000]), shape: [2] })).data;
    assert.deepEqual([...sig], [0, 1]);
  });

  test('gradients by central differences', () => {
    check('tanh', [[3, 4]], tanh, 1, 2);
    check('sigmoid', [[3, 4]], sigmoid, 2, 4);
    check('softmax', [[2, 3, 5]], softmax, 3, 3);
    check('logSoftmax', [[2, 3, 5]], logSoftmax, 4, 3);
    // relu: inputs away from the kink, where central differences are exact.
    const rng = new Random(5);
    const x = leaf(randn(rng, [20]));
    for (let i = 0; i < 20; i++) x.data[i] = (i % 2 ? 1 : -1) * (0.1 + (x.data[i] as number) ** 2);
    const w = randn(rng, [20]);
    const l = (): Variable => mse(relu(x), w, 'sum');
    l().backward();
    gradcheck('relu', x.data, x.grad as Float64Array, () => l().item());
    for (let i = 0; i < 20; i += 2) assert.equal((x.grad as Float64Array)[i], 0, 'negative inputs get no gradient');
  });
});

describe('reductions', () => {
  test('forward values and shapes', () => {
    const x = constant({ data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    assert.deepEqual([sum(x).item(), mean(x).item()], [21, 3.5]);
    assert.deepEqual(sum(x).shape, []);
    assert.deepEqual([...sum(x, 0).data], [5, 7, 9]);
    assert.deepEqual([...sum(x, -1).data], [6, 15]);
    assert.deepEqual([...mean(x, 1).data], [2, 5]);
    assert.deepEqual(sum(x, 1, true).shape, [2, 1]);
    assert.deepEqual(mean(x, undefined, true).shape, [1, 1]);
    assert.throws(() => sum(x, 2), /sum: dim 2 is out of range for a tensor of rank 2/);
  });

  test('gradients by central differences', () => {
    check('sum all', [[2, 3, 4]], (x) => sum(x));
    check('mean all', [[2, 3, 4]], (x) => mean(x));
    for (const d of [0, 1, 2, -1]) {
      check(`sum dim ${d}`, [[2, 3, 4]], (x) => sum(x, d), 2);
      check(`mean dim ${d} keepDim`, [[2, 3, 4]], (x) => mean(x, d, true), 3);
    }
  });
});

describe('matmul', () => {
  test('forward values: 2-D and batched', () => {
    const a = constant({ data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    const b = constant({ data: Float64Array.from([1, 0, 0, 1, 1, 1]), shape: [3, 2] });
    assert.deepEqual([...matmul(a, b).data], [4, 5, 10, 11]);
    const batched = constant({ data: Float64Array.from([1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 1, 1]), shape: [2, 2, 3] });
    const y = matmul(batched, b);
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual([...y.data], [4, 5, 10, 11, 0, 0, 2, 2]);
  });

  test('gradients: 2-D, batched, batched × shared 2-D', () => {
    check('matmul 2-D', [[3, 4], [4, 5]], matmul);
    check('matmul batched', [[2, 3, 3, 4], [2, 3, 4, 2]], matmul, 2);
    check('matmul shared', [[2, 3, 4], [4, 5]], matmul, 3);
  });

  test('errors name the shapes', () => {
    const a = constant({ data: new Float32Array(6), shape: [2, 3] });
    assert.throws(() => matmul(a, a), /^Error: matmul: cannot multiply \[2, 3\] by \[2, 3\]: inner dimensions 3 and 2 differ/);
    assert.throws(() => matmul(constant({ data: new Float32Array(3), shape: [3] }), a), /both operands need at least 2 dimensions/);
    const c = constant({ data: new Float32Array(18), shape: [3, 3, 2] });
    assert.throws(() => matmul(constant({ data: new Float32Array(12), shape: [2, 2, 3] }), c), /leading \(batch\) dimensions must be equal/);
  });
});

describe('lastStep', () => {
  test('reads each sequence at its last valid step; bidirectional halves at the last and first step', () => {
    // x (T=3, B=2, F=2), x[t, b, f] = 100t + 10b + f
    const data = new Float64Array(12);
    for (let t = 0; t < 3; t++) for (let b = 0; b < 2; b++) for (let f = 0; f < 2; f++) data[(t * 2 + b) * 2 + f] = 100 * t + 10 * b + f;
    const x = constant({ data, shape: [3, 2, 2] });
    assert.deepEqual([...lastStep(x).data], [200, 201, 210, 211]);
    assert.deepEqual([...lastStep(x, { lengths: [2, 3] }).data], [100, 101, 210, 211]);
    assert.deepEqual([...lastStep(x, { lengths: [2, 3], bidirectional: true }).data], [100, 1, 210, 11]);
    assert.throws(() => lastStep(x, { lengths: [4, 1] }), /lastStep: lengths\[0\] = 4 is out of range/);
    assert.throws(() => lastStep(constant({ data: new Float64Array(6), shape: [1, 2, 3] }), { bidirectional: true }), /even number of features/);
  });

  test('equals the final states of a bidirectional GRU (PyTorch semantics) and its gradient is exact', () => {
    const rng = new Random(3);
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true, batchFirst: true, dtype: 'float64', seed: 4 });
    const x = leaf(randn(rng, [3, 4, 2])); // (B, T, F)
    const lengths = [4, 2, 3];
    const out = gru.apply(x, { lengths });
    const last = lastStep(out.output, { lengths, bidirectional: true, batchFirst: true });
    const hN = out.hN.data; // (2, B, 3): forward then backward final states
    for (let b = 0; b < 3; b++) {
      for (let k = 0; k < 3; k++) {
        assert.equal(last.data[b * 6 + k], hN[b * 3 + k]);
        assert.equal(last.data[b * 6 + 3 + k], hN[9 + b * 3 + k]);
      }
    }
    const w = randn(rng, [3, 6]);
    const loss = (): Variable => mse(lastStep(gru.apply(x, { lengths }).output, { lengths, bidirectional: true, batchFirst: true }), w, 'sum');
    loss().backward();
    gradcheck('lastStep through GRU', x.data, x.grad as Float64Array, () => loss().item());
  });
});
