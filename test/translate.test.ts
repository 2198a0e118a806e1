/**
 * Translation runs as a library: exact resume (the loss of every step and the
 * weights bit for bit, across an epoch boundary and teacher forcing < 1),
 * the best and last checkpoints, what a resume refuses, the checkpoint
 * document refused field by field, scoring (pair and multi-reference BLEU,
 * accuracy), the length limit, and the attention figures: the terminal
 * heatmap fits its width, the SVG is well-formed XML with one rect per cell.
 *
 * Tiny models (GRU 8, embedding 4) on a small date task, reference kernels.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../src/io/checkpoint.js';
import { serializeSafetensors } from '../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors-file.js';
import { corpusBleu } from '../src/seq2seq/bleu.js';
import { bestCheckpointPath, loadTranslator } from '../src/seq2seq/checkpoint-file.js';
import { evaluateTranslation } from '../src/seq2seq/evaluate.js';
import { checkSeq2SeqMemory, seq2seqParameterCount } from '../src/seq2seq/memory.js';
import { completeConfig, Seq2Seq } from '../src/seq2seq/model.js';
import type { TranslationPair } from '../src/seq2seq/pair.js';
import { encodeTrainingPairs, runTranslationTraining, type StepProgress, TRANSLATION_TRAIN_DEFAULTS, type TranslationTrainConfig } from '../src/seq2seq/run.js';
import { datesTask, type TranslationTask } from '../src/seq2seq/task.js';
import { attentionHeatmap } from '../src/cli/translate/heatmap.js';
import { displayWidth } from '../src/text-display.js';
import { attentionSpec, attentionSvg } from '../src/figures/attention.js';
import { find, parseXml, texts } from './xml.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-translate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 40 training pairs (5 batches of 8: an epoch boundary every 5 steps), 12 dev, 12 test. */
const task = datesTask({ kind: 'dates', train: 40, dev: 12, test: 12, seed: 7 });
const TRAIN: TranslationTrainConfig = { ...TRANSLATION_TRAIN_DEFAULTS, batchSize: 8, lr: 3e-3, teacherForcing: 0.5, seed: 11 };

function tinyModel(t: TranslationTask = task): Seq2Seq {
  return new Seq2Seq({ sourceVocabSize: t.sourceVocabulary.size, targetVocabSize: t.targetVocabulary.size, embeddingSize: 4, hiddenSize: 8, seed: 5 });
}

/** Trains `steps` steps (resuming `from` if given); returns every step's loss. */
async function train(steps: number, checkpoint: string, from?: string): Promise<number[]> {
  const losses: number[] = [];
  await runTranslationTraining(
    {
      model: tinyModel(), task, train: TRAIN, budget: { steps }, checkpoint, validateEvery: 1e9,
      ...(from ? { resume: loadTranslator(from) } : {}),
    },
    { onStep: (p: StepProgress) => losses.push(p.loss) },
  );
  return losses;
}

describe('a translation run', () => {
  test('resumed at step 3 and again at 7, it gives the losses and weights of an uninterrupted run, bit for bit', async () => {
    const straight = join(dir, 'straight.safetensors');
    const split = join(dir, 'split.safetensors');
    const whole = await train(12, straight);
    const parts = [...(await train(3, split)), ...(await train(7, split, split)), ...(await train(12, split, split))];
    assert.equal(whole.length, 12);
    assert.equal(parts.length, 12);
    whole.forEach((loss, i) => assert.ok(Object.is(parts[i], loss), `step ${i + 1}: ${parts[i]} vs ${loss}`));
    assert.ok((whole[11] as number) < (whole[0] as number), `the loss falls: ${whole[0]} → ${whole[11]}`);
    const a = readSafetensors(straight).tensors;
    const b = readSafetensors(split).tensors;
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    assert.ok(a.has('optimizer.expAvg') && a.has('decoder.attention.weight'));
    for (const [name, t] of a) assert.deepEqual(Array.from(b.get(name)!.data), Array.from(t.data), name);
    const [sa, sb] = [loadTranslator(straight), loadTranslator(split)];
    assert.deepEqual(sb.trainer.random, sa.trainer.random);
    assert.equal(sa.progress.epoch, 3, 'step 12 is in the third epoch of 5 batches');
    assert.deepEqual({ ...sb.progress, seconds: 0, best: null }, { ...sa.progress, seconds: 0, best: null });
    // Each run validates once at its end: 3 entries when split, one straight; the last two identical.
    assert.deepEqual(sb.history.map((h) => h.step), [3, 7, 12]);
    assert.deepEqual(sa.history.map((h) => h.step), [12]);
    assert.equal(sb.history[2]!.accuracy, sa.history[0]!.accuracy);
    assert.equal(sb.history[2]!.bleu, sa.history[0]!.bleu);
  });

  test('the best checkpoint is written beside the last one; a finished or altered run is refused, nothing changed', async () => {
    const ck = join(dir, 'best.safetensors');
    await train(4, ck);
    const best = bestCheckpointPath(ck);
    assert.equal(best, join(dir, 'best.best.safetensors'));
    assert.ok(existsSync(best));
    assert.equal(loadTranslator(best).progress.best?.step, 4);
    const saved = loadTranslator(ck);
    await assert.rejects(runTranslationTraining({ model: tinyModel(), task, train: TRAIN, budget: { steps: 4 }, resume: saved }), /resume: the run is already complete \(step 4/);
    await assert.rejects(
      runTranslationTraining({ model: tinyModel(), task, train: { ...TRAIN, lr: 0.1 }, budget: { steps: 9 }, resume: saved }),
      /resume: the checkpoint was trained with train\.lr 0\.003 \(this run: 0\.1\)/,
    );
    const other = datesTask({ kind: 'dates', train: 40, dev: 12, test: 12, seed: 8 });
    await assert.rejects(
      runTranslationTraining({ model: tinyModel(other), task: other, train: TRAIN, budget: { steps: 9 }, resume: saved }),
      /resume: the checkpoint was trained on the built-in dates task/,
    );
  });

  test('a training pair longer than maxLength is refused, naming it', () => {
    assert.throws(() => encodeTrainingPairs(task, 5), /train: training pair 1: the source sentence has \d+ tokens, more than the maximum length 5 \(--max-length\)/);
    assert.equal(encodeTrainingPairs(task, 50).length, 40);
  });
});

describe('the memory estimate', () => {
  test('the parameter count from the configuration is the model\'s, for every attention kind, cell, direction and depth', () => {
    for (const attention of ['none', 'dot', 'general', 'projected', 'bahdanau'] as const) {
      for (const cell of ['gru', 'lstm', 'rnn_tanh'] as const) {
        for (const bidirectional of attention === 'dot' ? [false] : [false, true]) {
          for (const numLayers of [1, 2]) {
            const config = { sourceVocabSize: 11, targetVocabSize: 9, embeddingSize: 3, hiddenSize: 4, attentionSize: 5, numLayers, cell, bidirectional, attention };
            const model = new Seq2Seq(config);
            assert.equal(seq2seqParameterCount(model.config), model.params.size, JSON.stringify(config));
          }
        }
      }
    }
  });

  test('a model beyond one store, or beyond the memory allowed, is refused before it is built', () => {
    const config = (hiddenSize: number) => completeConfig({ sourceVocabSize: 5, targetVocabSize: 5, embeddingSize: 1, hiddenSize });
    assert.throws(() => checkSeq2SeqMemory(config(100_000), { batchSize: 64, maxLength: 50 }, 1e12, true), /train: this model has 160,003,400,015 parameters, more than one parameter store holds \(4,294,967,296\)/);
    assert.throws(() => checkSeq2SeqMemory(config(2_000), { batchSize: 64, maxLength: 50 }, 1e9), /train: this model would need about 4\.66 GB of memory \(64,068,015 parameters\), more than the 1\.00 GB allowed; .*--force/);
    checkSeq2SeqMemory(config(2_000), { batchSize: 64, maxLength: 50 }, 1e9, true);
  });
});

describe('the checkpoint document', () => {
  test('every field deleted or replaced by a wrong value: a CheckpointError naming the file, never a TypeError or RangeError', async () => {
    const good = join(dir, 'doc.safetensors');
    await train(2, good);
    const { tensors, metadata } = readSafetensors(good);
    const doc = JSON.parse(metadata.recurrent!) as Record<string, unknown>;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (path.length) paths.push(path);
      if (Array.isArray(v)) v.slice(0, 2).forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc, []);
    const path = join(dir, 'fuzz.safetensors');
    let refused = 0;
    for (const p of paths) {
      for (const r of [undefined, -1, 1e300]) {
        const copy = structuredClone(doc);
        let parent: any = copy;
        for (const key of p.slice(0, -1)) parent = parent[key];
        const last = p[p.length - 1]!;
        if (r === undefined) delete parent[last];
        else parent[last] = r;
        writeFileSync(path, serializeSafetensors(tensors, { recurrent: JSON.stringify(copy) }));
        try {
          loadTranslator(path);
        } catch (e) {
          assert.ok(e instanceof CheckpointError, `${p.join('.')} = ${String(r)}: ${(e as Error).name}: ${(e as Error).message}`);
          assert.ok((e as Error).message.startsWith(`checkpoint (${path}): `), (e as Error).message);
          refused++;
        }
      }
    }
    assert.ok(paths.length > 60 && refused > paths.length * 2, `${refused} refusals over ${paths.length} fields`);
  });

  test('a document that claims a huge model is refused before anything is allocated', async () => {
    const good = join(dir, 'size.safetensors');
    await train(1, good);
    const { tensors, metadata } = readSafetensors(good);
    for (const [field, value, pattern] of [
      ['numLayers', 1e9, /no tensor 'encoder\.rnn\.weight_hh_l999999999'/],
      ['hiddenSize', 100_000, /'decoder\.output\.weight' has shape \[\d+, 8\], the config needs \[\d+, 100000\]/],
    ] as const) {
      const doc = JSON.parse(metadata.recurrent!) as { config: Record<string, number> };
      doc.config[field] = value;
      const path = join(dir, `${field}.safetensors`);
      writeSafetensors(path, tensors, { recurrent: JSON.stringify(doc) });
      assert.throws(() => loadTranslator(path), pattern);
    }
  });
});

describe('scoring', () => {
  test('BLEU per pair and per distinct source with all its references, and exact match, from one translation per source', () => {
    const model = tinyModel();
    const pairs: TranslationPair[] = [...task.dev.slice(0, 4), { ...task.dev[0]!, target: 'x', targetTokens: ['2', '0', '1', '年'] }];
    const scores = evaluateTranslation(model, pairs, { source: task.sourceVocabulary, target: task.targetVocabulary });
    assert.equal(scores.pairs, 5);
    assert.equal(scores.translations.length, 4, 'the repeated source is translated once');
    assert.equal(scores.translations[0]!.references.length, 2);
    const hyp = (p: TranslationPair): string[] => [...scores.translations.find((t) => t.pair.source === p.source)!.tokens];
    const pairBleu = 100 * corpusBleu(pairs.map((p) => [p.targetTokens]), pairs.map(hyp), { denominator: 'ngrams' });
    const multi = 100 * corpusBleu(scores.translations.map((t) => t.references), scores.translations.map((t) => [...t.tokens]), { denominator: 'ngrams' });
    assert.equal(scores.bleu, pairBleu);
    assert.equal(scores.multiReferenceBleu, multi);
    const exact = pairs.filter((p) => hyp(p).join('\u0000') === p.targetTokens.join('\u0000')).length;
    assert.equal(scores.accuracy, (100 * exact) / 5);
  });
});

describe('attention figures', () => {
  const figure = (sources: number, outputs: number) => {
    const sourceTokens = Array.from({ length: sources }, (_, i) => (i % 7 === 3 ? ' ' : i % 5 === 0 ? '年' : String.fromCharCode(97 + (i % 26))));
    const outputTokens = Array.from({ length: outputs }, (_, t) => (t === outputs - 1 ? '<eos>' : t % 3 === 0 ? '月' : 'token'));
    const weights = new Float32Array(sources * outputs);
    for (let t = 0; t < outputs; t++) weights[t * sources + ((t * 3) % sources)] = 1;
    return { sourceTokens, outputTokens, weights };
  };

  test('the terminal heatmap fits its width, from 20 to 200 columns, in blocks of columns when the source is long', () => {
    for (const sources of [5, 25, 60, 130]) {
      for (const width of [20, 40, 80, 200]) {
        const lines = attentionHeatmap(figure(sources, 6), width);
        for (const line of lines) assert.ok(displayWidth(line) <= width, `${sources} sources, width ${width}: ${displayWidth(line)} columns: ${line}`);
        const cells = lines.filter((l) => /^(月|token|<eos>)/.test(l)).join('');
        assert.equal([...cells.matchAll(/██/g)].length, 6, `one full cell per output row (${sources} sources, width ${width})`);
      }
    }
    const lines = attentionHeatmap(figure(25, 6), 80);
    assert.equal(lines.filter((l) => l.startsWith('source tokens')).length, 0, 'one block in 80 columns');
    assert.match(lines[0]!, /^ {6}年b c ␣ e 年g /, 'tokens over their cells (年 fills its two columns), a space as ␣');
    assert.equal(attentionHeatmap(figure(60, 6), 80).filter((l) => l.startsWith('source tokens')).length, 2, '60 sources: two blocks');
  });

  test('the SVG is well-formed XML with one rect per (output, source) cell, CJK fonts first, and the tokens as labels', async () => {
    const f = figure(9, 4);
    const svg = await attentionSvg({ ...f, title: 'dates' });
    const root = parseXml(svg);
    assert.equal(root.name, 'svg');
    const group = find(root, (n) => (n.attrs.class ?? '').split(' ').includes('mark-rect') && (n.attrs.class ?? '').includes('role-mark'));
    assert.ok(group, 'a rect mark group');
    const cells = group.children.filter((c) => c.name === 'path' && c.attrs['aria-roledescription'] === 'rect mark');
    assert.equal(cells.length, 9 * 4);
    const labels = texts(root);
    for (const token of ['年', '␣', '月', '<eos>', 'dates']) assert.ok(labels.includes(token), `label ${token} in ${labels.join(' ')}`);
    assert.match(svg, /font-family="Noto Sans CJK SC, /);
    assert.throws(() => attentionSpec({ ...f, weights: f.weights.subarray(1) }), /expected 4 × 9 = 36 weights/);
  });
});
