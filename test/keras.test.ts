/**
 * Keras / TensorFlow.js models loaded as Sequential: every model of
 * test/fixtures/keras.json (written by scripts/gen_keras_fixtures.mjs with
 * TensorFlow.js) gives the outputs `model.predict` gave, and bad files are
 * refused with errors that name the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromKerasModel } from '../src/interop/keras.js';
import { loadKerasModel } from '../src/interop/keras-file.js';
import type { Sequential } from '../src/models/sequential.js';
import * as browserEntry from '../src/browser.js';
import * as nodeEntry from '../src/node.js';
import { assertClose, type FixtureTensor, loadFixture, toTensor } from './helpers.js';

interface KerasCase {
  name: string;
  modelJson: { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
  weights: string;
  input: FixtureTensor;
  output: FixtureTensor;
}

const { models } = loadFixture<{ models: KerasCase[] }>('keras.json');
const byName = (name: string): KerasCase => models.find((m) => m.name === name) as KerasCase;
const bytes = (c: KerasCase): Uint8Array => new Uint8Array(Buffer.from(c.weights, 'base64'));
const copy = (c: KerasCase): KerasCase['modelJson'] => JSON.parse(JSON.stringify(c.modelJson)) as KerasCase['modelJson'];

function run(model: Sequential, c: KerasCase): Float32Array | Float64Array {
  const hasEmbedding = model.config.layers[0]?.type === 'embedding';
  const input = hasEmbedding ? { data: Int32Array.from(c.input.data), shape: c.input.shape } : toTensor(c.input, 'float32');
  return model.apply(input).value.data;
}

test('the entries export fromKerasModel (any host) and loadKerasModel (Node)', () => {
  assert.equal(browserEntry.fromKerasModel, fromKerasModel);
  assert.equal(nodeEntry.loadKerasModel, loadKerasModel);
  assert.equal('loadKerasModel' in browserEntry, false);
});

test('fixtures cover every supported layer', () => {
  const classes = new Set(models.flatMap((m) => m.modelJson.modelTopology.config.layers.flatMap((l) => [l.class_name, (l.config.layer as { class_name?: string } | undefined)?.class_name ?? ''])));
  for (const c of ['Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'Dense', 'Activation']) assert.ok(classes.has(c), c);
  const resetAfter = models.flatMap((m) => m.modelJson.modelTopology.config.layers.filter((l) => l.class_name === 'GRU').map((l) => l.config.reset_after));
  assert.ok(resetAfter.includes(true) && resetAfter.includes(false), 'GRU with reset_after true and false');
});

for (const c of models) {
  test(`Keras model ${c.name}: the library's forward gives the recorded outputs`, (t) => {
    const model = fromKerasModel(c.modelJson, bytes(c));
    assert.equal(model.training, false);
    const { maxAbs } = assertClose({ data: run(model, c), shape: c.output.shape }, c.output, 1e-5, c.name);
    t.diagnostic(`max |diff| ${maxAbs.toExponential(2)}`);
  });
}

test('loadKerasModel reads model.json and its weight file from a directory', () => {
  const c = byName('embedding_bilstm_softmax');
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-keras-'));
  try {
    writeFileSync(join(dir, 'model.json'), JSON.stringify(c.modelJson));
    writeFileSync(join(dir, c.modelJson.weightsManifest[0]?.paths[0] as string), bytes(c));
    const model = loadKerasModel(join(dir, 'model.json'));
    assertClose({ data: run(model, c), shape: c.output.shape }, c.output, 1e-5, 'from files');
    rmSync(join(dir, c.modelJson.weightsManifest[0]?.paths[0] as string));
    assert.throws(() => loadKerasModel(join(dir, 'model.json')), /group1-shard1of1\.bin: file not found/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(c.modelJson).slice(0, 100));
    assert.throws(() => loadKerasModel(join(dir, 'model.json')), /model\.json is not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad Keras models are refused with the problem named', () => {
  const c = byName('lstm_last_dense');
  const w = bytes(c);
  assert.throws(() => fromKerasModel(JSON.stringify(c.modelJson).slice(0, 200), w), /model\.json is not valid JSON/);
  assert.throws(() => fromKerasModel({ modelTopology: {} }, w), /modelTopology and weightsManifest/);

  const conv = copy(c);
  (conv.modelTopology.config.layers[1] as { class_name: string }).class_name = 'Conv1D';
  assert.throws(() => fromKerasModel(conv, w), /layer 1 'dense_Dense1' \(Conv1D\): layer class 'Conv1D' is not supported/);

  const hard = copy(c);
  (hard.modelTopology.config.layers[0] as { config: Record<string, unknown> }).config.recurrent_activation = 'hard_sigmoid';
  assert.throws(() => fromKerasModel(hard, w), /recurrent_activation 'hard_sigmoid' is not supported/);

  const shape = copy(c);
  const kernel = shape.weightsManifest[0]?.weights[0] as { shape: number[] };
  kernel.shape = [4, 12];
  assert.throws(() => fromKerasModel(shape, w), /weight 'lstm_LSTM1\/kernel' has shape \[4, 12\] but the layer needs \[3, 16\]/);

  const missing = copy(c);
  missing.weightsManifest[0]?.weights.splice(1, 1);
  assert.throws(() => fromKerasModel(missing, w.subarray(0, w.byteLength)), /describes \d+ bytes but the weight data has/);
  const missingWithBytes = copy(c);
  const dropped = missingWithBytes.weightsManifest[0]?.weights.splice(1, 1)[0] as { shape: number[] };
  const size = 4 * dropped.shape.reduce((a, d) => a * d, 1);
  const cut = new Uint8Array(w.byteLength - size);
  cut.set(w.subarray(0, 4 * 3 * 16));
  cut.set(w.subarray(4 * 3 * 16 + size), 4 * 3 * 16);
  assert.throws(() => fromKerasModel(missingWithBytes, cut), /missing weight 'lstm_LSTM1\/recurrent_kernel'/);

  assert.throws(() => fromKerasModel(c.modelJson, w.subarray(0, w.byteLength - 4)), /weight 'dense_Dense1\/bias' ends at byte \d+ but the weight data has \d+ bytes/);

  const sum = copy(byName('bi_simple_rnn_last'));
  (sum.modelTopology.config.layers[0] as { config: Record<string, unknown> }).config.merge_mode = 'sum';
  assert.throws(() => fromKerasModel(sum, bytes(byName('bi_simple_rnn_last'))), /merge_mode 'sum' is not supported/);

  const functional = copy(c) as unknown as { modelTopology: { class_name: string } };
  functional.modelTopology.class_name = 'Model';
  assert.throws(() => fromKerasModel(functional, w), /only Sequential models are supported, got model class 'Model'/);
});
