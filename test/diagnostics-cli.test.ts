/**
 * `recurrent train --diagnostics` and `recurrent info --plot`, run as a child
 * process: the JSON validation events carry the diagnostics the checkpoint
 * records, the text log shows them under each validation line, a resumed run
 * keeps recording them, and `info
 * --plot` draws a history (a character model's with or without diagnostics,
 * a translation model's) as an SVG with the expected series, or refuses a bad
 * path or a history too short to draw, writing nothing.
 *
 * Tiny models on generated text (and the built-in dates task) in a temporary
 * directory, JavaScript kernels.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import { failsCleanly, ok, type Result, spawnCollect } from './cli-harness.js';
import { wordText } from './helpers.js';

const TINY = ['--cell', 'lstm', '--layers', '2', '--hidden', '16', '--embedding', '8', '--batch', '4', '--seq-length', '16', '--backend', 'js', '--sample-length', '0', '--val-windows', '1'];
const OFTEN = ['--steps', '30', '--validate-every', '0.005'];

const dir = mkdtempSync(join(tmpdir(), 'recurrent-diagnostics-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);
const run = (args: string[]): Promise<Result> => spawnCollect(args, { cwd: dir, timeout: 30_000 });

const DATA = at('data.txt');
const DIAGNOSED = at('diagnosed.safetensors');
const PLAIN = at('plain.safetensors');
const ONCE = at('once.safetensors');
const DATES = at('dates.safetensors');
let events: Record<string, any>[] = [];
let text = '';

before(async () => {
  writeFileSync(DATA, wordText(140, 1));
  const [json, plain, textRun] = await Promise.all([
    run(['train', '--data', DATA, ...TINY, ...OFTEN, '--diagnostics', '--clip', '0.05', '--json', '--checkpoint', DIAGNOSED]),
    run(['train', '--data', DATA, ...TINY, ...OFTEN, '--checkpoint', PLAIN]),
    run(['train', '--data', DATA, ...TINY, '--steps', '4', '--diagnostics', '--clip', '0.01', '--checkpoint', ONCE]),
  ]);
  events = ok(json, 'train --diagnostics --json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  ok(plain, 'train');
  text = ok(textRun, 'train --diagnostics').stdout;
  ok(await run(['translate', 'train', '--hidden', '8', '--embedding', '4', '--batch', '16', '--backend', 'js', '--steps', '3', '--validate-every', '0.001', '--checkpoint', DATES]), 'translate train');
});

describe('train --diagnostics', () => {
  test('each JSON validation event carries the diagnostics its history entry records, over steps that add up to the run', () => {
    const validations = events.filter((e) => e.event === 'validation');
    const history = loadCharLM(DIAGNOSED).trainer.history;
    assert.ok(validations.length >= 3, `several validations (${validations.length})`);
    assert.deepEqual(validations.map((v) => v.diagnostics), JSON.parse(JSON.stringify(history.map((h) => h.diagnostics))));
    assert.equal(validations.reduce((s, v) => s + v.diagnostics.steps, 0), 30);
    for (const { diagnostics: d } of validations) {
      assert.deepEqual(Object.keys(d), ['steps', 'gradientNorm', 'clipRate', 'clipFactor', 'saturation', 'keepGate', 'gradientStartToEnd']);
      assert.ok(d.gradientNorm.mean > 0 && d.gradientNorm.max >= d.gradientNorm.mean, JSON.stringify(d.gradientNorm));
      assert.deepEqual(Object.keys(d.saturation), ['i', 'f', 'g', 'o']);
      for (const f of Object.values(d.saturation) as number[]) assert.ok(f >= 0 && f <= 1);
      assert.ok(d.keepGate > 0 && d.keepGate < 1 && d.gradientStartToEnd > 0);
    }
  });

  test('the text log shows them in two lines under each validation line; without the option, the events have none', async () => {
    assert.match(text, /^step 4 \([^)]*\): train [\d.]+ nats, validation [\d.]+ nats = [\d.]+ bits\/char\n {2}gradient norm [\d.e+-]+ mean, [\d.e+-]+ max; clipped 100% of steps, by ×0\.\d\d; ‖∂L\/∂h_0‖\/‖∂L\/∂h_15‖ [\d.]+\n {2}gates saturated i \d+% f \d+% g \d+% o \d+%; forget gate mean 0\.\d\d$/m);
    const plain = ok(await run(['train', '--data', DATA, ...TINY, '--steps', '2', '--json', '--checkpoint', at('plain-json.safetensors')]), 'train --json');
    const validation = plain.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>).find((e) => e.event === 'validation')!;
    assert.ok(!('diagnostics' in validation), 'no diagnostics key');
  });

  test('train --resume keeps recording them without the option', async () => {
    const resumed = at('resumed.safetensors');
    copyFileSync(ONCE, resumed);
    const r = ok(await run(['train', '--resume', '--steps', '6', '--json', '--checkpoint', resumed]), 'train --resume');
    const validation = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>).find((e) => e.event === 'validation')!;
    assert.equal(validation.step, 6);
    assert.equal(validation.diagnostics.steps, 2);
    assert.equal(validation.diagnostics.clipRate, 1);
  });
});

/** The text of every `<text>` element of an SVG document. */
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('info --plot', () => {
  test('a history with diagnostics: loss, gradient norm, clipping, gates and first/last gradient panels, with their series', async () => {
    const figure = at('diagnosed.svg');
    const r = ok(await run(['info', '--checkpoint', DIAGNOSED, '--plot', figure]), 'info --plot');
    assert.match(r.stdout, /^history: /m);
    assert.match(r.stdout, new RegExp(`^figure: ${figure}$`, 'm'));
    const svg = readFileSync(figure, 'utf8');
    assert.match(svg, /^<svg/);
    const labels = texts(svg);
    for (const name of ['loss', 'train (moving average)', 'validation', 'gradient norm before clipping', 'mean', 'max', 'clip threshold 0.05', 'clipping', 'steps clipped',
      'gates: fraction saturated', 'i (input)', 'f (forget)', 'g (candidate)', 'o (output)', 'forget gate: mean activation', 'first / last']) {
      assert.ok(labels.includes(name), `'${name}' in ${JSON.stringify(labels.filter((l) => /[a-z]/.test(l)))}`);
    }
  });

  test('a history without diagnostics: the loss panel only, in a directory made for it; --json prints JSON only', async () => {
    const figure = at('figures/plain.svg');
    const r = ok(await run(['info', '--checkpoint', PLAIN, '--plot', figure, '--json']), 'info --plot --json');
    assert.ok(Array.isArray((JSON.parse(r.stdout) as { history: unknown[] }).history));
    const labels = texts(readFileSync(figure, 'utf8'));
    assert.ok(labels.includes('train (moving average)') && labels.includes('validation'), JSON.stringify(labels));
    assert.ok(!labels.includes('gradient norm before clipping') && !labels.includes('i (input)'));
  });

  test('a translation history: training loss and dev scores', async () => {
    const figure = at('dates.svg');
    ok(await run(['info', '--checkpoint', DATES, '--plot', figure]), 'info --plot (translation)');
    const labels = texts(readFileSync(figure, 'utf8'));
    for (const name of ['training loss', 'train', 'dev score', 'BLEU', 'multi-reference BLEU', 'exact match %']) assert.ok(labels.includes(name), `'${name}' in ${JSON.stringify(labels)}`);
  });

  test('refuses a path that is not an .svg file, cannot be written, or names no checkpoint, writing nothing', async () => {
    mkdirSync(at('folder.svg'));
    const cases: [string[], RegExp, string][] = [
      [['--checkpoint', DIAGNOSED, '--plot', at('figure.png')], /^recurrent: info --plot: the figure is SVG; give a file name ending in \.svg \(got .*figure\.png\)$/, 'a .png name'],
      [['--checkpoint', DIAGNOSED, '--plot', at('folder.svg')], /^recurrent: info --plot: cannot write .*folder\.svg: it is a directory/, 'a directory'],
      [['--checkpoint', DIAGNOSED, '--plot', join(DATA, 'figure.svg')], /^recurrent: info --plot: cannot write .*data\.txt\/figure\.svg: .*data\.txt is not a directory$/, 'a path under a file'],
      [['--checkpoint', at('nothing.safetensors'), '--plot', at('nothing.svg')], /nothing\.safetensors/, 'no checkpoint'],
    ];
    const results = await Promise.all(cases.map(([args]) => run(['info', ...args])));
    cases.forEach(([, pattern, what], i) => {
      failsCleanly(results[i]!, pattern, what);
      assert.equal(results[i]!.stdout, '', `${what}: nothing printed`);
    });
    for (const name of ['figure.png', 'nothing.svg']) assert.ok(!existsSync(at(name)), `${name} not written`);
  });

  test('a history of one validation draws its points', async () => {
    ok(await run(['info', '--checkpoint', ONCE, '--plot', at('once.svg')]), 'info --plot (one validation)');
    const svg = readFileSync(at('once.svg'), 'utf8');
    assert.match(svg, /class="mark-symbol role-mark/, 'points are marked');
  });
});
