/**
 * `recurrent lab cells`: the states collected over a text are the model's
 * own (chunked or not), the features of a known string are as defined,
 * Pearson's r is exact on constructed units, and the command writes a page
 * with one coloured span per character per unit and a table, or fails
 * cleanly on bad input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { noGrad } from '../src/autograd/variable.js';
import { jsBackend } from '../src/backend/js.js';
import { loadCharLM, saveCharLM } from '../src/charlm/checkpoint-file.js';
import { CharLM, type CharLMConfig } from '../src/charlm/model.js';
import { CharLMTrainer } from '../src/charlm/trainer.js';
import { Vocabulary } from '../src/charlm/vocabulary.js';
import { writeCheckpoint } from '../src/io/checkpoint-file.js';
import {
  cellsExperiment, type CellsSummary, collectStates, correlations, formatR, liveliestWindow, pearson, shownValues, textFeatures, unitLabel,
} from '../src/lab/cells.js';
import { Random } from '../src/random.js';
import { failsCleanly, ok, type Result, spawnCollect } from './cli-harness.js';

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

describe('recurrent lab cells', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-lab-cells-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => join(dir, name);
  const run = (args: string[]): Promise<Result> => spawnCollect(['lab', 'cells', '--backend', 'js', ...args], { cwd: dir, timeout: 30_000 });

  /** Lines of words, some quoted, some in parentheses, some with a number. */
  function prose(lines: number, seed: number): string {
    const rng = new Random(seed);
    const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'said', 'yes', 'no'];
    const phrase = (n: number): string => Array.from({ length: n }, () => words[rng.int(words.length)]).join(' ');
    return Array.from({ length: lines }, () => {
      const inner = phrase(2 + rng.int(3));
      const wrapped = rng.next() < 0.4 ? `"${inner}"` : rng.next() < 0.5 ? `(${inner})` : `${inner} ${rng.int(100)}`;
      return `${phrase(1 + rng.int(4))} ${wrapped} ${phrase(1 + rng.int(3))}.`;
    }).join('\n') + '\n';
  }

  const trainText = prose(200, 1);
  const heldOut = prose(12, 2);
  const textVocab = Vocabulary.fromText(trainText + heldOut);
  const CHECKPOINT = at('tiny.safetensors');
  const TEXT_FILE = at('held-out.txt');

  before(() => {
    const config: CharLMConfig = { cell: 'lstm', vocabSize: textVocab.size, embeddingSize: 8, hiddenSize: 12, numLayers: 2, dropout: 0, seed: 3 };
    const ids = textVocab.encode(trainText);
    const trainer = new CharLMTrainer(new CharLM(config, jsBackend), ids, ids.subarray(0, 64), { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 1 });
    for (let step = 0; step < 30; step++) trainer.trainStep();
    saveCharLM(CHECKPOINT, trainer, textVocab, { source: 'generated', validationFraction: 0.1 });
    writeFileSync(TEXT_FILE, heldOut);
  });

  test('writes a page with one coloured span per character per unit, the JSON, and prints the table and excerpts', async () => {
    const r = ok(await run(['--checkpoint', CHECKPOINT, '--text', TEXT_FILE, '--out', at('out'), '--page-chars', '150', '--top', '3']), 'lab cells');
    const json = JSON.parse(readFileSync(at('out/cells.json'), 'utf8')) as CellsSummary & { checkpoint: string };
    const characters = Array.from(heldOut);
    assert.equal(json.characters, characters.length);
    assert.deepEqual(json.layers, [0, 1]);
    assert.deepEqual(json.features.map((f) => f.name), ['inQuotes', 'inParentheses', 'linePosition', 'wordPosition', 'newline', 'space', 'vowel', 'digit']);
    assert.deepEqual(json.correlations.map((c) => `${c.layer}${c.kind}`), ['0h', '0c', '1h', '1c']);
    for (const f of json.features) {
      assert.equal(f.top.length, 3, f.name);
      const all = json.correlations.flatMap((c) => c.r[f.name]!.map(Math.abs));
      assert.equal(Math.abs(f.top[0]!.r), Math.max(...all), `${f.name}: the first unit has the largest |r|`);
    }

    // The same numbers in-process, from the checkpoint and the text.
    const { model, vocab: loaded } = loadCharLM(CHECKPOINT, jsBackend);
    const result = cellsExperiment(model, loaded, heldOut, { top: 3 });
    assert.deepEqual(json.features.map((f) => f.top.map((u) => [u.unit, u.r])), result.top.map((f) => f.top.map((u) => [unitLabel(u), u.r])));

    // The page: a section per distinct unit, the first 150 characters each as coloured spans titled with the shown value.
    const html = readFileSync(at('out/units.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">[\s\S]*<\/html>\n$/);
    const distinct = [...new Set(result.top.flatMap((f) => f.top.map(unitLabel)))];
    const sections = [...html.matchAll(/<section>\n<h2>([^<]*)<\/h2>[\s\S]*?<pre>([\s\S]*?)<\/pre>\n<\/section>/g)];
    assert.deepEqual(sections.map((s) => s[1]!.split(':')[0]), distinct);
    const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    const expectedText = characters.slice(0, 150).map((c) => (c === '\n' ? '↵' : c));
    for (const [k, s] of sections.entries()) {
      const spans = [...s[2]!.matchAll(/<span style="background:#[0-9a-f]{6}" title="(-?\d\.\d{3})">([^<]*)<\/span>/g)];
      assert.deepEqual(spans.map((m) => unescape(m[2]!)), expectedText, `${s[1]}: one span per character`);
      assert.equal(s[2]!.replace(/<span[^>]*>[^<]*<\/span>/g, '').replace(/\n/g, ''), '', `${s[1]}: nothing but spans`);
      const [, layer, kind, unit] = /^l(\d+)\.([hc])\[(\d+)\]/.exec(distinct[k]!)!;
      const values = shownValues(result, { layer: Number(layer), kind: kind as 'h' | 'c', unit: Number(unit) }, 150);
      assert.deepEqual(spans.map((m) => Number(m[1])), Array.from(values, (v) => Number(v.toFixed(3))), `${s[1]}: the shown values`);
    }

    // The terminal: the table (a row per feature, its best units with r), then an excerpt per feature.
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('feature'));
    assert.match(lines[header]!, /^feature\s+#1\s+#2\s+#3$/);
    json.features.forEach((f, i) => {
      assert.deepEqual(lines[header + 1 + i]!.split(/ {2,}/), [f.name, ...f.top.map((u) => `${u.unit} ${formatR(u.r)}`)]);
    });
    assert.match(r.stdout, /most often saturated \(\|shown value\| > 0\.9\): |saturated \(\|shown value\| > 0\.9\): none/);
    for (const f of json.features) assert.match(r.stdout, new RegExp(`^${f.top[0]!.unit.replace(/[[\].]/g, '\\$&')} ${formatR(f.top[0]!.r).replace('+', '\\+')}\\s+\\+ `, 'm'));
    assert.match(r.stdout, /^shades of \|value\|: ' ' 0 {2}░ 0\.25 {2}▒ 0\.5 {2}▓ 0\.75 {2}█ 1$/m);
    assert.match(r.stdout, /wrote .*units\.html, .*cells\.json\n$/);
    assert.match(r.stderr, /^lab cells: LSTM 2×12 \(.*tiny\.safetensors\) reading \d+ characters of .*held-out\.txt\n$/);
  });

  test('--layer 1 --json: only layer 1, one JSON object on stdout', async () => {
    const r = ok(await run(['--checkpoint', CHECKPOINT, '--text', TEXT_FILE, '--out', at('out1'), '--layer', '1', '--json']), 'lab cells --json');
    const j = JSON.parse(r.stdout) as CellsSummary & { files: string[] };
    assert.deepEqual(j.layers, [1]);
    assert.ok(j.features.every((f) => f.top.length === 5 && f.top.every((u) => u.layer === 1)));
    assert.equal(j.correlations, undefined);
    assert.deepEqual(j.files.map((f) => f.split('/').pop()), ['units.html', 'cells.json']);
    assert.ok(existsSync(at('out1/units.html')));
  });

  test('bad input: missing files, a text over --max-chars, an empty text, unknown characters, a layer or checkpoint of the wrong kind', async () => {
    writeFileSync(at('empty.txt'), '');
    writeFileSync(at('unknown.txt'), 'the @ sign\n');
    writeCheckpoint(at('translator.safetensors'), { kind: 'recurrent.translate', version: 1, tensors: new Map(), meta: {} });
    const cases: [string[], RegExp, string][] = [
      [['--checkpoint', at('none.safetensors'), '--text', TEXT_FILE], /none\.safetensors/, 'missing checkpoint'],
      [['--checkpoint', CHECKPOINT, '--text', at('none.txt')], /file not found: .*none\.txt/, 'missing text'],
      [['--checkpoint', CHECKPOINT, '--text', TEXT_FILE, '--max-chars', '100'], /lab cells: .*held-out\.txt has \d+ characters, more than --max-chars 100; pass a shorter text or a larger --max-chars$/, 'over the cap'],
      [['--checkpoint', CHECKPOINT, '--text', at('empty.txt')], /empty\.txt is empty/, 'empty text'],
      [['--checkpoint', CHECKPOINT, '--text', at('unknown.txt')], /lab cells: .*unknown\.txt: 1 character\(s\) not in the model's vocabulary of \d+: "@"$/, 'unknown characters'],
      [['--checkpoint', CHECKPOINT, '--text', TEXT_FILE, '--layer', '2'], /lab cells: --layer 2: the model has layers 0 to 1$/, 'no such layer'],
      [['--checkpoint', at('translator.safetensors'), '--text', TEXT_FILE], /holds 'recurrent\.translate', expected 'recurrent\.charlm': it is a translation model/, 'wrong kind'],
    ];
    for (const [args, pattern, what] of cases) failsCleanly(await run([...args, '--out', at('bad')]), pattern, what);
    assert.equal(existsSync(at('bad')), false, 'nothing written');
    const r = await run(['--checkpoint', CHECKPOINT, '--text', TEXT_FILE, '--layer', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /option '--layer <n>' argument 'x' is invalid\. expected all or a layer number from 0, got 'x'/);
  });
});
