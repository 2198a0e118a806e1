/**
 * saveModel / loadModel: a round trip gives identical predictions in both
 * precisions; the file is plain safetensors with PyTorch names; bad files
 * fail with a message naming the file and the problem, and a model that
 * cannot be saved leaves the previous file in place.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { fit } from '../src/models/fit.js';
import { loadModel, saveModel } from '../src/models/model-file.js';
import { predict } from '../src/models/predict.js';
import { Sequential } from '../src/models/sequential.js';
import type { LayerSpec } from '../src/models/layer-spec.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'recurrent-model-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const specs: LayerSpec[] = [
  { type: 'embedding', numEmbeddings: 7, embeddingDim: 4, paddingIdx: 0 },
  { type: 'lstm', hiddenSize: 5, numLayers: 2, bidirectional: true, dropout: 0.1, projSize: 3 },
  { type: 'takeLast' },
  { type: 'dropout', p: 0.2 },
  { type: 'linear', outFeatures: 6 },
  { type: 'activation', activation: 'relu' },
  { type: 'linear', outFeatures: 3 },
];
const inputs = [[1, 2, 3], [4, 5, 6, 1, 2], [6]];

describe('saveModel / loadModel', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`round trip of a trained ${dtype} model: same config, same weights, identical predictions`, () => {
      const model = new Sequential(specs, { dtype, seed: 5 });
      fit(model, { x: inputs, y: [0, 1, 2] }, { loss: 'crossEntropy', epochs: 3, lr: 0.05 });
      const path = join(dir, `model-${dtype}.safetensors`);
      saveModel(model, path);
      const loaded = loadModel(path);
      assert.deepEqual(loaded.config, model.config);
      assert.equal(loaded.dtype, dtype);
      assert.deepEqual(loaded.params.data, model.params.data);
      assert.deepEqual(predict(loaded, inputs), predict(model, inputs));
    });
  }

  test('the variants round trip: a GRU with resetAfter false and an LSTM with peepholes', () => {
    const variants: LayerSpec[] = [
      { type: 'gru', inputSize: 3, hiddenSize: 4, resetAfter: false },
      { type: 'lstm', hiddenSize: 3, bidirectional: true, peepholes: true },
      { type: 'takeLast' },
      { type: 'linear', outFeatures: 2 },
    ];
    const model = new Sequential(variants, { seed: 2 });
    const x = [[[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]], [[-1, 0, 1]]];
    fit(model, { x, y: [0, 1] }, { loss: 'crossEntropy', epochs: 2, lr: 0.05 });
    const path = join(dir, 'variants.safetensors');
    saveModel(model, path);
    const loaded = loadModel(path);
    assert.deepEqual(loaded.config.layers.map((l) => [l.type, 'resetAfter' in l ? l.resetAfter : null, 'peepholes' in l ? l.peepholes : null]), [
      ['gru', false, null], ['lstm', null, true], ['takeLast', null, null], ['linear', null, null],
    ]);
    assert.ok(loaded.params.names().includes('1.weight_peep_l0_reverse'));
    assert.deepEqual(loaded.params.data, model.params.data);
    assert.deepEqual(predict(loaded, x), predict(model, x));
    const plain = new Sequential([{ ...variants[0], resetAfter: true } as LayerSpec, ...variants.slice(1)], { seed: 2 });
    plain.params.data.set(loaded.params.data);
    assert.notDeepEqual(predict(plain, x), predict(loaded, x), 'resetAfter changes the outputs');
  });

  test('the file is safetensors with PyTorch nn.Sequential names and the config in its metadata', () => {
    const model = new Sequential(specs);
    const path = join(dir, 'plain.safetensors');
    saveModel(model, path);
    const { tensors, metadata } = readSafetensors(path);
    assert.deepEqual([...tensors.keys()].sort(), model.params.names().sort());
    assert.ok(tensors.has('1.weight_hr_l1_reverse') && tensors.has('6.bias'));
    const doc = JSON.parse(metadata.recurrent as string);
    assert.deepEqual([doc.kind, doc.version, doc.config.layers[1].inputSize], ['recurrent.sequential', 1, 4]);
  });

  test('non-finite weights are refused and the previous file stays', () => {
    const model = new Sequential(specs);
    const path = join(dir, 'keep.safetensors');
    saveModel(model, path);
    const good = readFileSync(path);
    model.params.data[3] = Number.NaN;
    assert.throws(() => saveModel(model, path), /saveModel \(.*keep\.safetensors\): not written, '0\.weight' holds NaN at index 3/);
    assert.deepEqual(readFileSync(path), good);
  });
});

describe('loadModel: bad files fail naming the file and the problem', () => {
  /** Writes the weights of a valid model with `edit` applied to its metadata document. */
  function withDocument(name: string, edit: (doc: Record<string, any>) => void, tensors = new Sequential(specs).stateDict()): string {
    const doc: Record<string, any> = { kind: 'recurrent.sequential', version: 1, config: structuredClone(new Sequential(specs).config) };
    edit(doc);
    const path = join(dir, name);
    writeSafetensors(path, tensors, { recurrent: JSON.stringify(doc) });
    return path;
  }

  test('missing, truncated, or not a model', () => {
    assert.throws(() => loadModel(join(dir, 'nope.safetensors')), /loadModel \(.*nope\.safetensors\): file not found/);
    const good = join(dir, 'good.safetensors');
    saveModel(new Sequential(specs), good);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, readFileSync(good).subarray(0, 100));
    assert.throws(() => loadModel(cut), /loadModel \(.*cut\.safetensors\): unreadable or corrupt: .*header length/);
    const bare = join(dir, 'bare.safetensors');
    writeSafetensors(bare, new Sequential(specs).stateDict());
    assert.throws(() => loadModel(bare), /loadModel \(.*bare\.safetensors\): a safetensors file, but not a saved model \(no 'recurrent' metadata\)/);
  });

  test('wrong kind or version', () => {
    assert.throws(() => loadModel(withDocument('kind.safetensors', (d) => (d.kind = 'recurrent.charlm'))), /holds 'recurrent\.charlm', expected 'recurrent\.sequential'/);
    assert.throws(() => loadModel(withDocument('version.safetensors', (d) => (d.version = 2))), /format version 2 is not supported/);
  });

  test('a bad config field is named', () => {
    assert.throws(() => loadModel(withDocument('size.safetensors', (d) => (d.config.layers[1].hiddenSize = -5))), /loadModel \(.*size\.safetensors\): config: layers\[1\]\.hiddenSize must be an integer ≥ 1, got -5/);
    assert.throws(() => loadModel(withDocument('dtype.safetensors', (d) => (d.config.dtype = 'int8'))), /config\.dtype must be 'float32' or 'float64', got 'int8'/);
    assert.throws(() => loadModel(withDocument('layers.safetensors', (d) => delete d.config.layers)), /config: layers must be a non-empty array of layer specs, got undefined/);
  });

  test('weights that do not fit the config are named', () => {
    const tensors = new Sequential(specs).stateDict();
    delete tensors['6.bias'];
    tensors['4.weight'] = { data: new Float32Array(12), shape: [6, 2] };
    assert.throws(() => loadModel(withDocument('weights.safetensors', () => undefined, tensors)),
      /loadModel \(.*weights\.safetensors\): the weights do not fit the configuration: .*missing keys: 6\.bias; '4\.weight' has shape \[6, 2\], expected \[6, 6\]/);
  });
});
