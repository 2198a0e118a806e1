/**
 * Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
 * (test/fixtures/clip.json, written by scripts/gen_fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParameterStore } from '../src/params.js';
import type { DType } from '../src/tensor.js';
import { clipGradNorm, clipGradValue } from '../src/train/clip.js';
import { assertClose, type FixtureTensor, loadFixture } from './helpers.js';

interface ClipCase {
  name: string;
  kind: 'norm' | 'value';
  maxNorm: number | null;
  normType: number | 'inf';
  clipValue: number | null;
  names: string[] | null;
  paramNames: string[];
  grads: Record<string, FixtureTensor>;
  totalNorm: number | null;
  clipped: Record<string, FixtureTensor>;
}

const fixture = loadFixture<{ torch: string; cases: ClipCase[] }>('clip.json');

function storeWithGrads(c: ClipCase, dtype: DType = 'float64'): ParameterStore {
  const store = new ParameterStore(dtype, 'LSTM');
  for (const name of c.paramNames) {
    const g = c.grads[name]!;
    store.add(name, g.shape);
    store.gradient(name).data.set(g.data);
  }
  return store;
}

for (const c of fixture.cases) {
  test(`${c.name}: matches torch ${fixture.torch}`, (t) => {
    const store = storeWithGrads(c);
    const names = c.names ?? undefined;
    if (c.kind === 'norm') {
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const total = clipGradNorm(store, c.maxNorm!, normType, { names });
      const rel = Math.abs(total - c.totalNorm!) / c.totalNorm!;
      assert.ok(rel <= 1e-13, `total norm ${total} vs torch ${c.totalNorm} (rel ${rel})`);
      t.diagnostic(`total norm rel diff ${rel.toExponential(2)}`);
    } else {
      const clipped = clipGradValue(store, c.clipValue!, { names });
      let expected = 0;
      for (const n of c.paramNames) {
        const before = c.grads[n]!.data;
        const after = c.clipped[n]!.data;
        for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) expected++;
      }
      assert.equal(clipped, expected, 'count of clipped gradients');
    }
    let worst = 0;
    for (const n of c.paramNames) {
      worst = Math.max(worst, assertClose(store.gradient(n), c.clipped[n]!, 1e-13, `${c.name} ${n}`).maxAbs);
    }
    t.diagnostic(`max |diff| ${worst.toExponential(2)}`);
  });
}

test('parameters outside the names list are untouched, and under the threshold nothing changes', () => {
  const subset = fixture.cases.find((c) => c.name === 'norm2_subset')!;
  const store = storeWithGrads(subset);
  clipGradNorm(store, subset.maxNorm!, 2, { names: subset.names! });
  assert.deepEqual(Array.from(store.gradient('weight_ih_l0').data), subset.grads.weight_ih_l0!.data);
  assert.deepEqual(Array.from(store.gradient('bias_ih_l0').data), subset.grads.bias_ih_l0!.data);

  const under = fixture.cases.find((c) => c.name === 'norm2_under')!;
  const s2 = storeWithGrads(under);
  const before = Array.from(s2.grad);
  assert.equal(clipGradNorm(s2, under.maxNorm!), under.totalNorm);
  assert.deepEqual(Array.from(s2.grad), before);
});

test('after clipping, the norm is maxNorm (up to the 1e-6 guard)', () => {
  const c = fixture.cases.find((k) => k.name === 'norm2_clipped')!;
  const store = storeWithGrads(c);
  clipGradNorm(store, 1);
  const after = clipGradNorm(store, Infinity);
  assert.ok(Math.abs(after - 1 / (1 + 1e-6 / c.totalNorm!)) < 1e-12, `norm after clipping ${after}`);
});

test('float32 stores clip to float32 precision', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'norm')) {
    const store = storeWithGrads(c, 'float32');
    const total = clipGradNorm(store, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType, { names: c.names ?? undefined });
    assert.ok(Math.abs(total - c.totalNorm!) <= 1e-6 * c.totalNorm!, `${c.name}: ${total} vs ${c.totalNorm}`);
    for (const n of c.paramNames) assertClose(store.gradient(n), c.clipped[n]!, 1e-6, `${c.name} ${n}`);
  }
});

function nanStore(): ParameterStore {
  const store = new ParameterStore('float64', 'LSTM');
  store.add('weight_ih_l0', [4, 2]);
  store.add('weight_hh_l0', [4, 1]);
  store.grad.fill(0.5);
  return store;
}

test('a non-finite norm throws, naming the first non-finite gradient', () => {
  const store = nanStore();
  store.gradient('weight_hh_l0').data[2] = Number.NaN;
  const before = Array.from(store.grad);
  assert.throws(() => clipGradNorm(store, 1), {
    message: "clipGradNorm: the total 2-norm of the gradients is NaN, so they cannot be clipped; gradient of 'weight_hh_l0' holds NaN at index 2. Pass { errorIfNonfinite: false } to get the norm back with the gradients left untouched",
  });
  assert.throws(() => clipGradNorm(store, 1, Infinity), /total max-norm of the gradients is NaN/);
  store.gradient('weight_hh_l0').data[2] = -Infinity;
  assert.throws(() => clipGradNorm(store, 1, 1), /total 1-norm of the gradients is Infinity.*'weight_hh_l0' holds -Infinity at index 2/);
  // restricted to a parameter without the bad value: fine
  assert.equal(clipGradNorm(store, 100, 2, { names: ['weight_ih_l0'] }), Math.sqrt(8 * 0.25));
  store.gradient('weight_hh_l0').data[2] = Number.NaN;
  assert.deepEqual(Array.from(store.grad).map(String), before.map(String));
});

test('an overflowing norm of finite gradients says so', () => {
  const store = nanStore();
  store.grad.fill(1e200);
  assert.throws(() => clipGradNorm(store, 1), /is Infinity, so they cannot be clipped; every gradient is finite but the norm overflows/);
  assert.equal(clipGradNorm(store, 1, Infinity), 1e200); // the max-norm does not overflow
});

test('errorIfNonfinite: false returns the norm and leaves the gradients alone', () => {
  const store = nanStore();
  store.gradient('weight_ih_l0').data[0] = Infinity;
  const before = Array.from(store.grad);
  assert.equal(clipGradNorm(store, 1, 2, { errorIfNonfinite: false }), Infinity);
  assert.deepEqual(Array.from(store.grad), before);
  store.gradient('weight_ih_l0').data[0] = Number.NaN;
  assert.ok(Number.isNaN(clipGradNorm(store, 1, Infinity, { errorIfNonfinite: false })));
});

test('arguments are validated', () => {
  const store = nanStore();
  assert.throws(() => clipGradNorm(store, -1), { message: 'clipGradNorm: maxNorm must be a number ≥ 0, got -1' });
  assert.throws(() => clipGradNorm(store, Number.NaN), /maxNorm must be a number ≥ 0, got NaN/);
  assert.throws(() => clipGradNorm(store, 1, 0), { message: 'clipGradNorm: normType must be a number > 0 or Infinity, got 0' });
  assert.throws(() => clipGradNorm(store, 1, -Infinity), /normType must be/);
  assert.throws(() => clipGradNorm(store, 1, 2, { names: ['bias'] }), {
    message: "clipGradNorm: no parameter named 'bias' (have: weight_ih_l0, weight_hh_l0)",
  });
  assert.throws(() => clipGradNorm(store, 1, 2, { names: ['weight_ih_l0', 'weight_ih_l0'] }), /'weight_ih_l0' is listed twice/);
  assert.throws(() => clipGradValue(store, -0.5), { message: 'clipGradValue: clipValue must be a number ≥ 0, got -0.5' });
  assert.equal(clipGradNorm(store, 1, 2, { names: [] }), 0);
});

test('clipGradValue keeps NaN (as torch) and counts what it clipped', () => {
  const store = nanStore();
  store.grad.set([2, -3, 0.1, Number.NaN, 0.2, -0.25, 1, 0.05, 0, 0, 0, 0]);
  assert.equal(clipGradValue(store, 0.2), 4);
  assert.deepEqual(Array.from(store.grad).map(String), ['0.2', '-0.2', '0.1', 'NaN', '0.2', '-0.2', '0.2', '0.05', '0', '0', '0', '0']);
});
