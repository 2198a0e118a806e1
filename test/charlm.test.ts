/**
 * The character-LM library: a run interrupted by a checkpoint (save → load →
 * restore) continues bit-for-bit like the uninterrupted run; runTraining
 * refuses a resume that would not continue its checkpoint; a diverging run
 * never replaces a good checkpoint; and the loader checks every field and
 * every tensor of a checkpoint before allocating the model it describes.
 *
 * Tiny models on a small generated text, JavaScript kernels.
 */
import { after, describe, test } from 'node:test';
import { wordText } from './helpers.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsBackend } from '../src/backend/js.js';
import { CELL_TYPES } from '../src/cells/index.js';
import type { CharLMCheckpoint, DataInfo } from '../src/charlm/checkpoint.js';
import { loadCharLM, saveCharLM } from '../src/charlm/checkpoint-file.js';
import { fingerprint, splitText } from '../src/charlm/text.js';
import { CharLM, type CharLMConfig, parameterCount, parameterShapes } from '../src/charlm/model.js';
import { ResumeError } from '../src/charlm/resume.js';
import { runTraining, runTrainingAsync, type RunOptions } from '../src/charlm/run.js';
import { MAX_SAMPLE_LENGTH, sampleText } from '../src/charlm/sample.js';
import { CharLMTrainer, type TrainConfig } from '../src/charlm/trainer.js';
import { Vocabulary } from '../src/charlm/vocabulary.js';
import { CheckpointError } from '../src/io/checkpoint.js';
import { writeCheckpoint } from '../src/io/checkpoint-file.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { Random } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';

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
  {
    name: 'RNN (tanh) 2×16 with dropout 0.2, SGD with momentum',
    config: modelConfig('rnn_tanh', 2, 0.2),
    train: { seqLength: 16, batchSize: 4, optimizer: 'sgd', lr: 0.05, clip: 1, seed: 6 },
  },
  {
    name: 'RNN (relu) 1×16, AdamW',
    config: modelConfig('rnn_relu', 1, 0),
    train: { seqLength: 16, batchSize: 4, optimizer: 'adamw', lr: 0.005, clip: 5, seed: 7 },
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
    const b2 = await runTrainingAsync({ ...common, model: ck.model, budget: { steps: 6 }, checkpoint: pathB, resume: ck });
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

describe('every cell type, by the library-wide name', () => {
  test('parameterShapes and parameterCount (computed without allocating) match the model that is built', () => {
    for (const cell of CELL_TYPES) {
      const config = { ...modelConfig(cell, 2, 0), embeddingSize: 5, hiddenSize: 7 };
      const model = new CharLM(config, jsBackend);
      const built = Object.entries(model.params.stateDict()).map(([name, t]): [string, number[]] => [name, [...t.shape]]);
      assert.deepEqual(new Map(parameterShapes(config)), new Map(built), cell);
      assert.equal(parameterCount(config), model.params.size, cell);
    }
  });

  test("a checkpoint of an earlier version with cell 'rnn' loads as rnn_tanh with the same logits", () => {
    const t = trainer(modelConfig('rnn_tanh', 1, 0), { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 1 });
    steps(t, 2);
    const path = join(dir, 'new-rnn.safetensors');
    saveCharLM(path, t, vocab, data);
    const old = join(dir, 'old-rnn.safetensors');
    rewrite(path, old, (doc) => {
      doc.config.cell = 'rnn';
    });
    const ck = loadCharLM(old, jsBackend);
    assert.equal(ck.config.cell, 'rnn_tanh');
    assert.ok(bytesOf(ck.model.params.data).equals(bytesOf(t.model.params.data)));
  });

  test('sizes a parameter store cannot hold are refused by name, before allocating', () => {
    assert.throws(() => new CharLM({ ...modelConfig('lstm', 1, 0), hiddenSize: 1e9 }), /^Error: CharLM: this configuration has [\d,]+ parameters, more than one parameter store holds/);
    assert.throws(() => new CharLM({ ...modelConfig('lstm', 1, 0), seed: 2 ** 32 }), /CharLM: seed must be an integer in \[0, 4294967295\], got 4294967296/);
    assert.throws(() => new CharLM({ ...modelConfig('lstm', 1, 0), cell: 'rnn' as never }), /CharLM: cell must be one of rnn_tanh, rnn_relu, rnn_leaky_relu, lstm, gru, got rnn/);
  });
});

/** Rewrites a checkpoint's document (and tensors); without checksums unless asked, like a file edited by another program. */
function rewrite(from: string, to: string, edit: (doc: Record<string, any>, tensors: Map<string, Tensor>) => void, { checksums = false } = {}): void {
  const { tensors, metadata } = readSafetensors(from);
  const doc = JSON.parse(metadata.recurrent!) as Record<string, any>;
  edit(doc, tensors);
  if (checksums) {
    const { kind, version, ...meta } = doc;
    writeCheckpoint(to, { kind, version, meta, tensors });
  } else {
    writeSafetensors(to, tensors, { recurrent: JSON.stringify(doc) });
  }
}

/** Asserts `f` throws a CheckpointError whose message matches `pattern`. */
function refuses(f: () => unknown, pattern: RegExp, what: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `${what}: ${String(e)}`);
    assert.match(e.message, pattern, what);
    return true;
  });
}

describe('loading trusts nothing before it is checked', () => {
  const config = modelConfig('lstm', 2, 0);
  const t = trainer(config, { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 1 });
  steps(t, 2);
  t.record(Number.NaN, t.evaluate(undefined, { maxWindows: 1 }));
  const good = join(dir, 'good.safetensors');
  saveCharLM(good, t, vocab, { ...data, fingerprint: fingerprint(text), validationWindows: null, budget: { steps: 2 } });
  const edited = (name: string, edit: (doc: Record<string, any>, tensors: Map<string, Tensor>) => void, checksums = false): string => {
    const path = join(dir, name);
    rewrite(good, path, edit, { checksums });
    return path;
  };

  test('a history entry with a NaN train loss (saved as null) loads as NaN', () => {
    const ck = loadCharLM(good);
    assert.equal(ck.trainer.history.length, 1);
    assert.ok(Number.isNaN(ck.trainer.history[0]!.trainLoss));
    assert.ok(Number.isFinite(ck.trainer.history[0]!.validationLoss));
  });

  test('config sizes the tensors do not hold are refused from the header alone: numLayers 1e9, embeddingSize 1e6, hiddenSize 1e5', () => {
    refuses(() => loadCharLM(edited('layers.safetensors', (d) => {
      d.config.numLayers = 1e9;
    })), /weights do not fit the model: config\.numLayers 1000000000 needs 4,000,000,003 weight tensors, the file holds 11/, 'numLayers');
    refuses(() => loadCharLM(edited('embedding.safetensors', (d) => {
      d.config.embeddingSize = 1e6;
    })), /weights do not fit the model .*'embedding\.weight' has shape \[\d+, 8\], the config needs \[\d+, 1000000\]/, 'embeddingSize');
    refuses(() => loadCharLM(edited('hidden.safetensors', (d) => {
      d.config.hiddenSize = 1e5;
    })), /weights do not fit the model .*'rnn\.weight_ih_l0' has shape \[64, 8\], the config needs \[400000, 8\]/, 'hiddenSize');
    refuses(() => loadCharLM(edited('optsize.safetensors', (d) => {
      d.trainer.optimizer.size = 1e12;
    })), /trainer\.optimizer\.size is 1000000000000, but the model has \d+ parameters/, 'optimizer size');
  });

  test('20 000 unknown tensors: the message names ten and counts the rest', () => {
    const path = edited('many.safetensors', (_d, tensors) => {
      for (let i = 0; i < 20_000; i++) tensors.set(`junk.${i}`, { data: new Float32Array(0), shape: [0] });
    });
    assert.throws(() => loadCharLM(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /unexpected 'junk\.0', .*'junk\.\d+' and 19,990 more/);
      assert.ok(e.message.length < 1000, `${e.message.length} characters`);
      return true;
    });
  });

  test('flipped bytes: in a weight, the tensor is named; in the document, the document', () => {
    const bytes = readFileSync(good);
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    const names = [...readSafetensors(good).tensors.keys()].sort();
    assert.equal(names[0], 'decoder.bias', 'tensors are stored in name order');
    const flipped = Buffer.from(bytes);
    flipped[dataStart + 2]! ^= 0x10;
    writeFileSync(join(dir, 'flipped.safetensors'), flipped);
    refuses(() => loadCharLM(join(dir, 'flipped.safetensors')), /tensor 'decoder\.bias' is damaged/, 'weight');
    const doc = Buffer.from(bytes);
    const key = 'vocabulary\\":[\\"'; // inside the metadata string, quotes are escaped
    const at = doc.indexOf(key) + key.length;
    assert.ok(at >= key.length);
    doc[at] = doc[at] === 0x61 ? 0x62 : 0x61; // the first vocabulary character
    writeFileSync(join(dir, 'flipped-doc.safetensors'), doc);
    refuses(() => loadCharLM(join(dir, 'flipped-doc.safetensors')), /its metadata document is damaged/, 'document');
  });

  test('incomplete documents are refused naming the field', () => {
    const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
      ['batchSize', (d) => delete d.train.batchSize, /: train\.batchSize: missing$/],
      ['vocabulary', (d) => delete d.vocabulary, /: vocabulary: missing$/],
      ['history step', (d) => delete d.trainer.history[0].step, /: trainer\.history\[0\]\.step: missing$/],
      ['generator', (d) => {
        d.trainer.samplerRng.s = [1, 2, 3];
      }, /: trainer\.samplerRng\.s: expected an array of 4, got an array of 3$/],
      ['cell', (d) => {
        d.config.cell = 'transformer';
      }, /: config\.cell: expected one of rnn_tanh, rnn_relu, rnn_leaky_relu, lstm, gru \(or rnn\), got "transformer"$/],
      ['optimizer type', (d) => {
        d.trainer.optimizer.type = 'SGD';
      }, /trainer\.optimizer\.type is SGD, but train\.optimizer is adam/],
      ['vocabulary entry', (d) => {
        d.vocabulary[0] = 'ab';
      }, /vocabulary: Vocabulary: entry 0 \("ab"\) is not a single character/],
    ];
    for (const [name, edit, pattern] of cases) refuses(() => loadCharLM(edited(`doc-${name}.safetensors`, edit)), pattern, name);
    // A document nested 100 000 deep: refused before parsing, not a stack overflow.
    const deep = `{"kind":"recurrent.charlm","version":1,"config":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    writeSafetensors(join(dir, 'deep.safetensors'), readSafetensors(good).tensors, { recurrent: deep });
    refuses(() => loadCharLM(join(dir, 'deep.safetensors')), /: its metadata nests 100001 levels deep, more than the 16 allowed$/, 'deep');
  });

  test('every field deleted or replaced by a wrong value: a CheckpointError naming the file, never a TypeError or RangeError', () => {
    const doc = JSON.parse(readSafetensors(good).metadata.recurrent!) as Record<string, unknown>;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (path.length) paths.push(path);
      if (Array.isArray(v)) v.slice(0, 3).forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc, []);
    // Missing, null, the wrong type, out of range below and above.
    const replacements: unknown[] = [undefined, null, 'x', -1, 1e300];
    const path = join(dir, 'fuzz.safetensors');
    const { tensors } = readSafetensors(good);
    let refused = 0;
    let loaded = 0;
    for (const p of paths) {
      for (const r of replacements) {
        const copy = structuredClone(doc);
        let parent: any = copy;
        for (const k of p.slice(0, -1)) parent = parent[k];
        const last = p[p.length - 1]!;
        if (r === undefined) {
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
        } else {
          parent[last] = r;
        }
        writeFileSync(path, serializeSafetensors(tensors, { recurrent: JSON.stringify(copy) }));
        try {
          loadCharLM(path);
          loaded++;
        } catch (e) {
          assert.ok(e instanceof CheckpointError, `${p.join('.')} = ${JSON.stringify(r)}: ${String(e)}`);
          assert.match(e.message, /^checkpoint \(.*fuzz\.safetensors\): /);
          refused++;
        }
      }
    }
    assert.ok(refused > replacements.length * paths.length * 0.6, `${refused} refused, ${loaded} loaded of ${paths.length} fields`);
  });

  test('random byte flips, with and without checksums: every damaged file loads or is a CheckpointError', () => {
    const plain = edited('plain.safetensors', () => {});
    const rng = new Random(12);
    for (const [source, verified] of [[good, true], [plain, false]] as const) {
      const bytes = readFileSync(source);
      let refused = 0;
      for (let i = 0; i < 100; i++) {
        const copy = Buffer.from(bytes);
        const at = rng.int(copy.length);
        copy[at]! ^= 1 << rng.int(8);
        const path = join(dir, 'flip.safetensors');
        writeFileSync(path, copy);
        try {
          loadCharLM(path);
        } catch (e) {
          assert.ok(e instanceof CheckpointError, `byte ${at}: ${String(e)}`);
          refused++;
        }
      }
      // With checksums every flip in a tensor or the document is caught; only header padding and the like may pass.
      if (verified) assert.ok(refused >= 95, `${refused} of 100 flips refused with checksums`);
    }
  });
});

describe('runTraining({ resume }) refuses what the command line refuses', () => {
  const config = modelConfig('lstm', 1, 0);
  const train: TrainConfig = { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 0.01, clip: 5, seed: 9 };
  const textData: DataInfo = { source: 'generated', validationFraction: 0.1, fingerprint: fingerprint(text) };
  const base = (model: CharLM): RunOptions => ({ model, vocab, trainIds, validationIds, train, data: textData, budget: { steps: 3 }, validationWindows: 1, sampleLength: 0 });
  const path = join(dir, 'resume-rules.safetensors');
  runTraining({ ...base(new CharLM(config, jsBackend)), checkpoint: path });
  const original = readFileSync(path);
  const load = (): CharLMCheckpoint => loadCharLM(path, jsBackend);

  test('another model size, learning rate, validation cap or text; a spent budget: refused, the checkpoint byte-identical', () => {
    const other = makeText(120, 2);
    const cases: [string, () => RunOptions, RegExp][] = [
      ['hidden size', () => ({ ...base(new CharLM({ ...config, hiddenSize: 8 }, jsBackend)), resume: load(), budget: { steps: 5 } }), /config\.hiddenSize 16 \(this run: 8\)/],
      ['learning rate', () => ({ ...base(load().model), train: { ...train, lr: 0.02 }, resume: load(), budget: { steps: 5 } }), /train\.lr 0\.01 \(this run: 0\.02\)/],
      ['validation windows', () => ({ ...base(load().model), validationWindows: 2, resume: load(), budget: { steps: 5 } }), /data\.validationWindows 1 \(this run: 2\)/],
      ['same vocabulary, other text', () => ({ ...base(load().model), data: { ...textData, fingerprint: fingerprint(other) }, resume: load(), budget: { steps: 5 } }),
        /the text \([\d,]+ bytes, SHA-256 [0-9a-f]{12}…\) is not the one the checkpoint was trained on \(generated: [\d,]+ bytes/],
      ['budget spent', () => ({ ...base(load().model), resume: load() }), /the run is already complete \(step 3, .* budget 3 steps\); nothing was changed/],
    ];
    assert.deepEqual(Vocabulary.fromText(other).chars, vocab.chars, 'the other text has the same vocabulary');
    for (const [name, options, pattern] of cases) {
      assert.throws(() => runTraining({ ...options(), checkpoint: path }), (e: unknown) => e instanceof ResumeError && pattern.test(e.message), name);
      assert.ok(readFileSync(path).equals(original), `${name}: checkpoint unchanged`);
    }
    const ok = runTraining({ ...base(load().model), resume: load(), budget: { steps: 4 }, checkpoint: path });
    assert.equal(ok.trainer.step, 4);
    assert.deepEqual(load().data.validationWindows, 1, 'the validation cap is recorded');
  });

  test('a second run on the same checkpoint in this process is refused while the first holds the lock', async () => {
    let second: Error | null = null;
    await runTrainingAsync({ ...base(new CharLM(config, jsBackend)), checkpoint: join(dir, 'locked.safetensors'), budget: { steps: 2 } }, {
      onStep: () => {
        if (second) return;
        try {
          runTraining({ ...base(new CharLM(config, jsBackend)), checkpoint: join(dir, 'locked.safetensors') });
        } catch (e) {
          second = e as Error;
        }
      },
    });
    assert.match(String(second), /train: .*locked\.safetensors is in use by another run in this process/);
  });
});

describe('bounds', () => {
  test('sampleText refuses a length beyond its bound instead of streaming forever', () => {
    const model = new CharLM(modelConfig('gru', 1, 0), jsBackend);
    assert.throws(() => sampleText(model, vocab, { length: MAX_SAMPLE_LENGTH + 1 }), /sample: length must be an integer in \[0, 1000000\], got 1000001/);
  });

  test('an update that overflows float32 (SGD, lr 1e308) stops at the step that did it, naming the parameter', () => {
    const t = trainer(modelConfig('lstm', 1, 0), { seqLength: 16, batchSize: 4, optimizer: 'sgd', lr: 1e308, clip: 0, seed: 2 });
    assert.throws(() => t.trainStep(), /^Error: train: the update of step 1 made '[\w.]+' -?Infinity \(the learning rate 1e\+308 is too large\)/);
    assert.equal(t.step, 0);
  });
});
