/** Truncated BPTT(k1, k2): equal to full BPTT when k2 covers the stream; exactly zero gradient beyond k2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaf, type Variable } from '../src/autograd/variable.js';
import { mse } from '../src/train/loss.js';
import { truncatedBPTT, type TBPTTWindow } from '../src/train/tbptt.js';
import { GRU, LSTM, Random } from '../src/index.js';
import { allocate, type Tensor } from '../src/tensor.js';

function randn(rng: Random, shape: number[]): Tensor {
  const data = allocate('float64', shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-1, 1);
  return { data, shape };
}

const T = 10;
const B = 2;

function setup(kind: 'lstm' | 'gru') {
  const rng = new Random(4);
  const layer = kind === 'lstm'
    ? new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: 'float64', seed: 1 })
    : new GRU({ inputSize: 3, hiddenSize: 4, dtype: 'float64', seed: 1 });
  const stream = randn(rng, [T, B, 3]);
  const target = randn(rng, [T, B, 4]);
  const h0 = randn(rng, [layer.numLayers, B, 4]);
  const targetSlice = (first: number, n: number): Tensor => ({ data: target.data.subarray(first * B * 4, (first + n) * B * 4), shape: [n, B, 4] });
  const lossOf = (w: TBPTTWindow): Variable => mse(w.output, targetSlice(w.firstStep, w.output.shape[0] as number), 'sum');
  return { layer, stream, target, h0, lossOf, targetSlice };
}

for (const kind of ['lstm', 'gru'] as const) {
  test(`${kind}: TBPTT with k2 ≥ T accumulates exactly the full-BPTT gradient`, () => {
    const { layer, stream, target, h0, lossOf } = setup(kind);
    // Full BPTT of the summed loss over the whole stream.
    const x1 = leaf(stream);
    layer.zeroGrad();
    const full = mse(layer.apply(x1, { h0: leaf(h0) }).output, target, 'sum');
    full.backward();
    const fullGrad = Float64Array.from(layer.params.grad);
    // TBPTT(3, 12): four updates whose losses partition the stream; no optimiser step.
    const x2 = leaf(stream);
    layer.zeroGrad();
    const r = truncatedBPTT(layer, x2, lossOf, () => {}, { k1: 3, k2: 12, h0 });
    assert.equal(r.losses.length, 4);
    assert.ok(Math.abs(r.losses.reduce((a, b) => a + b, 0) - full.item()) < 1e-10);
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < fullGrad.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((layer.params.grad[i] as number) - (fullGrad[i] as number)));
      scale = Math.max(scale, Math.abs(fullGrad[i] as number));
    }
    assert.ok(scale > 0.1 && maxDiff < 1e-10 * scale, `max |Δgrad| ${maxDiff} (scale ${scale})`);
    for (let i = 0; i < stream.data.length; i++) {
      assert.ok(Math.abs((x1.grad?.[i] as number) - (x2.grad?.[i] as number)) < 1e-10, `input gradient ${i}`);
    }
  });

  test(`${kind}: TBPTT(2, 3) gives exactly zero gradient to steps before e − k2`, () => {
    const { layer, stream, lossOf } = setup(kind);
    const x = leaf(stream);
    const k1 = 2;
    const k2 = 3;
    let before = new Float64Array(stream.data.length);
    const perStep = B * 3;
    truncatedBPTT(layer, x, lossOf, (update) => {
      const now = Float64Array.from(x.grad ?? []);
      const e = Math.min((update + 1) * k1, T);
      const start = Math.max(0, (update + 1) * k1 - k2);
      for (let t = 0; t < T; t++) {
        let changed = 0;
        for (let i = t * perStep; i < (t + 1) * perStep; i++) changed = Math.max(changed, Math.abs((now[i] as number) - (before[i] as number)));
        if (t >= start && t < e) assert.ok(changed > 1e-6, `update ${update}: step ${t} inside the window gets a gradient`);
        else assert.equal(changed, 0, `update ${update}: step ${t} outside [${start}, ${e}) must get exactly zero`);
      }
      before = now;
      layer.zeroGrad();
    }, { k1, k2 });
  });
}

test('TBPTT with k1 = k2 continues the state across chunks (stateful training)', () => {
  const { layer, stream, lossOf } = setup('lstm');
  const r = truncatedBPTT(layer, leaf(stream), lossOf, () => layer.zeroGrad(), { k1: 4, k2: 4 });
  const whole = layer.forward(stream);
  let maxDiff = 0;
  for (let i = 0; i < whole.hN.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((whole.hN.data[i] as number) - (r.hN.data[i] as number)));
  assert.ok(maxDiff < 1e-12, `final state equals one pass over the stream (max diff ${maxDiff})`);
  assert.equal(r.losses.length, 3);
});

test('TBPTT rejects k1 > k2 and non-finite losses', () => {
  const { layer, stream, lossOf } = setup('gru');
  assert.throws(() => truncatedBPTT(layer, leaf(stream), lossOf, () => {}, { k1: 4, k2: 2 }), /truncatedBPTT: k1 and k2 must be integers with 1 ≤ k1 ≤ k2/);
  const bad = (w: TBPTTWindow): Variable => {
    const l = lossOf(w);
    if (w.update === 1) l.data[0] = Number.NaN;
    return l;
  };
  assert.throws(() => truncatedBPTT(layer, leaf(stream), bad, () => {}, { k1: 2, k2: 2 }), /truncatedBPTT: the loss became NaN at step 1/);
});
