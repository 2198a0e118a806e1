/**
 * The character-LM library: a run interrupted by a checkpoint (save → load →
 * restore) continues bit-for-bit like the uninterrupted run, and a diverging
 * run never replaces a good checkpoint.
 *
 * Tiny models on a small generated text, JavaScript kernels.
 */
import { after, describe, test } from 'node:test';
import { wordText } from './helpers.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsBackend } from '../src/backend/js.js';
import { loadCharLM, saveCharLM, type DataInfo } from '../src/charlm/checkpoint.js';
import { splitText } from '../src/charlm/corpus.js';
import { CharLM, type CharLMConfig } from '../src/charlm/model.js';
import { runTraining, runTrainingAsync } from '../src/charlm/run.js';
import { CharLMTrainer, type TrainConfig } from '../src/charlm/trainer.js';
import { Vocabulary } from '../src/charlm/vocabulary.js';
import { Random } from '../src/random.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-charlm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const makeText = (lines: number, seed = 1): string => wordText(lines, seed);

const text = makeText(120);
const vocab = Vocabulary.fromText(text);
const split = splitText(text, 0.1);
const trainIds = vocab.encode(split.train);
const validationIds = vocab.encode(split.validation);
const data: DataInfo = { source: 'generated', validationFraction: 0.1 };

function modelConfig(cell: CharLMConfig['cell'], numLayers: number, dropout: number): CharLMConfig {
  return { cell, vocabSize: vocab.size, embeddingSize: 8, hiddenSize: 16, numLayers, dropout, seed: 11 };
}

function trainer(config: CharLMConfig, train: TrainConfig): CharLMTrainer {
  return new CharLMTrainer(new CharLM(config, jsBackend), trainIds, validationIds, train);
}

/** The bytes of a float array, for bit-exact comparison. */
function bytesOf(a: Float32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function steps(t: CharLMTrainer, n: number): number[] {
  return Array.from({ length: n }, () => t.trainStep());
}

interface ResumeCase {
  name: string;
  config: CharLMConfig;
  train: TrainConfig;
}

const N = 8;
const K = 3;

const cases: ResumeCase[] = [
  {
    name: 'LSTM 2×16 with dropout 0.25, Adam',
    config: modelConfig('lstm', 2, 0.25),
    train: { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 3 },
  },
  {
    name: 'GRU 1×16, SGD with momentum (a buffer created by the first step)',
    config: modelConfig('gru', 1, 0),
    train: { seqLength: 16, batchSize: 4, optimizer: 'sgd', lr: 0.1, clip: 1, seed: 4 },
  },
  {
    name: 'GRU 2×16 with dropout 0.3, RMSprop',
    config: modelConfig('gru', 2, 0.3),
    train: { seqLength: 16, batchSize: 4, optimizer: 'rmsprop', lr: 0.005, clip: 5, seed: 5 },
  },
];

describe('resume through a checkpoint is exact', () => {
  for (const c of cases) {
    test(c.name, () => {
      // Uninterrupted: N steps.
      const straight = trainer(c.config, c.train);
      const expected = steps(straight, N);
      for (const l of expected) assert.ok(Number.isFinite(l) && l > 0, `loss ${l}`);
      assert.ok(expected[N - 1]! < expected[0]!, `training lowers the loss: ${expected[0]} → ${expected[N - 1]}`);

      // Interrupted: K steps, save, load, restore into a new trainer, N − K more.
      const first = trainer(c.config, c.train);
      const before = steps(first, K);
      assert.deepEqual(before, expected.slice(0, K));
      first.record(before[K - 1]!, first.evaluate(undefined, { maxWindows: 1 }));
      const path = join(dir, `${c.config.cell}-${c.train.optimizer}.safetensors`);
      saveCharLM(path, first, vocab, data);

      const ck = loadCharLM(path, jsBackend);
      assert.equal(ck.trainer.step, K);
      assert.equal(ck.trainer.tokens, K * c.train.seqLength * c.train.batchSize);
      assert.deepEqual(ck.config, c.config);
      assert.deepEqual(ck.train, c.train);
      assert.deepEqual(ck.vocab.chars, vocab.chars);
      assert.deepEqual(ck.trainer.history, first.history);
      assert.ok(bytesOf(ck.model.params.data).equals(bytesOf(first.model.params.data)), 'weights round-trip bit-exactly');

      const resumed = new CharLMTrainer(ck.model, trainIds, validationIds, ck.train);
      resumed.restore(ck.trainer);
      const after = steps(resumed, N - K);
      for (let i = 0; i < N - K; i++) {
        assert.ok(Object.is(after[i], expected[K + i]), `step ${K + i + 1}: resumed loss ${after[i]} !== uninterrupted ${expected[K + i]}`);
      }
      assert.equal(resumed.step, N);
      assert.equal(resumed.tokens, straight.tokens);
      assert.ok(bytesOf(resumed.model.params.data).equals(bytesOf(straight.model.params.data)), 'final weights are bit-identical');
      const o1 = resumed.optimizer.stateDict();
      const o2 = straight.optimizer.stateDict();
      assert.equal(o1.step, o2.step);
      assert.deepEqual(o1.buffers, o2.buffers);
      assert.deepEqual(resumed.snapshot().samplerRng, straight.snapshot().samplerRng);
      assert.deepEqual(resumed.snapshot().dropoutRng, straight.snapshot().dropoutRng);
    });
  }

  test('the dropout generator matters: resuming without its state gives other losses (the check above has teeth)', () => {
    const c = cases[0]!;
    const expected = steps(trainer(c.config, c.train), K + 2);
    const first = trainer(c.config, c.train);
    steps(first, K);
    const path = join(dir, 'no-dropout-state.safetensors');
    saveCharLM(path, first, vocab, data);
    const ck = loadCharLM(path, jsBackend);
    const resumed = new CharLMTrainer(ck.model, trainIds, validationIds, ck.train);
    resumed.restore({ ...ck.trainer, dropoutRng: new Random(c.config.seed + 1).getState() });
    const after = steps(resumed, 2);
    assert.notEqual(after[0], expected[K]);
    // With the saved state, the same step matches.
    const ck2 = loadCharLM(path, jsBackend);
    const resumed2 = new CharLMTrainer(ck2.model, trainIds, validationIds, ck2.train);
    resumed2.restore(ck2.trainer);
    assert.equal(resumed2.trainStep(), expected[K]);
  });
});

describe('runTraining', () => {
  const config = modelConfig('lstm', 1, 0.1);
  const train: TrainConfig = { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 9 };
  const common = { vocab, trainIds, validationIds, train, data, validationWindows: 1, sampleLength: 0 };

  test('the synchronous and asynchronous loops give the same weights; a run in two budgets equals one', async () => {
    const a = runTraining({ ...common, model: new CharLM(config, jsBackend), budget: { steps: 6 } });
    const pathB = join(dir, 'run-b.safetensors');
    const b1 = await runTrainingAsync({ ...common, model: new CharLM(config, jsBackend), budget: { steps: 2 }, checkpoint: pathB });
    assert.equal(b1.trainer.step, 2);
    assert.equal(b1.stoppedEarly, false);
    const ck = loadCharLM(pathB, jsBackend);
    assert.equal(ck.trainer.step, 2);
    assert.equal(ck.trainer.history.length, 1, 'the end of a run is validated and recorded');
    const b2 = await runTrainingAsync({ ...common, model: ck.model, budget: { steps: 6 }, checkpoint: pathB, resume: ck.trainer });
    assert.equal(a.trainer.step, 6);
    assert.equal(b2.trainer.step, 6);
    assert.ok(bytesOf(b2.trainer.model.params.data).equals(bytesOf(a.trainer.model.params.data)));
    assert.ok(Object.is(b2.validationLoss, a.validationLoss), `${b2.validationLoss} vs ${a.validationLoss}`);
    const final = loadCharLM(pathB, jsBackend);
    assert.equal(final.trainer.step, 6);
    assert.deepEqual(final.trainer.history.map((h) => h.step), [2, 6]);
    assert.ok(Object.is(final.trainer.history[1]!.validationLoss, a.validationLoss));
  });

  test('shouldStop ends the run early and still writes the checkpoint', async () => {
    const path = join(dir, 'stop.safetensors');
    let polls = 0;
    const r = await runTrainingAsync({ ...common, model: new CharLM(config, jsBackend), budget: { steps: 1000 }, checkpoint: path, shouldStop: () => ++polls > 4 });
    assert.equal(r.stoppedEarly, true);
    assert.equal(r.trainer.step, 4);
    assert.ok(Number.isNaN(r.validationLoss), 'no validation was run');
    assert.equal(loadCharLM(path).trainer.step, 4);
  });

  test('a budget is required', () => {
    assert.throws(() => runTraining({ ...common, model: new CharLM(config, jsBackend), budget: {} }), /train: give a time budget or a number of steps/);
  });
});

describe('a diverging run keeps the previous checkpoint', () => {
  const config = modelConfig('lstm', 1, 0);
  const train: TrainConfig = { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 2 };

  test('a NaN parameter: the step is named, nothing is updated, and the checkpoint cannot be overwritten', () => {
    const t = trainer(config, train);
    steps(t, 3);
    const path = join(dir, 'nan.safetensors');
    saveCharLM(path, t, vocab, data);
    const good = readFileSync(path);
    t.model.params.stateDict()['decoder.bias']!.data[2] = Number.NaN;
    const weights = Float32Array.from(t.model.params.data);
    assert.throws(() => t.trainStep(), /train: the loss became NaN at step 4; stopping before the parameters are updated/);
    assert.equal(t.step, 3);
    assert.ok(bytesOf(t.model.params.data).equals(bytesOf(weights)), 'no parameter changed');
    assert.throws(() => saveCharLM(path, t, vocab, data), /not written, '.+' holds NaN at index \d+; the previous checkpoint is kept/);
    assert.ok(readFileSync(path).equals(good), 'checkpoint byte-identical');
    assert.equal(loadCharLM(path).trainer.step, 3);
  });

  for (const clip of [0, 1]) {
    test(`a non-finite gradient (clip ${clip}) stops the step before any parameter changes, naming the step`, () => {
      const t = trainer(config, { ...train, clip });
      steps(t, 2);
      const weights = Float32Array.from(t.model.params.data);
      const zeroGrad = t.optimizer.zeroGrad.bind(t.optimizer);
      t.optimizer.zeroGrad = () => {
        zeroGrad();
        t.model.params.grad[7] = Number.POSITIVE_INFINITY;
      };
      assert.throws(() => t.trainStep(), /train: the gradient norm became (Infinity|NaN) at step 3; stopping before the parameters are updated/);
      assert.equal(t.step, 2);
      assert.ok(bytesOf(t.model.params.data).equals(bytesOf(weights)), 'no parameter changed');
    });
  }

  test('lr 1e38 with SGD: runTraining stops at a named step and the checkpoint at the same path is untouched', () => {
    const path = join(dir, 'diverge.safetensors');
    runTraining({ model: new CharLM(config, jsBackend), vocab, trainIds, validationIds, train, data, budget: { steps: 2 }, checkpoint: path, validationWindows: 1, sampleLength: 0 });
    const good = readFileSync(path);
    let err: Error | undefined;
    try {
      runTraining({
        model: new CharLM(config, jsBackend), vocab, trainIds, validationIds, data, budget: { steps: 50 }, checkpoint: path,
        validationWindows: 1, sampleLength: 0,
        train: { ...train, optimizer: 'sgd', lr: 1e38, clip: 0 },
      });
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err, 'the run must fail');
    assert.match(err.message, /^train: the (loss|gradient norm) became (NaN|Infinity) at step \d+; stopping before the parameters are updated/);
    assert.ok(readFileSync(path).equals(good), 'previous checkpoint byte-identical');
    assert.equal(loadCharLM(path).trainer.step, 2);
  });
});
