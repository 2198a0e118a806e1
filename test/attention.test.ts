/**
 * Attention kinds (dot, general, projected, bahdanau): forward values
 * against the equations computed directly, padding masked (zero weight, no
 * effect, no gradient), and every gradient — parameters, queries, memory —
 * against float64 central differences through both outputs (context and
 * weights). Also CellModule.apply, the single step on the tape.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { constant, leaf, type Variable } from '../src/autograd/variable.js';
import { add, mul } from '../src/autograd/elementwise.js';
import { sum } from '../src/autograd/reduce.js';
import type { Attention, AttentionKind } from '../src/attention/attention.js';
import { createAttention } from '../src/attention/index.js';
import { GRUCell, LSTMCell, Random, RNNCell } from '../src/index.js';
import type { CellModule } from '../src/layers/cell-module.js';
import { Module } from '../src/module.js';
import { allocate, type Tensor } from '../src/tensor.js';
import { gradcheck } from './gradcheck.js';

function randn(rng: Random, shape: number[], scale = 1): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

const B = 3;
const S = 5;
const T = 4;
const LENGTHS = [5, 2, 4];
const KINDS: AttentionKind[] = ['dot', 'general', 'projected', 'bahdanau'];

function make(kind: AttentionKind, scaled = true): Attention & Module {
  const memorySize = 4;
  const querySize = kind === 'dot' ? 4 : 3;
  const a = createAttention(kind, { querySize, memorySize, attentionSize: kind === 'projected' || kind === 'bahdanau' ? 5 : undefined, scaled, dtype: 'float64', seed: 1 });
  assert.ok(a instanceof Module);
  const rng = new Random(9);
  const d = a.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.8, 0.8);
  return a as Attention & Module;
}

/** The scores e[b,t,s] by the kind's equation, from the state dict. */
function directScore(kind: AttentionKind, a: Attention & Module, q: Float64Array, h: Float64Array, scaled: boolean): (b: number, t: number, s: number) => number {
  const Dq = a.querySize;
  const Dm = a.memorySize;
  const sd = a.stateDict();
  const mat = (name: string): { w: ArrayLike<number>; rows: number } => ({ w: (sd[name] as Tensor).data, rows: (sd[name] as Tensor).shape[0] as number });
  const apply = (m: { w: ArrayLike<number>; rows: number }, x: Float64Array, off: number, n: number): number[] =>
    Array.from({ length: m.rows }, (_, i) => { let s = 0; for (let j = 0; j < n; j++) s += (m.w[i * n + j] as number) * (x[off + j] as number); return s; });
  return (b, t, s) => {
    const qo = (b * T + t) * Dq;
    const ho = (b * S + s) * Dm;
    switch (kind) {
      case 'dot': { let e = 0; for (let j = 0; j < Dm; j++) e += (q[qo + j] as number) * (h[ho + j] as number); return e; }
      case 'general': { const wh = apply(mat('weight'), h, ho, Dm); return wh.reduce((acc, v, i) => acc + v * (q[qo + i] as number), 0); }
      case 'projected': {
        const qp = apply(mat('query.weight'), q, qo, Dq);
        const kp = apply(mat('key.weight'), h, ho, Dm);
        return qp.reduce((acc, v, i) => acc + v * (kp[i] as number), 0) / (scaled ? Math.sqrt(qp.length) : 1);
      }
      case 'bahdanau': {
        const qp = apply(mat('query.weight'), q, qo, Dq);
        const kp = apply(mat('key.weight'), h, ho, Dm);
        const v = (sd.v as Tensor).data;
        return qp.reduce((acc, x, i) => acc + (v[i] as number) * Math.tanh(x + (kp[i] as number)), 0);
      }
    }
  };
}

describe('attention kinds', () => {
  for (const kind of KINDS) {
    for (const scaled of kind === 'projected' ? [true, false] : [true]) {
      const name = `${kind}${kind === 'projected' ? (scaled ? ', scaled' : ', unscaled') : ''}`;
      test(`${name}: weights and context follow the equations; padding has weight 0`, () => {
        const rng = new Random(4);
        const a = make(kind, scaled);
        const q = randn(rng, [B, T, a.querySize]);
        const h = randn(rng, [B, S, a.memorySize]);
        const { context, weights } = a.apply(leaf(q), a.prepare(leaf(h), LENGTHS));
        assert.deepEqual(weights.shape, [B, T, S]);
        assert.deepEqual(context.shape, [B, T, a.memorySize]);
        const score = directScore(kind, a, q.data as Float64Array, h.data as Float64Array, scaled);
        let maxErr = 0;
        for (let b = 0; b < B; b++) {
          const L = LENGTHS[b] as number;
          for (let t = 0; t < T; t++) {
            const e = Array.from({ length: L }, (_, s) => score(b, t, s));
            const m = Math.max(...e);
            const z = e.reduce((acc, x) => acc + Math.exp(x - m), 0);
            const alpha = e.map((x) => Math.exp(x - m) / z);
            for (let s = 0; s < S; s++) {
              const w = weights.data[(b * T + t) * S + s] as number;
              if (s >= L) assert.equal(w, 0, `weight at padding (${b}, ${t}, ${s})`);
              else maxErr = Math.max(maxErr, Math.abs(w - (alpha[s] as number)));
            }
            for (let j = 0; j < a.memorySize; j++) {
              const c = alpha.reduce((acc, al, s) => acc + al * (h.data[(b * S + s) * a.memorySize + j] as number), 0);
              maxErr = Math.max(maxErr, Math.abs((context.data[(b * T + t) * a.memorySize + j] as number) - c));
            }
          }
        }
        assert.ok(maxErr < 1e-14, `max difference from the equations ${maxErr}`);
      });

      test(`${name}: gradients of parameters, queries and memory (float64 central differences)`, (t) => {
        const rng = new Random(7);
        const a = make(kind, scaled);
        const q = leaf(randn(rng, [B, T, a.querySize]));
        const h = leaf(randn(rng, [B, S, a.memorySize]));
        const gC = randn(rng, [B, T, a.memorySize]);
        const gW = randn(rng, [B, T, S]);
        const objective = (): Variable => {
          const o = a.apply(q, a.prepare(h, LENGTHS));
          return add(sum(mul(o.context, constant(gC))), sum(mul(o.weights, constant(gW))));
        };
        const loss = (): number => objective().item();
        a.params.zeroGrad();
        objective().backward();
        const results = [];
        if (a.params.size > 0) results.push(gradcheck('params', a.params.data, a.params.grad, loss));
        results.push(gradcheck('queries', q.data, q.grad as Float64Array, loss));
        results.push(gradcheck('memory', h.data, h.grad as Float64Array, loss));
        // Padding steps of the memory get no gradient.
        for (let b = 0; b < B; b++) {
          for (let s = LENGTHS[b] as number; s < S; s++) {
            for (let j = 0; j < a.memorySize; j++) assert.equal((h.grad as Float64Array)[(b * S + s) * a.memorySize + j], 0);
          }
        }
        t.diagnostic(`max absolute error ${Math.max(...results.map((r) => r.maxAbsError)).toExponential(2)}, relative ${Math.max(...results.map((r) => r.maxRelError)).toExponential(2)}`);
      });
    }
  }

  test('padding steps of the memory do not change the outputs', () => {
    for (const kind of KINDS) {
      const rng = new Random(12);
      const a = make(kind);
      const q = randn(rng, [B, T, a.querySize]);
      const h = randn(rng, [B, S, a.memorySize]);
      const before = a.apply(leaf(q), a.prepare(leaf(h), LENGTHS));
      for (let s = 2; s < S; s++) for (let j = 0; j < a.memorySize; j++) h.data[(1 * S + s) * a.memorySize + j] = 100 * (s + j);
      const after = a.apply(leaf(q), a.prepare(leaf(h), LENGTHS));
      assert.deepEqual([...after.context.data], [...before.context.data], kind);
      assert.deepEqual([...after.weights.data], [...before.weights.data], kind);
    }
  });

  test('errors name the module, the argument and the shapes', () => {
    const a = make('general');
    const h = leaf(randn(new Random(1), [B, S, 4]));
    assert.throws(() => a.prepare(leaf(randn(new Random(1), [B, S, 3])), LENGTHS), /GeneralAttention: expected memory of shape \(B, S, 4\), got \[3, 5, 3\]/);
    assert.throws(() => a.prepare(h, [5, 0, 4]), /GeneralAttention: lengths\[1\] = 0 is out of range/);
    assert.throws(() => a.prepare(h, [5, 2]), /GeneralAttention: expected 3 lengths/);
    const m = a.prepare(h, LENGTHS);
    assert.throws(() => a.apply(leaf(randn(new Random(1), [2, T, 3])), m), /GeneralAttention: expected queries of shape \(B, T, 3\) with B = 3, got \[2, 4, 3\]/);
    assert.throws(() => createAttention('dot', { querySize: 3, memorySize: 4 }), /DotAttention: querySize \(3\) must equal memorySize \(4\)/);
    assert.throws(() => createAttention('bahdanau', { querySize: 3, memorySize: 4, attentionSize: 0 }), /BahdanauAttention: attentionSize must be a positive integer, got 0/);
    assert.throws(() => createAttention('luong' as AttentionKind, { querySize: 3, memorySize: 4 }), /attention: kind must be 'dot', 'general', 'projected' or 'bahdanau', got 'luong'/);
  });

  test('PyTorch-style parameter names and shapes', () => {
    const shapes = (kind: AttentionKind): Record<string, number[]> =>
      Object.fromEntries(Object.entries(make(kind).stateDict()).map(([k, v]) => [k, [...v.shape]]));
    assert.deepEqual(shapes('dot'), {});
    assert.deepEqual(shapes('general'), { weight: [3, 4] });
    assert.deepEqual(shapes('projected'), { 'query.weight': [5, 3], 'key.weight': [5, 4] });
    assert.deepEqual(shapes('bahdanau'), { 'query.weight': [5, 3], 'key.weight': [5, 4], v: [5] });
  });
});
