/**
 * `lab exploding` at test size: the default model (tanh RNN, H 32, W_hh = 2 ×
 * orthogonal, adding problem T = 50, SGD lr 0.05, c = 1) for 80 steps per run.
 * Without clipping the gradient norm grows until the loss overflows float32;
 * clipped by value or by global norm it stays billions of times smaller, and
 * the global-norm clip holds every update to γc. With W_hh = 1 × orthogonal
 * the same unclipped SGD does not explode. Fixed seed: every number is
 * reproducible; measured values are quoted beside the thresholds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSvg } from '../src/figures/render.js';
import { explodingExperiment, explodingFigure, type ExplodingResult, type ExplodingRun } from '../src/lab/exploding.js';
import { ok, spawnCollect } from './cli-harness.js';
import { parseXml, texts } from './xml.js';

const STEPS = 80;
const result: ExplodingResult = explodingExperiment({ steps: STEPS });
const run = (mode: ExplodingRun['mode']): ExplodingRun => result.runs.find((r) => r.mode === mode) as ExplodingRun;
const none = run('none');
const value = run('value');
const norm = run('norm');

test('lab exploding: W_hh = s × orthogonal has σ₁ = s; the three runs start alike', () => {
  console.log(`σ₁ ${result.sigma1}, n ${result.parameters}; step 0: loss ${none.loss[0]}, ‖g‖ ${none.gradNorm[0]}`);
  assert.equal(result.spectralRadius, 2);
  assert.ok(Math.abs(result.sigma1 - 2) < 1e-5, `σ₁ = ${result.sigma1}`);
  // Same weights and same first batch: the same loss and gradient norm at step 0, to the bit.
  for (const r of [value, norm]) {
    assert.equal(r.loss[0], none.loss[0]);
    assert.equal(r.gradNorm[0], none.gradNorm[0]);
  }
  assert.deepEqual(result.runs.map((r) => r.mode), ['none', 'value', 'norm']);
});

test('lab exploding: without clipping the gradient norm explodes and the run stops at a non-finite loss', () => {
  for (const r of result.runs) {
    console.log(`${r.mode}: ${r.loss.length} steps, stopped ${JSON.stringify(r.stopped)}, max ‖g‖ ${r.maxGradNorm.toExponential(3)}, max ‖Δθ‖ ${r.maxUpdateNorm.toExponential(3)}, last loss ${r.finalLoss.toPrecision(4)}`);
  }
  // Measured: no clipping stops at step 56 (the loss is Infinity) after ‖g‖ reached 1.4e20;
  // the clipped runs' largest norms are 2.6e3 (value) and 7.2e3 (norm), and they run all 80 steps.
  assert.ok(none.stopped !== null && none.stopped.step < STEPS, `no clipping stopped: ${JSON.stringify(none.stopped)}`);
  assert.match(none.stopped.reason, /loss is (Infinity|NaN)|gradient norm is/);
  assert.equal(none.loss.length, none.stopped.step);
  for (const r of [value, norm]) {
    assert.equal(r.stopped, null, `${r.mode} stopped`);
    assert.equal(r.loss.length, STEPS);
    assert.ok(none.maxGradNorm > 1e9 * r.maxGradNorm, `max ‖g‖: none ${none.maxGradNorm}, ${r.mode} ${r.maxGradNorm}`);
  }
});

test('lab exploding: with W_hh = 1 × orthogonal the same unclipped SGD does not explode', () => {
  const control = explodingExperiment({ scale: 1, steps: STEPS }).runs[0] as ExplodingRun;
  console.log(`scale 1, no clipping: ${control.loss.length} steps, max ‖g‖ ${control.maxGradNorm.toExponential(3)}, last loss ${control.finalLoss.toPrecision(4)}`);
  // Measured: max ‖g‖ 7.75, all 80 steps, last loss 0.1452.
  assert.equal(control.mode, 'none');
  assert.equal(control.stopped, null);
  assert.ok(control.maxGradNorm < 100, `max ‖g‖ ${control.maxGradNorm}`);
  assert.ok(none.maxGradNorm > 1e9 * control.maxGradNorm);
});

test('lab exploding: clipping by global norm bounds every update by γc, clipping by value by γc√n', () => {
  const { lr, clip } = result.config;
  // ‖Δθ‖ is measured on the float32 weights: rounding θ − γg adds ~1e-7 relative
  // (measured: max ‖Δθ‖ = γc (1 + 3.0e-7); largest |‖Δθ‖ − γ min(‖g‖, c)| 3.3e-7 relative, 3.5e-8 without clipping).
  const slack = 1 + 1e-5;
  let clipped = 0;
  for (let i = 0; i < norm.updateNorm.length; i++) {
    const u = norm.updateNorm[i] as number;
    const g = norm.gradNorm[i] as number;
    assert.ok(u <= lr * clip * slack, `step ${i}: ‖Δθ‖ ${u} > γc ${lr * clip}`);
    // The update is γ times the clipped gradient: γc when clipped, γ‖g‖ otherwise.
    const expected = lr * Math.min(g, clip);
    assert.ok(Math.abs(u - expected) <= 1e-5 * expected, `step ${i}: ‖Δθ‖ ${u}, γ min(‖g‖, c) ${expected}`);
    if (g > clip) clipped++;
  }
  assert.equal(norm.clipStatistics.clipped, clipped);
  assert.equal(norm.clipRate, clipped / STEPS);
  assert.ok(value.maxUpdateNorm <= result.valueUpdateBound * slack, `value: ${value.maxUpdateNorm} > ${result.valueUpdateBound}`);
  // Without clipping the update is γ‖g‖ (measured: up to 7.0e18).
  for (let i = 0; i < none.updateNorm.length; i++) {
    const expected = lr * (none.gradNorm[i] as number);
    assert.ok(Math.abs((none.updateNorm[i] as number) - expected) <= 1e-5 * expected, `none, step ${i}`);
  }
});

test('lab exploding: options are checked', () => {
  assert.throws(() => explodingExperiment({ scale: 0 }), /explodingExperiment: scale must be a positive number, got 0/);
  assert.throws(() => explodingExperiment({ steps: 1.5 }), /explodingExperiment: steps must be an integer ≥ 1, got 1.5/);
  assert.throws(() => explodingExperiment({ clip: Number.NaN }), /explodingExperiment: clip must be a positive number, got NaN/);
  assert.throws(() => explodingExperiment({ scal: 3 } as never), /explodingExperiment: unknown option 'scal'/);
});

test('lab exploding: the figure has a line per mode in each panel, the stopped run named with its step', async () => {
  const spec = explodingFigure(result) as { concat: { data: { values: { series: string }[] } }[] };
  const names = spec.concat.map((panel) => [...new Set(panel.data.values.map((row) => row.series))]);
  assert.deepEqual(names[0], ['no clipping (non-finite at step 56)', 'clip by value', 'clip by global norm', 'threshold c = 1']);
  // The loss panel leaves out losses above 100; without clipping that is from step 4 on (measured).
  assert.deepEqual(names[1], ['no clipping (non-finite at step 56), above 100 from step 4', 'clip by value', 'clip by global norm', 'always answering 1 (MSE 1/6)']);
  const labels = texts(parseXml(await renderSvg(spec)));
  for (const name of [...(names[0] as string[]), ...(names[1] as string[])]) assert.ok(labels.includes(name), `'${name}' in the legend`);
});

test('recurrent lab exploding writes exploding.svg and exploding.json and prints the tables', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-exploding-'));
  try {
    const r = ok(await spawnCollect(['lab', 'exploding', '--steps', '40', '--length', '20', '--out', 'figs'], { cwd: dir }), 'lab exploding');
    assert.match(r.stdout, /^mode +steps +final loss +best loss +max ‖g‖ +clip rate +max ‖Δθ‖/m);
    assert.match(r.stdout, /^clip by global norm +40 /m);
    assert.match(r.stdout, /^ {2}no clipping +[▁▂▃▄▅▆▇█ ]+ +\d/m);
    const svg = readFileSync(join(dir, 'figs', 'exploding.svg'), 'utf8');
    assert.ok(svg.includes('<svg'));
    assert.equal(parseXml(svg).name, 'svg');
    const json = JSON.parse(readFileSync(join(dir, 'figs', 'exploding.json'), 'utf8')) as { config: { steps: number }; runs: { mode: string; loss: number[] }[] };
    assert.equal(json.config.steps, 40);
    assert.deepEqual(json.runs.map((run) => run.mode), ['none', 'value', 'norm']);
    assert.equal(json.runs[2]?.loss.length, 40);
    const j = ok(await spawnCollect(['lab', 'exploding', '--steps', '5', '--length', '10', '--json', '--out', 'figs'], { cwd: dir }), 'lab exploding --json');
    const parsed = JSON.parse(j.stdout) as { runs: unknown[]; files: string[] };
    assert.equal(parsed.runs.length, 3);
    assert.deepEqual(parsed.files, [join('figs', 'exploding.svg'), join('figs', 'exploding.json')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
