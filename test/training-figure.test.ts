/**
 * The training-history figure's panels (src/figures/training.ts), from
 * histories written here: which panels and series each kind of history
 * gets, the values they carry, and the refusal of a history too short.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainingDiagnostics } from '../src/charlm/diagnostics.js';
import type { HistoryEntry } from '../src/charlm/trainer.js';
import { charLMTrainingCharts, charLMTrainingSpec, translationTrainingCharts } from '../src/figures/training.js';
import type { LineChart } from '../src/figures/lines.js';

const lstm = (clipRate: number, f: number): TrainingDiagnostics => ({
  steps: 10, gradientNorm: { mean: 0.5, max: 0.9 }, clipRate, clipFactor: clipRate > 0 ? 0.6 : 1,
  saturation: { i: 0.1, f, g: 0.3, o: 0.2 }, keepGate: 0.7, gradientStartToEnd: 2.5,
});

const entry = (step: number, diagnostics?: TrainingDiagnostics): HistoryEntry =>
  ({ step, seconds: step / 10, trainLoss: 4 - step / 100, validationLoss: 3.9 - step / 100, ...(diagnostics ? { diagnostics } : {}) });

const outline = (charts: LineChart[]): [string, string[]][] => charts.map((c) => [c.title ?? '', c.series.map((s) => s.name)]);

describe('training figure', () => {
  test('a history without diagnostics: the loss panel only', () => {
    const charts = charLMTrainingCharts([entry(10), entry(20)]);
    assert.deepEqual(outline(charts), [['loss', ['train (moving average)', 'validation']]]);
    assert.deepEqual(Array.from(charts[0]!.series[1]!.y), [3.9 - 0.1, 3.9 - 0.2]);
  });

  test('LSTM diagnostics, some steps clipped: gradient, clipping, gates and first/last panels; only the diagnosed entries', () => {
    const history = [entry(10), entry(20, lstm(0, 0.4)), entry(30, lstm(0.5, 0.6))];
    const charts = charLMTrainingCharts(history, { clip: 5, window: 64 });
    assert.deepEqual(outline(charts), [
      ['loss', ['train (moving average)', 'validation']],
      ['gradient norm before clipping', ['mean', 'max', 'clip threshold 5']],
      ['clipping', ['steps clipped', 'factor when clipped']],
      ['gates: fraction saturated', ['i (input)', 'f (forget)', 'g (candidate)', 'o (output)', 'forget gate: mean activation']],
      ['gradient of the first state / of the last (layer 0)', ['first / last']],
    ]);
    assert.deepEqual(Array.from(charts[0]!.series[0]!.x), [10, 20, 30]);
    const f = charts[3]!.series[1]!;
    assert.deepEqual([Array.from(f.x), Array.from(f.y)], [[20, 30], [0.4, 0.6]]);
    assert.ok(charts[1]!.yLog);
    assert.equal(charts[4]!.yTitle, '‖∂L/∂h₀‖ / ‖∂L/∂h₆₃‖');
    const factor = charts[2]!.series[1]!.y;
    assert.ok(Number.isNaN(factor[0]) && factor[1] === 0.6, 'no factor where nothing was clipped');
  });

  test('never clipped: no clipping panel, the gradient panel says so; GRU names its update gate; an RNN has no gate panel', () => {
    const gru: TrainingDiagnostics = { ...lstm(0, 0), saturation: { r: 0.1, z: 0.2, n: 0.3 } };
    const rnn: TrainingDiagnostics = { ...lstm(0, 0), saturation: {}, keepGate: null };
    assert.deepEqual(outline(charLMTrainingCharts([entry(1, gru), entry(2, gru)], { clip: 1 })).map(([t]) => t), [
      'loss', 'gradient norm before clipping (no step clipped)', 'gates: fraction saturated', 'gradient of the first state / of the last (layer 0)',
    ]);
    assert.deepEqual(charLMTrainingCharts([entry(1, gru), entry(2, gru)])[2]!.series.map((s) => s.name), ['r (reset)', 'z (update)', 'n (candidate)', 'update gate: mean activation']);
    assert.deepEqual(outline(charLMTrainingCharts([entry(1, rnn), entry(2, rnn)])).map(([t]) => t), [
      'loss', 'gradient norm (no clipping)', 'gradient of the first state / of the last (layer 0)',
    ]);
  });

  test('translation: training loss and the three dev scores', () => {
    const h = (step: number) => ({ step, epoch: 1, seconds: step, trainLoss: 3 / step, bleu: 10 * step, multiReferenceBleu: 12 * step, accuracy: 5 * step, evalSeconds: 0.1 });
    const charts = translationTrainingCharts([h(1), h(2)]);
    assert.deepEqual(outline(charts), [['training loss', ['train']], ['dev score', ['BLEU', 'multi-reference BLEU', 'exact match %']]]);
    assert.deepEqual(Array.from(charts[1]!.series[2]!.y), [5, 10]);
  });

  test('an empty history is refused, one validation draws; the spec puts the panels two to a row', () => {
    assert.equal(charLMTrainingCharts([entry(1)])[0]?.series[0]?.x.length, 1);
    assert.throws(() => translationTrainingCharts([]), /translationTrainingCharts: the history has no validation; a figure needs at least 1/);
    const spec = charLMTrainingSpec([entry(1, lstm(0, 0)), entry(2, lstm(0, 0))], { title: 'run' });
    assert.equal(spec.columns, 2);
    assert.equal(spec.title, 'run');
    assert.equal((spec.concat as unknown[]).length, 4);
  });
});
