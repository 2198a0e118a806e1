/**
 * The result types say what a cell returns: an LSTM's results carry the cell
 * state, an RNN's or GRU's do not. The `@ts-expect-error` lines are checked by
 * the compiler when the tests are built (a wrong type fails the build); the
 * assertions check that the values match the types at run time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, type RecurrentLayer, type Tensor, zeros } from '../src/index.js';

const x: Tensor = zeros([3, 2, 4]);

test('LSTM results have cN and dc0; RNN and GRU results have none', () => {
  const lstm = new LSTM({ inputSize: 4, hiddenSize: 5, seed: 1 });
  const out = lstm.forward(x);
  const cN: Tensor = out.cN; // not optional
  assert.deepEqual(cN.shape, [1, 2, 5]);
  const g = lstm.backward(out.ctx, { dOutput: zeros([3, 2, 5]), dcN: zeros([1, 2, 5]) });
  const dc0: Tensor = g.dc0;
  assert.deepEqual(dc0.shape, [1, 2, 5]);

  for (const layer of [new GRU({ inputSize: 4, hiddenSize: 5, seed: 1 }), new RNN({ inputSize: 4, hiddenSize: 5, seed: 1 })]) {
    const o = layer.forward(x);
    // @ts-expect-error an RNN or GRU has no cell state
    assert.equal(o.cN, undefined);
    // @ts-expect-error nor does it take one
    assert.throws(() => layer.forward(x, { c0: zeros([1, 2, 5]) }), /c0 is only for LSTM/);
    const gr = layer.backward(o.ctx, { dOutput: zeros([3, 2, 5]) });
    // @ts-expect-error no dc0 either
    assert.equal(gr.dc0, undefined);
  }

  // A layer whose cell is not known statically: the cell state may be there.
  const any: RecurrentLayer = lstm;
  const maybe: Tensor | undefined = any.forward(x).cN;
  assert.ok(maybe);
});

test('LSTMCell results have c and dc0; RNNCell and GRUCell results have none', () => {
  const xs = zeros([2, 4]);
  const cell = new LSTMCell({ inputSize: 4, hiddenSize: 3, seed: 1 });
  const o = cell.forward(xs);
  const c: Tensor = o.c;
  assert.deepEqual(c.shape, [2, 3]);
  const dc0: Tensor = cell.backward(o.ctx, { dh: zeros([2, 3]) }).dc0;
  assert.deepEqual(dc0.shape, [2, 3]);
  for (const other of [new GRUCell({ inputSize: 4, hiddenSize: 3, seed: 1 }), new RNNCell({ inputSize: 4, hiddenSize: 3, seed: 1 })]) {
    const r = other.forward(xs);
    // @ts-expect-error no cell state
    assert.equal(r.c, undefined);
  }
});
