/**
 * The browser entries from Node: each holds exactly the API of its Node
 * entry but the Node-only names the README lists under "In a browser"
 * (and those are in `recurrent/node`, the same functions); and checkpoints
 * the Node API writes — a Sequential model, a character LM, a translation
 * run — load from their bytes through the browser entries with identical
 * weights, and serialise back to the bytes of the file.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as browser from '../src/browser.js';
import * as charlmBrowser from '../src/charlm/browser.js';
import * as charlm from '../src/charlm/index.js';
import * as full from '../src/index.js';
import { sha256 } from '../src/io/sha256.js';
import * as node from '../src/node.js';
import * as translateBrowser from '../src/seq2seq/browser.js';
import * as translate from '../src/seq2seq/index.js';
import type { Tensor } from '../src/tensor.js';
import { projectRoot } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-browser-entry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Entry → the Node-only names the README's "In a browser" table lists for it. */
function documentedNodeOnly(): Map<string, string[]> {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## In a browser\n');
  assert.ok(at >= 0, "README has a section '## In a browser'");
  const section = readme.slice(at + 1, readme.indexOf('\n## ', at + 1));
  const rows = new Map<string, string[]>();
  for (const m of section.matchAll(/^\| `(recurrent(?:\/\w+)?)` \| ([^|]*) \|/gm)) {
    rows.set(m[1] as string, [...(m[2] as string).matchAll(/`(\w+)`/g)].map((n) => n[1] as string));
  }
  return rows;
}

describe('the browser entries', () => {
  const documented = documentedNodeOnly();
  const pairs: [string, object, object][] = [['recurrent', full, browser], ['recurrent/charlm', charlm, charlmBrowser], ['recurrent/translate', translate, translateBrowser]];

  for (const [spec, nodeEntry, browserEntry] of pairs) {
    test(`${spec}: the Node entry's names but the documented Node-only ones, which recurrent/node has too`, () => {
      const inNode = Object.keys(nodeEntry);
      const inBrowser = Object.keys(browserEntry);
      assert.deepEqual(inBrowser.filter((n) => !inNode.includes(n)), [], 'nothing in the browser entry only');
      const nodeOnly = inNode.filter((n) => !inBrowser.includes(n)).sort();
      assert.deepEqual(nodeOnly, [...(documented.get(spec) ?? [])].sort(), 'Node-only names as documented');
      for (const name of inBrowser) assert.equal((browserEntry as Record<string, unknown>)[name], (nodeEntry as Record<string, unknown>)[name], `${name} is the same object`);
    });
  }

  test('recurrent/node holds the file functions of every Node entry', () => {
    const files = ['readSafetensors', 'writeSafetensors', 'saveModel', 'loadModel', 'saveCharLM', 'loadCharLM', 'loadCorpus', 'readTextFile', 'defaultCorpus', 'saveTranslator', 'loadTranslator', 'readTatoeba', 'tatoebaTask', 'loadTask'];
    const entries = [full, charlm, translate] as Record<string, unknown>[];
    for (const name of files) {
      const here = (node as Record<string, unknown>)[name];
      assert.equal(typeof here, 'function', name);
      assert.ok(entries.some((e) => e[name] === here), `${name} is the function a Node entry exports`);
    }
  });
});

/** Every tensor of `b` equals `a`'s, value for value. */
function assertSameTensors(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const [name, t] of Object.entries(a)) {
    assert.deepEqual(b[name]!.shape, t.shape, name);
    assert.deepEqual(Array.from(b[name]!.data), Array.from(t.data), name);
  }
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.length, expected.length, 'length');
  const first = actual.findIndex((v, i) => v !== expected[i]);
  assert.equal(first, -1, `first differing byte at ${first}`);
}

describe('checkpoints the Node API writes, through the bytes API', () => {
  test('a Sequential model: parseModel gives its weights, serializeModel the file', () => {
    const model = new browser.Sequential([{ type: 'gru', inputSize: 2, hiddenSize: 3 }, { type: 'takeLast' }, { type: 'linear', outFeatures: 2 }], { seed: 3 });
    const path = join(dir, 'model.safetensors');
    full.saveModel(model, path);
    const file = new Uint8Array(readFileSync(path));
    assertSameTensors(model.stateDict(), browser.parseModel(file).stateDict());
    assertSameBytes(browser.serializeModel(model), file);
  });

  test('a character LM after two steps: parseCharLM gives its weights; rebuilt from them, serializeCharLM gives the file', () => {
    const text = 'to be, or not to be, that is the question. '.repeat(20);
    const vocab = charlmBrowser.Vocabulary.fromText(text);
    const ids = vocab.encode(text);
    const cut = Math.floor(ids.length * 0.9);
    const model = new charlmBrowser.CharLM({ cell: 'lstm', vocabSize: vocab.size, embeddingSize: 8, hiddenSize: 16, numLayers: 1, dropout: 0, seed: 1 });
    const trainer = new charlmBrowser.CharLMTrainer(model, ids.subarray(0, cut), ids.subarray(cut), { seqLength: 16, batchSize: 4, optimizer: 'adam', lr: 1e-2, clip: 5, seed: 1 });
    trainer.trainStep();
    trainer.trainStep();
    const path = join(dir, 'charlm.safetensors');
    charlm.saveCharLM(path, trainer, vocab, { source: 'hamlet', validationFraction: 0.1 });
    const file = new Uint8Array(readFileSync(path));

    const loaded = charlmBrowser.parseCharLM(file);
    assertSameTensors(model.params.stateDict(), loaded.model.params.stateDict());
    assert.equal(loaded.trainer.step, 2);
    const again = new charlmBrowser.CharLMTrainer(loaded.model, ids.subarray(0, cut), ids.subarray(cut), loaded.train);
    again.restore(loaded.trainer);
    assertSameBytes(charlmBrowser.serializeCharLM(again, loaded.vocab, loaded.data), file);
  });

  test('a translation run of two steps: parseTranslator gives its weights; rebuilt from them, serializeTranslator gives the file', async () => {
    const task = translateBrowser.datesTask({ kind: 'dates', train: 16, dev: 4, test: 4, seed: 7 });
    const model = new browser.Seq2Seq({ sourceVocabSize: task.sourceVocabulary.size, targetVocabSize: task.targetVocabulary.size, embeddingSize: 4, hiddenSize: 8, seed: 5 });
    const path = join(dir, 'translator.safetensors');
    const train = { ...translate.TRANSLATION_TRAIN_DEFAULTS, batchSize: 8, seed: 11 };
    await translate.runTranslationTraining({ model, task, train, budget: { steps: 2 }, checkpoint: path, validateEvery: 1e9 });
    const file = new Uint8Array(readFileSync(path));

    const loaded = translateBrowser.parseTranslator(file);
    assertSameTensors(model.stateDict(), loaded.model.stateDict());
    assert.equal(loaded.trainer.steps, 2);
    const { lr, clip, teacherForcing, seed } = loaded.train;
    const again = new browser.Seq2SeqTrainer(loaded.model, { lr, clip, teacherForcing, seed });
    again.restore(loaded.trainer);
    assertSameBytes(translateBrowser.serializeTranslator(again, loaded), file);
  });
});

test("the browser host's SHA-256 (TypeScript) equals node:crypto's, across block boundaries", () => {
  const lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100_003];
  for (const n of lengths) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 255);
    assert.equal(sha256(bytes), createHash('sha256').update(bytes).digest('hex'), `${n} bytes`);
  }
  assert.equal(sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'FIPS 180-2 example');
  assert.equal(sha256('héllo, 你好'), createHash('sha256').update('héllo, 你好', 'utf8').digest('hex'), 'strings as UTF-8');
});
