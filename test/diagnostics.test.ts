/**
 * Training diagnostics of the character model: what a trainer records equals
 * what the insight tools compute on their own for the same steps (the clip's
 * norm, ClipStatistics, gate statistics, ‖∂L/∂h_t‖); recording them changes
 * no number of the run; a run without them saves none; checkpoints keep them
 * and refuse malformed ones; a resumed run keeps recording them.
 *
 * Tiny models on a small generated text, JavaScript kernels.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsBackend } from '../src/backend/js.js';
import type { DataInfo } from '../src/charlm/checkpoint.js';
import { loadCharLM } from '../src/charlm/checkpoint-file.js';
import { splitText } from '../src/charlm/text.js';
import type { TrainingDiagnostics } from '../src/charlm/diagnostics.js';
import { CharLM, type CharLMConfig } from '../src/charlm/model.js';
import { runTraining, type RunOptions } from '../src/charlm/run.js';
import { CharLMTrainer, type TrainConfig } from '../src/charlm/trainer.js';
import { Vocabulary } from '../src/charlm/vocabulary.js';
import { gradientNorms, watch } from '../src/insight/index.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { Random } from '../src/random.js';
import { clipGradNorm } from '../src/train/clip.js';
import { crossEntropy } from '../src/train/loss.js';
import { wordText } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-diagnostics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = wordText(120, 1);
const vocab = Vocabulary.fromText(text);
const split = splitText(text, 0.1);
const trainIds = vocab.encode(split.train);
const validationIds = vocab.encode(split.validation);
const data: DataInfo = { source: 'generated', validationFraction: 0.1 };

const config = (cell: CharLMConfig['cell'], numLayers = 2): CharLMConfig =>
  ({ cell, vocabSize: vocab.size, embeddingSize: 8, hiddenSize: 16, numLayers, dropout: 0, seed: 5 });
const TRAIN: TrainConfig = { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 0.1, seed: 7 };

const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;

/** The first step of a trainer, computed here: the same batch, forward, backward and clip, watched. */
function firstStepByHand(c: CharLMConfig, train: TrainConfig) {
  const model = new CharLM(c, jsBackend);
  const { seqLength: T, batchSize: B } = train;
  const rng = new Random(train.seed);
  const inputs = new Int32Array(T * B);
  const targets = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const o = rng.int(trainIds.length - T);
    for (let t = 0; t < T; t++) {
      inputs[t * B + b] = trainIds[o + t]!;
      targets[t * B + b] = trainIds[o + t + 1]!;
    }
  }
  const probe = watch(model.rnn);
  model.train();
  const { logits } = model.apply({ data: inputs, shape: [T, B] });
  crossEntropy(logits, { data: targets, shape: [T, B] }, { backend: jsBackend }).backward();
  const global = gradientNorms(model).global;
  const norm = clipGradNorm(model.params, train.clip);
  return { global, norm, records: probe.records };
}

function firstStepDiagnostics(c: CharLMConfig, train: TrainConfig): TrainingDiagnostics {
  const trainer = new CharLMTrainer(new CharLM(c, jsBackend), trainIds, validationIds, train, { diagnostics: true });
  trainer.trainStep();
  return trainer.record(NaN, NaN).diagnostics!;
}

describe('diagnostics equal what the insight tools compute for the same step', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    test(`${cell} 2×16, clipped to 0.1: norm, clip, saturation per gate, keep gate, ‖∂L/∂h_0‖/‖∂L/∂h_T−1‖`, () => {
      const c = config(cell);
      const d = firstStepDiagnostics(c, TRAIN);
      const hand = firstStepByHand(c, TRAIN);
      assert.equal(d.steps, 1);
      assert.equal(d.gradientNorm.mean, hand.norm, 'the norm clipGradNorm returned');
      assert.equal(d.gradientNorm.max, hand.norm);
      assert.ok(Math.abs(hand.global - hand.norm) < 1e-5 * hand.norm, `gradientNorms ${hand.global} vs clipGradNorm ${hand.norm}`);
      assert.ok(hand.norm > TRAIN.clip, `the step is clipped (norm ${hand.norm})`);
      assert.equal(d.clipRate, 1);
      assert.equal(d.clipFactor, TRAIN.clip / (hand.norm + 1e-6));

      assert.equal(hand.records.length, 2, 'one scan per layer');
      const gates = cell === 'lstm' ? ['i', 'f', 'g', 'o'] : ['r', 'z', 'n'];
      assert.deepEqual(Object.keys(d.saturation), gates);
      for (const [k, gate] of gates.entries()) {
        const expected = hand.records.reduce((s, r) => s + mean(r.gates[k]!.saturated), 0) / hand.records.length;
        assert.ok(Math.abs(d.saturation[gate as 'i']! - expected) < 1e-12, `${gate}: ${d.saturation[gate as 'i']} vs ${expected}`);
        assert.ok(expected >= 0 && expected <= 1);
      }
      const keepMean = hand.records.reduce((s, r) => s + mean(r.gates[1]!.mean), 0) / hand.records.length; // f of i|f|g|o, z of r|z|n
      assert.ok(Math.abs(d.keepGate! - keepMean) < 1e-12, `keep gate ${d.keepGate} vs ${keepMean}`);
      assert.ok(keepMean > 0.3 && keepMean < 0.7, `a fresh gate is about half open: ${keepMean}`);

      const g = hand.records[0]!.gradH!;
      assert.equal(d.gradientStartToEnd, g[0]! / g[TRAIN.seqLength - 1]!);
      assert.ok(d.gradientStartToEnd > 0 && Number.isFinite(d.gradientStartToEnd));
    });
  }

  test('over three unclipped steps: mean and max of the norms, saturation averaged over the steps; the Elman cell has no gates', () => {
    for (const cell of ['lstm', 'rnn_tanh'] as const) {
      const train = { ...TRAIN, clip: 0 };
      const recorded = new CharLMTrainer(new CharLM(config(cell), jsBackend), trainIds, validationIds, train, { diagnostics: true });
      const plain = new CharLMTrainer(new CharLM(config(cell), jsBackend), trainIds, validationIds, train);
      const probe = watch(plain.model.rnn);
      const norms: number[] = [];
      let saturatedI = 0;
      let start = 0;
      let end = 0;
      for (let s = 0; s < 3; s++) {
        recorded.trainStep();
        plain.trainStep();
        norms.push(gradientNorms(plain.model).global); // no clip: the gradient stays as backward left it
        for (const r of probe.records) if (cell === 'lstm') saturatedI += mean(r.gates[0]!.saturated) / 6;
        start += probe.record('rnn', 0).gradH![0]!;
        end += probe.record('rnn', 0).gradH![train.seqLength - 1]!;
      }
      const d = recorded.record(NaN, NaN).diagnostics!;
      assert.equal(d.steps, 3);
      const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `${cell} ${what}: ${a} vs ${b}`);
      close(d.gradientNorm.mean, (norms[0]! + norms[1]! + norms[2]!) / 3, 'mean norm');
      close(d.gradientNorm.max, Math.max(...norms), 'max norm');
      assert.equal(d.clipRate, 0);
      assert.equal(d.clipFactor, 1);
      close(d.gradientStartToEnd, start / end, 'start/end gradient');
      if (cell === 'lstm') close(d.saturation.i!, saturatedI, 'i saturated');
      else {
        assert.deepEqual(d.saturation, {});
        assert.equal(d.keepGate, null);
      }
      assert.equal(recorded.record(NaN, NaN).diagnostics, undefined, 'an interval without a step has none');
    }
  });
});

function runOptions(model: CharLM, extra: Partial<RunOptions>): RunOptions {
  return {
    model, vocab, trainIds, validationIds, train: TRAIN, budget: { steps: 12 }, data,
    validateEvery: 1e-9, sampleLength: 0, validationWindows: 1, backend: jsBackend, ...extra,
  };
}

describe('diagnostics in runs and checkpoints', () => {
  test('recording them changes no number: the same weights, losses and history steps bit for bit', () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const a = runTraining(runOptions(new CharLM(config(cell), jsBackend), { diagnostics: true, checkpoint: join(dir, `${cell}-on.safetensors`) }));
      const b = runTraining(runOptions(new CharLM(config(cell), jsBackend), { checkpoint: join(dir, `${cell}-off.safetensors`) }));
      assert.ok(Object.is(a.validationLoss, b.validationLoss), `${cell}: final loss ${a.validationLoss} vs ${b.validationLoss}`);
      assert.ok(Buffer.from(a.trainer.model.params.data.buffer).equals(Buffer.from(b.trainer.model.params.data.buffer)), `${cell}: weights`);
      assert.deepEqual(a.trainer.history.map((h) => [h.step, h.trainLoss, h.validationLoss]), b.trainer.history.map((h) => [h.step, h.trainLoss, h.validationLoss]));
      assert.ok(a.trainer.history.length >= 3);
      assert.ok(a.trainer.history.every((h) => h.diagnostics && h.diagnostics.steps >= 1), `${cell}: every entry has diagnostics`);
      assert.equal(a.trainer.history.reduce((s, h) => s + h.diagnostics!.steps, 0), 12, 'the intervals cover every step');
      assert.ok(b.trainer.history.every((h) => !('diagnostics' in h)));

      const on = loadCharLM(join(dir, `${cell}-on.safetensors`));
      assert.equal(on.trainer.diagnostics, true);
      assert.deepEqual(on.trainer.history, a.trainer.history, 'saved and loaded as recorded');
      const off = loadCharLM(join(dir, `${cell}-off.safetensors`));
      assert.equal(off.trainer.diagnostics, undefined);
      const document = JSON.parse(readSafetensors(join(dir, `${cell}-off.safetensors`)).metadata.recurrent!) as Record<string, any>;
      assert.ok(!JSON.stringify(document).includes('diagnostics'), 'a run without diagnostics saves none');
    }
  });

  test('a resumed run keeps recording them without the option; a run that had none starts at the resume', () => {
    const path = join(dir, 'resume-on.safetensors');
    runTraining(runOptions(new CharLM(config('lstm'), jsBackend), { diagnostics: true, checkpoint: path, budget: { steps: 4 } }));
    const resumed = runTraining(runOptions(new CharLM(config('lstm'), jsBackend), { checkpoint: path, resume: loadCharLM(path) }));
    assert.ok(resumed.trainer.recordsDiagnostics);
    assert.ok(resumed.trainer.history.every((h) => h.diagnostics), 'every entry, before and after the resume');

    const plain = join(dir, 'resume-off.safetensors');
    runTraining(runOptions(new CharLM(config('lstm'), jsBackend), { checkpoint: plain, budget: { steps: 4 } }));
    const before = loadCharLM(plain).trainer.history.length;
    const started = runTraining(runOptions(new CharLM(config('lstm'), jsBackend), { diagnostics: true, checkpoint: plain, resume: loadCharLM(plain) }));
    const history = started.trainer.history;
    assert.ok(history.slice(0, before).every((h) => !h.diagnostics) && history.slice(before).every((h) => h.diagnostics));
    assert.ok(history.length > before);
    assert.equal(loadCharLM(plain).trainer.diagnostics, true);
  });

  test('malformed diagnostics in a checkpoint are refused, naming the field', () => {
    const path = join(dir, 'lstm-on.safetensors');
    const edits: [string, (d: any) => void, RegExp][] = [
      ['a saturation above 1', (d) => (d.trainer.history[0].diagnostics.saturation.f = 1.5), /trainer\.history\[0\]\.diagnostics\.saturation\["f"\]: /],
      ['an unknown gate', (d) => (d.trainer.history[0].diagnostics.saturation.q = 0.5), /saturation\["q"\]: expected a gate name/],
      ['no steps', (d) => (d.trainer.history[1].diagnostics.steps = 0), /trainer\.history\[1\]\.diagnostics\.steps: /],
      ['a flag that is not a boolean', (d) => (d.trainer.diagnostics = 'yes'), /trainer\.diagnostics: expected true or false/],
    ];
    for (const [what, edit, message] of edits) {
      const file = readSafetensors(path);
      const document = JSON.parse(file.metadata.recurrent!) as Record<string, any>;
      edit(document);
      const bad = join(dir, 'bad.safetensors');
      writeSafetensors(bad, file.tensors, { recurrent: JSON.stringify(document) }); // without checksums, as another program would
      assert.throws(() => loadCharLM(bad), message, what);
    }
  });
});
