/**
 * `lab vanishing` at test size (T = 60, H = 32): the direction and size of
 * each effect the tutorial claims, the figure's series, and the command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vanishingExperiment, vanishingFigure, type VanishingCurve } from '../src/lab/vanishing.js';
import { renderSvg } from '../src/figures/render.js';
import { failsCleanly, ok, spawnCollect } from './cli-harness.js';
import { parseXml, texts } from './xml.js';

const result = vanishingExperiment({
  length: 60, hiddenSize: 32, batch: 4, seeds: [0, 1],
  configs: ['tanh', 'tanh-orthogonal', 'irnn', 'leaky-identity', 'lstm', 'lstm-forget-bias-1', 'gru'],
});
const curve = (name: string): VanishingCurve => result.curves.find((c) => c.config.name === name) as VanishingCurve;

test('the tanh RNN gradient 50 steps back is orders of magnitude below an LSTM with forget bias 1, and far below 1', () => {
  const tanh = curve('tanh').log10Ratio50;
  const lstm = curve('lstm-forget-bias-1').log10Ratio50;
  assert.ok(tanh < -10, `tanh: g(50)/g(0) = 1e${tanh.toFixed(1)}`);
  assert.ok(lstm - tanh > 5, `LSTM forget bias 1: 1e${lstm.toFixed(1)} vs tanh 1e${tanh.toFixed(1)}`);
});

test('decay per step: tanh ≈ 1/√3 (the spectral radius of its init); orthogonal W_hh slower; IRNN and leaky ReLU with identity W_hh near 1', () => {
  assert.ok(Math.abs(curve('tanh').rate - 0.55) < 0.07, `tanh ρ = ${curve('tanh').rate}`);
  assert.ok(curve('tanh-orthogonal').rate > 0.75 && curve('tanh-orthogonal').rate < 0.95, `orthogonal ρ = ${curve('tanh-orthogonal').rate}`);
  for (const name of ['irnn', 'leaky-identity']) assert.ok(curve(name).rate > 0.97 && curve(name).rate <= 1.0001, `${name} ρ = ${curve(name).rate}`);
  assert.ok(Math.abs(curve('irnn').sigma1 - 1) < 1e-6, 'identity W_hh has σ₁ = 1');
});

test("an LSTM's forget gate sets the decay of its cell-state gradient: bias 1 keeps it far longer; at PyTorch's default init it fades like a tanh RNN", () => {
  const plain = curve('lstm');
  const biased = curve('lstm-forget-bias-1');
  assert.ok((biased.cellStateRate as number) > (plain.cellStateRate as number) + 0.1, `ρ_c: ${biased.cellStateRate} vs ${plain.cellStateRate}`);
  assert.ok(Math.abs((plain.cellStateRate as number) - plain.rate) < 0.02, 'h and c decay alike');
  assert.ok(plain.rate < 0.7 && curve('gru').rate < 0.7, `default LSTM ${plain.rate}, GRU ${curve('gru').rate}`);
  assert.equal(curve('gru').log10C, null);
});

test('the figure: one series per configuration (with its ρ), and h beside c for the LSTMs', async () => {
  const root = parseXml(await renderSvg(vanishingFigure(result)));
  const labels = texts(root);
  for (const c of result.curves) assert.ok(labels.some((l) => l.startsWith(`${c.config.label}  ρ = `)), `${c.config.label} in the legend`);
  for (const series of ['LSTM: h', 'LSTM: c', 'LSTM, forget bias 1: h', 'LSTM, forget bias 1: c']) assert.ok(labels.includes(series), series);
});

test('recurrent lab vanishing writes vanishing.svg and vanishing.json and prints the table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-vanishing-'));
  try {
    const r = ok(await spawnCollect(['lab', 'vanishing', '--length', '30', '--hidden', '8', '--batch', '2', '--seeds', '2', '--configs', 'tanh,lstm', '--out', 'figs'], { cwd: dir }), 'lab vanishing');
    assert.match(r.stdout, /^tanh RNN +0\.\d{4} \(/m);
    assert.match(r.stdout, /LSTM cell state/);
    const svg = readFileSync(join(dir, 'figs', 'vanishing.svg'), 'utf8');
    assert.equal(parseXml(svg).name, 'svg');
    const json = JSON.parse(readFileSync(join(dir, 'figs', 'vanishing.json'), 'utf8')) as { configurations: { name: string; log10H: (number | null)[] }[] };
    assert.deepEqual(json.configurations.map((c) => c.name), ['tanh', 'lstm']);
    assert.equal(json.configurations[0]?.log10H.length, 30);
    failsCleanly(await spawnCollect(['lab', 'vanishing', '--configs', 'tanh,lsmt', '--out', 'x'], { cwd: dir }), /--configs: no configuration 'lsmt'/, 'unknown configuration');
    assert.ok(!existsSync(join(dir, 'x')), 'nothing written for a refused command');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
