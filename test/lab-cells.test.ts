/**
 * `recurrent lab cells`: the states collected over a text are the model's
 * own (chunked or not), the features of a known string are as defined,
 * Pearson's r is exact on constructed units, and the command writes a page
 * with one coloured span per character per unit and a table, or fails
 * cleanly on bad input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noGrad } from '../src/autograd/variable.js';
import { jsBackend } from '../src/backend/js.js';
import { CharLM, type CharLMConfig } from '../src/charlm/model.js';
import { Vocabulary } from '../src/charlm/vocabulary.js';
import {
  cellsExperiment, collectStates, correlations, liveliestWindow, pearson, shownValues, textFeatures, unitLabel,
} from '../src/lab/cells.js';

const TEXT = 'He said "hi (x1)" to 2 of us.\nA (b) "c"\nend';
const vocab = Vocabulary.fromText(TEXT);

function model(cell: CharLMConfig['cell'], numLayers: number, hiddenSize = 6): CharLM {
  return new CharLM({ cell, vocabSize: vocab.size, embeddingSize: 5, hiddenSize, numLayers, dropout: 0, seed: 7 }, jsBackend);
}

/** The last layer's output h_t (T, H) of the model's own forward over `text`. */
function ownOutput(m: CharLM, text: string): Float32Array {
  const ids = vocab.encode(text);
  return noGrad(() => {
    const out = m.rnn.apply(m.embedding.apply({ data: ids, shape: [ids.length, 1] }));
    assert.deepEqual([...out.output.shape], [ids.length, 1, m.config.hiddenSize]);
    return Float32Array.from(out.output.value.data);
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('collected states', () => {
  for (const cell of ['lstm', 'gru', 'rnn_tanh'] as const) {
    test(`${cell}: the last layer's h is the model's recurrent output, in one call or in chunks of 7`, () => {
      const m = model(cell, 2);
      const ids = vocab.encode(TEXT);
      const whole = collectStates(m, ids, [0, 1], 1000);
      const chunked = collectStates(m, ids, [0, 1], 7);
      assert.deepEqual(whole.map((s) => `${s.layer}${s.kind}`), cell === 'lstm' ? ['0h', '0c', '1h', '1c'] : ['0h', '1h']);
      const last = whole.find((s) => s.layer === 1 && s.kind === 'h')!;
      const own = ownOutput(m, TEXT);
      assert.ok(maxDifference(last.values, own) < 1e-6, `h differs from the model's output by ${maxDifference(last.values, own)}`);
      assert.ok(own.some((v) => Math.abs(v) > 1e-3), 'the output is not all zeros');
      for (let i = 0; i < whole.length; i++) {
        const d = maxDifference(whole[i]!.values, chunked[i]!.values);
        assert.ok(d < 1e-6, `${whole[i]!.layer}${whole[i]!.kind}: chunks of 7 differ by ${d}`);
      }
    });
  }

  test('lstm: the last c of each layer is the final cell state the model returns', () => {
    const m = model('lstm', 2);
    const ids = vocab.encode(TEXT);
    const series = collectStates(m, ids, [0, 1], 5);
    const H = m.config.hiddenSize;
    const final = noGrad(() => m.apply({ data: ids, shape: [ids.length, 1] }).state);
    for (const s of series) {
      const lastStep = s.values.subarray((ids.length - 1) * H);
      const expected = (s.kind === 'h' ? final.h : final.c!).data.subarray(s.layer * H, (s.layer + 1) * H);
      assert.ok(maxDifference(lastStep, expected) < 1e-6, `layer ${s.layer} ${s.kind}`);
    }
  });

  test('a chosen layer alone', () => {
    const m = model('gru', 3);
    const series = collectStates(m, vocab.encode(TEXT), [2]);
    assert.deepEqual(series.map((s) => `${s.layer}${s.kind}`), ['2h']);
    assert.ok(maxDifference(series[0]!.values, ownOutput(m, TEXT)) < 1e-6);
  });
});

describe('text features', () => {
  test('a known string', () => {
    const chars = Array.from('a "b(c)" 9\nxy”');
    const f = Object.fromEntries(textFeatures(chars).map((x) => [x.name, [...x.values]]));
    //                      a  ␠  "  b  (  c  )  "  ␠  9  ⏎  x  y  ”
    assert.deepEqual(f.inQuotes, [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(f.inParentheses, [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(f.linePosition, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3]);
    assert.deepEqual(f.wordPosition, [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 2, 0]);
    assert.deepEqual(f.newline, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    assert.deepEqual(f.space, [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(f.vowel, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(f.digit, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  test('curly quotes open and close; a newline closes a quote; an unmatched ) is ignored', () => {
    const f = Object.fromEntries(textFeatures(Array.from('“a” "b\nc) (d')).map((x) => [x.name, [...x.values]]));
    //                       “  a  ”  ␠  "  b  ⏎  c  )  ␠  (  d
    assert.deepEqual(f.inQuotes, [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(f.inParentheses, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });
});

describe('correlation', () => {
  test("a unit equal to a feature, or an affine function of it, has r = ±1; a known r; constant series give NaN", () => {
    const feature = textFeatures(Array.from(TEXT)).find((f) => f.name === 'linePosition')!.values;
    assert.ok(Math.abs(pearson(feature, feature) - 1) < 1e-12);
    assert.ok(Math.abs(pearson(feature, feature.map((v) => 3 - 0.5 * v)) + 1) < 1e-12);
    assert.ok(Math.abs(pearson([1, 2, 3], [1, 2, 4]) - 3 / Math.sqrt(2 * 42 / 9)) < 1e-12);
    assert.ok(Number.isNaN(pearson([1, 2, 3], [5, 5, 5])));
    assert.ok(Number.isNaN(pearson([0, 0, 0], [1, 2, 3])));
    // columns of a (T, 3) matrix: the feature, its negative, noise
    const T = feature.length;
    const values = new Float64Array(T * 3);
    for (let t = 0; t < T; t++) values.set([feature[t]!, -2 * feature[t]!, Math.sin(t)], t * 3);
    const r = correlations(feature, values, T, 3);
    assert.ok(Math.abs(r[0]! - 1) < 1e-12 && Math.abs(r[1]! + 1) < 1e-12, `r = ${[...r]}`);
    assert.ok(Math.abs(r[2]! - pearson(feature, Array.from({ length: T }, (_, t) => Math.sin(t)))) < 1e-12);
    assert.throws(() => correlations(feature, values, T, 2), /expected a feature of \d+ and values of \d+×2/);
  });

  test('a model built so that unit 0 follows spaces and unit 1 vowels: those units rank first with r = 1', () => {
    // Elman tanh, no recurrence: h_t = tanh(W_ih e(x_t) + b), e = [is space, is vowel]
    const m = new CharLM({ cell: 'rnn_tanh', vocabSize: vocab.size, embeddingSize: 2, hiddenSize: 3, numLayers: 1, dropout: 0, seed: 1 }, jsBackend);
    for (const name of m.params.names()) m.params.value(name).data.fill(0);
    const embedding = m.params.value('embedding.weight').data;
    vocab.chars.forEach((c, id) => {
      embedding[id * 2] = c === ' ' ? 1 : 0;
      embedding[id * 2 + 1] = 'aeiouAEIOU'.includes(c) ? 1 : 0;
    });
    m.params.value('rnn.weight_ih_l0').data.set([1.5, 0, 0, -0.8, 0.3, 0.3]); // unit 2 mixes both
    const result = cellsExperiment(m, vocab, TEXT, { top: 2 });
    const space = result.top.find((f) => f.feature === 'space')!;
    const vowel = result.top.find((f) => f.feature === 'vowel')!;
    assert.equal(unitLabel(space.top[0]!), 'l0.h[0]');
    assert.ok(Math.abs(space.top[0]!.r - 1) < 1e-6, `space r = ${space.top[0]!.r}`);
    assert.equal(unitLabel(vowel.top[0]!), 'l0.h[1]');
    assert.ok(Math.abs(vowel.top[0]!.r + 1) < 1e-6, `vowel r = ${vowel.top[0]!.r}`);
    assert.equal(unitLabel(vowel.top[1]!), 'l0.h[2]');
    assert.ok(Math.abs(vowel.top[1]!.r) < 0.99, 'the mixed unit follows vowels less closely');
    assert.equal(space.top.length, 2);
    // h = tanh(1.5) at every space: saturated there, and only there
    const spaces = Array.from(TEXT).filter((c) => c === ' ').length / Array.from(TEXT).length;
    assert.deepEqual(result.saturated.map((u) => [unitLabel(u), u.fraction]), [['l0.h[0]', spaces]]);
    assert.deepEqual([...shownValues(result, { layer: 0, kind: 'h', unit: 0 }, 4)], [0, 0, Math.fround(Math.tanh(1.5)), 0]);
  });

  test('a feature constant over the text lists no unit', () => {
    const result = cellsExperiment(model('lstm', 1), vocab, 'abba abba', {});
    const digit = result.top.find((f) => f.feature === 'digit')!;
    assert.equal(digit.constant, true);
    assert.equal(digit.top.length, 0);
    assert.equal(result.top.find((f) => f.feature === 'space')!.top.length, 5);
  });
});

describe('liveliest window', () => {
  test('the window where the values vary most', () => {
    assert.equal(liveliestWindow([0, 0, 0, 0, 1, -1, 1, 0, 0], 3), 4);
    assert.equal(liveliestWindow([5, 5, 5, 5], 3), 0);
    assert.equal(liveliestWindow([1, 2], 5), 0);
  });
});

describe('bad input', () => {
  const m = model('lstm', 2);
  test('empty text, text over the cap, unknown characters, a layer that does not exist', () => {
    assert.throws(() => cellsExperiment(m, vocab, ''), /^Error: cells: the text is empty$/);
    assert.throws(() => cellsExperiment(m, vocab, 'abcde', { maxCharacters: 4 }), /cells: the text has 5 characters, more than the 4 read at most/);
    assert.throws(() => cellsExperiment(m, vocab, 'hé'), /cells: text: 1 character\(s\) not in the model's vocabulary of \d+: "é"/);
    assert.throws(() => cellsExperiment(m, vocab, TEXT, { layers: [2] }), /cells: layer 2 does not exist; the model has layers 0 to 1/);
    assert.throws(() => cellsExperiment(m, vocab, TEXT, { top: 0 }), /cells: top must be a positive integer, got 0/);
  });
});
