/**
 * fit, evaluate and predict: reproducible runs, early stopping and restoring
 * the best weights, callbacks, validation splits, clipping, optimisers by
 * name or instance, and bad data rejected before any update.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmBackend, type WasmBackend } from '../src/backend/wasm.js';
import { Adam, SGD } from '../src/train/optim.js';
import { evaluate, predict } from '../src/models/predict.js';
import { fit, progressPrinter, type BatchLog, type EpochLog } from '../src/models/fit.js';
import { Sequential } from '../src/models/sequential.js';
import { Random } from '../src/random.js';

/** Sequences of 2–7 numbers in [−1, 1]; label 1 when their sum is positive. */
function sumSign(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Random(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: 2 + rng.int(6) }, () => rng.uniform(-1, 1));
    x.push(s);
    y.push(s.reduce((a, b) => a + b, 0) > 0 ? 1 : 0);
  }
  return { x, y };
}

const classifier = (seed = 1): Sequential => new Sequential([
  { type: 'gru', inputSize: 1, hiddenSize: 8 },
  { type: 'takeLast' },
  { type: 'linear', outFeatures: 2 },
], { seed });

describe('fit', () => {
  test('learns, and the same seeds give the same history; another shuffle seed another one', () => {
    const data = sumSign(200, 1);
    const run = (seed: number): number[] => fit(classifier(), data, { loss: 'crossEntropy', lr: 0.02, epochs: 4, batchSize: 16, seed }).loss;
    const a = run(0);
    assert.deepEqual(run(0), a);
    assert.notDeepEqual(run(1), a);
    assert.ok((a[3] as number) < (a[0] as number) * 0.7, `loss ${a[0]} → ${a[3]}`);
  });

  test('early stopping on a mostly mislabelled validation set stops `patience` epochs after the best, and restores its weights', () => {
    const train = sumSign(120, 2);
    // Two thirds of the validation labels are coin flips: the validation loss falls while the
    // model starts to learn, then rises as it grows confident.
    const rng = new Random(3);
    const noisy = sumSign(60, 4);
    const validation = { x: noisy.x, y: noisy.y.map((v, i) => (i % 3 === 0 ? v : rng.int(2))) };
    const options = { loss: 'crossEntropy', lr: 0.02, epochs: 30, batchSize: 8, validation } as const;
    const restored = classifier();
    const h = fit(restored, train, { ...options, earlyStopping: { patience: 2, restoreBestWeights: true } });
    assert.equal(h.stoppedEarly, true);
    assert.equal(h.bestEpoch, 2); // measured: validation loss 0.678, 0.667, 0.887, 1.174
    assert.equal(h.epochs, h.bestEpoch + 2);
    const best = Math.min(...h.valLoss);
    assert.equal(h.valLoss[h.bestEpoch - 1], best);
    assert.ok(h.valLoss.slice(h.bestEpoch).every((v) => v >= best));
    // The model now holds the weights of the best epoch: its validation loss is that epoch's, exactly.
    assert.equal(evaluate(restored, validation, { loss: 'crossEntropy', batchSize: 8 }).loss, best);

    const kept = classifier();
    const h2 = fit(kept, train, { ...options, earlyStopping: { patience: 2 } });
    assert.deepEqual(h2.valLoss, h.valLoss, 'same run');
    assert.equal(evaluate(kept, validation, { loss: 'crossEntropy', batchSize: 8 }).loss, h2.valLoss.at(-1), 'last weights kept');
  });

  test('minDelta: improvements smaller than it do not count', () => {
    const h = fit(classifier(), sumSign(64, 5), { loss: 'crossEntropy', lr: 0.01, epochs: 10, earlyStopping: { patience: 1, minDelta: 10 } });
    assert.deepEqual([h.epochs, h.bestEpoch, h.stoppedEarly], [2, 1, true]);
  });

  test('callbacks see every batch and epoch; onEpochEnd can stop; progressPrinter writes one line per epoch', () => {
    const batches: BatchLog[] = [];
    const epochs: EpochLog[] = [];
    const lines: string[] = [];
    const h = fit(classifier(), sumSign(50, 6), {
      loss: 'crossEntropy', epochs: 5, batchSize: 20, validation: 0.2,
      callbacks: [
        { onBatchEnd: (b) => batches.push(b), onEpochEnd: (e) => (epochs.push(e), e.epoch === 3 ? 'stop' : undefined) },
        progressPrinter((line) => lines.push(line)),
      ],
    });
    assert.equal(h.epochs, 3);
    assert.equal(h.stoppedEarly, true);
    // 40 training examples in batches of 20, 20 and (none left): 2 per epoch.
    assert.deepEqual(batches.map((b) => [b.epoch, b.batch, b.batches, b.size]), [[1, 1, 2, 20], [1, 2, 2, 20], [2, 1, 2, 20], [2, 2, 2, 20], [3, 1, 2, 20], [3, 2, 2, 20]]);
    assert.deepEqual(epochs.map((e) => e.loss), h.loss);
    assert.deepEqual(epochs.map((e) => e.valAccuracy), h.valAccuracy);
    assert.equal(lines.length, 3);
    assert.match(lines[0] as string, /^epoch 1\/5: loss \d\.\d{4}, accuracy \d\.\d{3}, val loss \d\.\d{4}, val accuracy \d\.\d{3}$/);
  });

  test('a validation fraction holds out the last examples, before shuffling', () => {
    const data = sumSign(40, 7);
    const model = classifier();
    const h = fit(model, data, { loss: 'crossEntropy', epochs: 1, validation: 0.25 });
    const last = { x: data.x.slice(30), y: data.y.slice(30) };
    assert.equal(h.valLoss[0], evaluate(model, last, { loss: 'crossEntropy' }).loss);
  });

  test('clipNorm bounds every update of plain SGD', () => {
    const model = classifier();
    const before = model.params.data.slice();
    fit(model, sumSign(16, 8), { loss: 'crossEntropy', optimizer: 'sgd', lr: 1, epochs: 1, batchSize: 16, clipNorm: 1e-3 });
    let step = 0;
    for (let i = 0; i < before.length; i++) step += ((model.params.data[i] as number) - (before[i] as number)) ** 2;
    assert.ok(Math.sqrt(step) <= 1e-3 * (1 + 1e-4) && step > 0, `update norm ${Math.sqrt(step)}`);
  });

  test('on the WebAssembly backend (parameters in its memory), the same history to float32 rounding', async (t) => {
    const backend = await loadWasmBackend({ threads: 1 });
    if (!backend) return t.skip('WebAssembly SIMD is not available in this runtime');
    const data = sumSign(64, 11);
    const run = (b?: WasmBackend): number[] => {
      const model = new Sequential([{ type: 'lstm', inputSize: 1, hiddenSize: 8, bidirectional: true }, { type: 'takeLast' }, { type: 'linear', outFeatures: 2 }], { seed: 3, ...(b ? { backend: b } : {}) });
      return fit(model, data, { loss: 'crossEntropy', lr: 0.01, epochs: 3, batchSize: 16, clipNorm: 1 }).loss;
    };
    const js = run();
    const wasm = run(backend);
    js.forEach((l, i) => assert.ok(Math.abs(l - (wasm[i] as number)) < 1e-4 * l, `epoch ${i + 1}: ${l} vs ${wasm[i]}`));
  });

  test('an optimiser instance is used as given (its state advances)', () => {
    const model = classifier();
    const adam = new Adam(model.params, { lr: 0.01 });
    fit(model, sumSign(32, 9), { loss: 'crossEntropy', optimizer: adam, epochs: 2, batchSize: 8 });
    assert.equal(adam.stepCount, 8);
  });

  test('mse on per-sequence vectors; predict returns one tensor per example, per-step shapes follow each length', () => {
    const rng = new Random(10);
    const x = Array.from({ length: 64 }, () => Array.from({ length: 3 + rng.int(3) }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]));
    const y = x.map((s) => [s.reduce((a, v) => a + (v[0] as number), 0), s.length / 5]);
    const model = new Sequential([{ type: 'lstm', inputSize: 2, hiddenSize: 8 }, { type: 'takeLast' }, { type: 'linear', outFeatures: 2 }], { seed: 2 });
    const h = fit(model, { x, y }, { loss: 'mse', lr: 0.02, epochs: 8, batchSize: 16 });
    assert.equal(h.accuracy.length, 0);
    assert.ok((h.loss.at(-1) as number) < (h.loss[0] as number) / 2, `mse ${h.loss[0]} → ${h.loss.at(-1)}`);
    const p = predict(model, x.slice(0, 3));
    assert.deepEqual(p.map((t) => t.shape), [[2], [2], [2]]);
    const tagger = new Sequential([{ type: 'embedding', numEmbeddings: 3, embeddingDim: 2 }, { type: 'rnn', hiddenSize: 2 }, { type: 'linear', outFeatures: 3 }]);
    assert.deepEqual(predict(tagger, [[0, 1, 2], [2], [1, 1]], { batchSize: 2 }).map((t) => t.shape), [[3, 3], [1, 3], [2, 3]]);
  });
});

describe('fit: bad input fails before any update, naming what and where', () => {
  const cases: [string, (m: Sequential) => unknown, RegExp][] = [
    ['no loss', (m) => fit(m, sumSign(4, 1), {} as never), /fit: loss must be 'crossEntropy' or 'mse', got undefined/],
    ['x and y lengths', (m) => fit(m, { x: [[1], [2]], y: [1] }, { loss: 'crossEntropy' }), /fit: data\.x has 2 examples but data\.y has 1 targets/],
    ['empty sequence', (m) => fit(m, { x: [[0.5], []], y: [1, 0] }, { loss: 'crossEntropy' }), /fit: x\[1\] must be a non-empty sequence/],
    ['NaN input', (m) => fit(m, { x: [[0.5, 0.1], [0.2, Number.NaN]], y: [1, 0] }, { loss: 'crossEntropy' }), /fit: x\[1\]\[1\] is NaN; values must be finite/],
    ['class out of range', (m) => fit(m, { x: [[0.5], [0.1]], y: [1, 2] }, { loss: 'crossEntropy' }), /fit: y\[1\] = 2 is not a class id; crossEntropy takes integers in \[0, 2\)/],
    ['mse target width', (m) => fit(m, { x: [[0.5], [0.1]], y: [[1, 2], [1]] }, { loss: 'mse' }), /fit: y\[1\] must hold 2 numbers \(the model's outputSize\), got 1/],
    ['validation data', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', validation: { x: [[1, 2]], y: [7] } }), /fit: validation\.y\[0\] = 7 is not a class id/],
    ['validation fraction', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', validation: 0.1 }), /fit: a validation fraction must be in \(0, 1\) and leave at least one example on each side; 0\.1 of 4 examples holds out 0/],
    ['monitor without validation', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', earlyStopping: { patience: 1, monitor: 'valLoss' } }), /fit: earlyStopping\.monitor is 'valLoss' but there is no validation data/],
    ['optimizer name', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', optimizer: 'adamax' as never }), /fit: optimizer must be an Optimizer or one of adam, adamw, sgd, rmsprop, adagrad, got 'adamax'/],
    ['optimizer of another model', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', optimizer: new SGD(classifier().params, { lr: 1 }) }), /fit: the optimizer updates another parameter store/],
    ['batch size', (m) => fit(m, sumSign(4, 1), { loss: 'crossEntropy', batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/],
  ];
  for (const [name, call, message] of cases) {
    test(name, () => {
      const model = classifier();
      const before = model.params.data.slice();
      assert.throws(() => call(model), message);
      assert.deepEqual(model.params.data, before, 'parameters untouched');
    });
  }

  test('token ids and per-step targets', () => {
    const tagger = new Sequential([{ type: 'embedding', numEmbeddings: 3, embeddingDim: 2 }, { type: 'gru', hiddenSize: 2 }, { type: 'linear', outFeatures: 2 }]);
    assert.throws(() => fit(tagger, { x: [[0, 1], [2, 3]], y: [[0, 1], [1, 1]] }, { loss: 'crossEntropy' }), /fit: x\[1\]\[1\] = 3 is not a token id; the embedding takes integers in \[0, 3\)/);
    assert.throws(() => fit(tagger, { x: [[0, 1], [2, 1]], y: [[0, 1], [1]] }, { loss: 'crossEntropy' }), /fit: y\[1\] must hold one target per step, 2 like x\[1\], got 1/);
    assert.throws(() => predict(tagger, [[0, 1.5]]), /predict: x\[0\]\[1\] = 1\.5 is not a token id/);
  });
});
