/**
 * Seq2Seq beyond the PyTorch fixtures: the step-by-step decoder against the
 * whole-sequence one, teacher forcing below 1 (gradient-checked in float64,
 * deterministic, ratio 0 = greedy inputs), beam search (width 1 = greedy,
 * exhaustive search on a tiny model, batch independence), translate, the
 * trainer (learns a toy task, clips, resumes exactly), configuration, names
 * and errors.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { concat } from '../src/autograd/ops.js';
import { noGrad, type Variable } from '../src/autograd/variable.js';
import type { AttentionKind } from '../src/attention/attention.js';
import { Random } from '../src/random.js';
import { BOS, EOS, PAD, type PairBatch } from '../src/seq2seq/batch.js';
import { beamSearch } from '../src/seq2seq/beam-search.js';
import { greedyDecode } from '../src/seq2seq/greedy.js';
import { Seq2Seq, type Seq2SeqOptions } from '../src/seq2seq/model.js';
import { Seq2SeqTrainer } from '../src/seq2seq/trainer.js';
import { translate } from '../src/seq2seq/translate.js';
import { crossEntropy } from '../src/train/loss.js';
import { gradcheck } from './gradcheck.js';

/** A batch of random pairs: source and target tokens drawn from [4, V). */
function randomBatch(rng: Random, B: number, sourceLengths: number[], targetLengths: number[], V: number): PairBatch {
  const S = Math.max(...sourceLengths);
  const T = Math.max(...targetLengths);
  const source = new Int32Array(B * S);
  const targetIn = new Int32Array(B * T);
  const targetOut = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < (sourceLengths[b] as number); s++) source[b * S + s] = 4 + rng.int(V - 4);
    targetIn[b * T] = BOS;
    const n = (targetLengths[b] as number) - 1;
    for (let t = 0; t < n; t++) {
      const y = 4 + rng.int(V - 4);
      targetIn[b * T + t + 1] = y;
      targetOut[b * T + t] = y;
    }
    targetOut[b * T + n] = EOS;
  }
  return {
    batchSize: B, sourceSteps: S, targetSteps: T, source, sourceLengths: Int32Array.from(sourceLengths),
    targetIn, targetOut, targetLengths: Int32Array.from(targetLengths),
  };
}

const TINY: Omit<Seq2SeqOptions, 'attention'> = {
  sourceVocabSize: 9, targetVocabSize: 8, embeddingSize: 3, hiddenSize: 4, attentionSize: 5, seed: 3,
};

/** A tiny float64 model with weights spread wider than the default init. */
function tinyModel(attention: AttentionKind | 'none', extra: Partial<Seq2SeqOptions> = {}): Seq2Seq {
  const model = new Seq2Seq({ ...TINY, attention, dtype: 'float64', bidirectional: attention !== 'dot', ...extra });
  const rng = new Random(5);
  const d = model.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.9, 0.9);
  return model;
}

const KINDS: (AttentionKind | 'none')[] = ['none', 'dot', 'general', 'projected', 'bahdanau'];

describe('Seq2Seq decoding paths', () => {
  for (const kind of ['none', 'dot', 'general', 'projected'] as const) {
    test(`${kind}: the whole-sequence decoder equals the step-by-step one (values and gradients)`, () => {
      const model = tinyModel(kind, { cell: 'lstm', numLayers: 2 });
      const batch = randomBatch(new Random(2), 3, [5, 2, 4], [4, 2, 3], 8);
      const targets = { data: batch.targetOut, shape: [3, batch.targetSteps] };
      const run = (stepwise: boolean): { loss: number; grad: Float64Array; logits: Float64Array } => {
        model.zeroGrad();
        const enc = model.encode({ data: batch.source, shape: [3, batch.sourceSteps] }, batch.sourceLengths);
        let logits: Variable;
        if (stepwise) {
          const steps: Variable[] = [];
          let state = enc.state;
          for (let t = 0; t < batch.targetSteps; t++) {
            const ids = Array.from({ length: 3 }, (_, b) => batch.targetIn[b * batch.targetSteps + t] as number);
            const out = model.decoder.step(ids, state, enc.memory);
            steps.push(out.logits);
            state = out.state;
          }
          logits = concat(steps, 1);
        } else {
          logits = model.decoder.apply({ data: batch.targetIn, shape: [3, batch.targetSteps] }, enc.state, enc.memory).logits;
        }
        const loss = crossEntropy(logits, targets, { ignoreIndex: PAD });
        loss.backward();
        return { loss: loss.item(), grad: Float64Array.from(model.params.grad), logits: Float64Array.from(logits.data) };
      };
      const whole = run(false);
      const stepwise = run(true);
      const maxDiff = (a: Float64Array, b: Float64Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);
      assert.ok(maxDiff(whole.logits, stepwise.logits) < 1e-13, `logits differ by ${maxDiff(whole.logits, stepwise.logits)}`);
      assert.ok(Math.abs(whole.loss - stepwise.loss) < 1e-13);
      assert.ok(maxDiff(whole.grad, stepwise.grad) < 1e-12, `gradients differ by ${maxDiff(whole.grad, stepwise.grad)}`);
    });
  }

  for (const kind of ['general', 'bahdanau'] as const) {
    test(`${kind}: teacher forcing 0.5 — gradients by float64 central differences, draws from the seeded generator`, (t) => {
      const model = tinyModel(kind, { cell: 'gru' });
      const batch = randomBatch(new Random(3), 3, [5, 2, 4], [5, 3, 4], 8);
      const loss = (): Variable => model.loss(batch, { teacherForcing: 0.5, random: new Random(11) });
      model.zeroGrad();
      loss().backward();
      // Every parameter but the <pad> rows of the embeddings, which never get a gradient (PyTorch's padding_idx)
      // though the decoder may feed <pad> when it is its own most likely token.
      const padRows = ['encoder.embedding.weight', 'decoder.embedding.weight'].map((n) => model.params.ref(n).offset);
      const indices = Array.from({ length: model.params.size }, (_, i) => i).filter((i) => !padRows.some((o) => i >= o && i < o + 3));
      const r = gradcheck('params', model.params.data as Float64Array, model.params.grad, () => loss().item(), { indices });
      t.diagnostic(`${r.checked} parameters, max absolute error ${r.maxAbsError.toExponential(2)}, relative ${r.maxRelError.toExponential(2)}`);
      // The same seed gives the same choices; other seeds other choices, hence other losses.
      const seen = new Set<number>();
      for (let seed = 0; seed < 8; seed++) seen.add(model.loss(batch, { teacherForcing: 0.5, random: new Random(seed) }).item());
      assert.ok(seen.size > 1, 'the ratio changes which inputs are fed');
      assert.equal(loss().item(), loss().item());
    });
  }

  test('teacher forcing 0 feeds the model its own argmax: the logits pick the greedy tokens', () => {
    for (const kind of KINDS) {
      const model = tinyModel(kind);
      const batch = randomBatch(new Random(4), 3, [5, 2, 4], [6, 6, 6], 8);
      const logits = noGrad(() => model.forward(batch, { teacherForcing: 0, random: new Random(1) }).logits);
      const greedy = greedyDecode(model, { data: batch.source, shape: [3, batch.sourceSteps] }, batch.sourceLengths, { maxLength: 6 });
      greedy.forEach((h, b) => {
        const emitted = [...h.tokens, ...(h.finished ? [EOS] : [])];
        const argmax = emitted.map((_, t) => {
          const row = logits.data.subarray((b * 6 + t) * 8, (b * 6 + t + 1) * 8);
          return row.indexOf(Math.max(...row));
        });
        assert.deepEqual(argmax, emitted, `${kind} row ${b}`);
      });
    }
  });
});

describe('beam search', () => {
  test('width 1 is greedy decoding: tokens, log-probabilities and attention weights, for every attention kind', () => {
    for (const kind of KINDS) {
      for (const dtype of ['float64', 'float32'] as const) {
        const model = tinyModel(kind, { dtype });
        const batch = randomBatch(new Random(6), 4, [5, 2, 4, 1], [2, 2, 2, 2], 8);
        const source = { data: batch.source, shape: [4, batch.sourceSteps] };
        const greedy = greedyDecode(model, source, batch.sourceLengths, { maxLength: 7 });
        const beam = beamSearch(model, source, batch.sourceLengths, { beamWidth: 1, maxLength: 7, lengthPenalty: 'none' });
        assert.deepEqual(beam, greedy, `${kind} ${dtype}`);
      }
    }
  });

  test('a beam wider than every prefix finds the best-scoring hypothesis of an exhaustive search', () => {
    const V = 5;
    const maxLength = 3;
    for (const [kind, penalty] of [['general', 'none'], ['bahdanau', 'gnmt'], ['none', 'length']] as const) {
      const model = tinyModel(kind, { targetVocabSize: V });
      const source = { data: [5, 7, 4, 6], shape: [1, 4] };
      // Every sequence of non-<eos> tokens followed by <eos>, up to maxLength tokens, scored by teacher forcing.
      let best = { score: -Infinity, tokens: [] as number[], logProb: 0 };
      const lp = (n: number): number => (penalty === 'gnmt' ? ((5 + n) / 6) ** 0.6 : penalty === 'length' ? n ** 0.6 : 1);
      const visit = (prefix: number[]): void => {
        const T = prefix.length + 1;
        const targetIn = Int32Array.from([BOS, ...prefix]);
        const targetOut = Int32Array.from([...prefix, EOS]);
        const batch: PairBatch = { batchSize: 1, sourceSteps: 4, targetSteps: T, source: Int32Array.from(source.data), sourceLengths: Int32Array.of(4), targetIn, targetOut, targetLengths: Int32Array.of(T) };
        const logProb = -T * noGrad(() => model.loss(batch).item());
        const score = logProb / lp(T);
        if (score > best.score) best = { score, tokens: prefix, logProb };
        if (T < maxLength) for (let v = 0; v < V; v++) if (v !== EOS) visit([...prefix, v]);
      };
      visit([]);
      const [h] = beamSearch(model, source, [4], { beamWidth: 64, maxLength, lengthPenalty: penalty });
      assert.ok(h?.finished);
      assert.deepEqual(h.tokens, best.tokens, kind);
      assert.ok(Math.abs(h.logProb - best.logProb) < 1e-12 && Math.abs(h.score - best.score) < 1e-12, `${kind}: ${h.score} vs ${best.score}`);
    }
  });

  test('rows of a batch are searched independently', () => {
    const model = tinyModel('projected', { cell: 'lstm', numLayers: 2, targetVocabSize: 12 });
    const batch = randomBatch(new Random(8), 3, [5, 2, 4], [2, 2, 2], 9);
    const S = batch.sourceSteps;
    const all = beamSearch(model, { data: batch.source, shape: [3, S] }, batch.sourceLengths, { beamWidth: 3, maxLength: 8 });
    for (let b = 0; b < 3; b++) {
      const L = batch.sourceLengths[b] as number;
      const [alone] = beamSearch(model, { data: batch.source.subarray(b * S, b * S + L), shape: [1, L] }, [L], { beamWidth: 3, maxLength: 8 });
      assert.deepEqual(alone, all[b], `row ${b}`);
    }
  });

  test('short wrong endings that finish first do not end the search: a likelier longer hypothesis still wins', () => {
    // A scripted decoder whose next-token distribution depends only on the last token
    // (ids 3 = A, 4 = B, 5 = C): from <bos> A .6, <eos> .15, B .15, C .1; after A: C .9;
    // after B or C: <eos> .9. With width 2, "<eos>" and "B <eos>" finish within two
    // steps while "A C <eos>" (p = .6 · .9 · .9 = .49) is still live; stopping at two
    // finished hypotheses would return "<eos>" (p = .15).
    const model = tinyModel('none');
    const V = model.config.targetVocabSize;
    const table: Record<number, Record<number, number>> = {
      [BOS]: { 3: 0.6, [EOS]: 0.15, 4: 0.15, 5: 0.1 },
      3: { 5: 0.9, [EOS]: 0.04, 3: 0.03, 4: 0.03 },
      4: { [EOS]: 0.9, 3: 0.05, 5: 0.05 },
      5: { [EOS]: 0.9, 3: 0.05, 4: 0.05 },
    };
    const decoder = model.decoder as unknown as { step: (ids: ArrayLike<number>, state: unknown) => unknown };
    decoder.step = (ids, state) => {
      const z = new Float32Array(ids.length * V).fill(Math.log(1e-6));
      for (let r = 0; r < ids.length; r++) {
        for (const [v, p] of Object.entries(table[ids[r] as number] ?? { [EOS]: 1 })) z[r * V + Number(v)] = Math.log(p);
      }
      return { logits: { data: z, shape: [ids.length, V] }, weights: null, state };
    };
    for (const lengthPenalty of ['gnmt', 'none'] as const) {
      const [h] = beamSearch(model, { data: [4, 5, 6], shape: [1, 3] }, [3], { beamWidth: 2, maxLength: 6, lengthPenalty });
      assert.deepEqual(h?.tokens, [3, 5], lengthPenalty);
      assert.ok(h?.finished);
      assert.ok(Math.abs((h?.logProb ?? 0) - Math.log(0.6 * 0.9 * 0.9)) < 1e-3, `log p = ${h?.logProb}`);
    }
  });

  test('attention rows: one per step over the valid source steps, each summing to 1', () => {
    const model = tinyModel('general');
    const [h] = beamSearch(model, { data: [4, 5, 6, 0, 0], shape: [1, 5] }, [3], { beamWidth: 3, maxLength: 5 });
    assert.ok(h?.attention);
    assert.deepEqual(h.attention.shape, [h.tokens.length + (h.finished ? 1 : 0), 3]);
    for (let t = 0; t < (h.attention.shape[0] as number); t++) {
      const row = Array.from(h.attention.data.subarray(t * 3, t * 3 + 3));
      assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-12);
    }
  });
});

describe('Seq2SeqTrainer and translate', () => {
  test('learns to reverse short sequences; greedy and beam translations come out right', (t) => {
    const model = new Seq2Seq({ sourceVocabSize: 10, targetVocabSize: 10, embeddingSize: 16, hiddenSize: 32, attention: 'general', seed: 1 });
    const trainer = new Seq2SeqTrainer(model, { lr: 0.01 });
    const rng = new Random(3);
    const pairs = (n: number): number[][] => Array.from({ length: n }, () => Array.from({ length: 2 + rng.int(4) }, () => 4 + rng.int(6)));
    const toBatch = (sources: number[][]): PairBatch => {
      const B = sources.length;
      const S = Math.max(...sources.map((s) => s.length));
      const T = S + 1;
      const batch = { batchSize: B, sourceSteps: S, targetSteps: T, source: new Int32Array(B * S), sourceLengths: new Int32Array(B), targetIn: new Int32Array(B * T), targetOut: new Int32Array(B * T), targetLengths: new Int32Array(B) };
      sources.forEach((s, b) => {
        const y = [...s].reverse();
        batch.source.set(s, b * S);
        batch.targetIn.set([BOS, ...y], b * T);
        batch.targetOut.set([...y, EOS], b * T);
        batch.sourceLengths[b] = s.length;
        batch.targetLengths[b] = s.length + 1;
      });
      return batch;
    };
    const first = trainer.evaluate(toBatch(pairs(64)));
    for (let i = 0; i < 150; i++) trainer.step(toBatch(pairs(32)));
    const test = pairs(40);
    const last = trainer.evaluate(toBatch(test));
    assert.ok(last < 0.1 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    t.diagnostic(`held-out loss ${first.toFixed(3)} → ${last.toFixed(3)} after 150 steps`);
    for (const beam of [1, 3]) {
      const out = translate(model, test, { beam, maxLength: 8, batchSize: 16 });
      const right = out.filter((h, i) => h.finished && h.tokens.join() === [...(test[i] as number[])].reverse().join()).length;
      assert.ok(right >= 32, `beam ${beam}: ${right}/40 reversed exactly`);
      t.diagnostic(`beam ${beam}: ${right}/40 reversed exactly`);
    }
    assert.equal(trainer.steps, 150);
    assert.equal(trainer.pairs, 150 * 32);
    assert.ok(trainer.gradNorm > 0);
  });

  test('clips the global gradient norm; a restored snapshot continues exactly', () => {
    const batch = randomBatch(new Random(9), 3, [5, 2, 4], [4, 2, 3], 8);
    const make = (): Seq2SeqTrainer => new Seq2SeqTrainer(tinyModel('bahdanau'), { clip: 0.5, teacherForcing: 0.5, seed: 4 });
    const a = make();
    a.step(batch);
    let norm = 0;
    for (const g of a.model.params.grad) norm += g * g;
    assert.ok(a.gradNorm > 0.5 && Math.abs(Math.sqrt(norm) - 0.5) < 1e-5, `norm before ${a.gradNorm}, after ${Math.sqrt(norm)}`);
    const b = make();
    b.model.loadStateDict(a.model.stateDict());
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const next = [a.step(batch), a.step(batch)];
    assert.deepEqual([b.step(batch), b.step(batch)], next);
    assert.deepEqual([...b.model.params.data], [...a.model.params.data]);
  });

  test('translate pads its batches: the same hypotheses whatever the batch size', () => {
    const model = tinyModel('general', { dtype: 'float32' });
    const sources = [[4, 5, 6], [7], [8, 4, 4, 5, 6], [5, 5]];
    const one = translate(model, sources, { beam: 2, maxLength: 6, batchSize: 1 });
    assert.deepEqual(translate(model, sources, { beam: 2, maxLength: 6, batchSize: 3 }), one);
    assert.equal(one.length, 4);
  });
});

describe('Seq2Seq configuration', () => {
  test('the default model is the benchmark reference: 4,083,937 parameters for vocabularies of 3,368 and 5,985', () => {
    const model = new Seq2Seq({ sourceVocabSize: 3368, targetVocabSize: 5985 });
    assert.equal(model.params.size, 4083937);
    assert.deepEqual(model.config, {
      sourceVocabSize: 3368, targetVocabSize: 5985, embeddingSize: 128, hiddenSize: 256, numLayers: 1, cell: 'gru', bidirectional: true,
      attention: 'general', attentionSize: 256, scaled: true, seed: 0, dtype: 'float32',
    });
  });

  test('PyTorch-style names: encoder, bridge (bidirectional), decoder with its attention', () => {
    const names = (o: Partial<Seq2SeqOptions>): string[] => Object.keys(new Seq2Seq({ ...TINY, ...o }).stateDict());
    assert.deepEqual(names({ attention: 'bahdanau', cell: 'lstm' }), [
      'encoder.embedding.weight',
      'encoder.rnn.weight_ih_l0', 'encoder.rnn.weight_hh_l0', 'encoder.rnn.bias_ih_l0', 'encoder.rnn.bias_hh_l0',
      'encoder.rnn.weight_ih_l0_reverse', 'encoder.rnn.weight_hh_l0_reverse', 'encoder.rnn.bias_ih_l0_reverse', 'encoder.rnn.bias_hh_l0_reverse',
      'bridge.hidden.weight', 'bridge.hidden.bias', 'bridge.cell.weight', 'bridge.cell.bias',
      'decoder.embedding.weight',
      'decoder.rnn.weight_ih_l0', 'decoder.rnn.weight_hh_l0', 'decoder.rnn.bias_ih_l0', 'decoder.rnn.bias_hh_l0',
      'decoder.attention.query.weight', 'decoder.attention.key.weight', 'decoder.attention.v',
      'decoder.combine.weight', 'decoder.combine.bias', 'decoder.output.weight', 'decoder.output.bias',
    ]);
    assert.deepEqual(names({ attention: 'none', bidirectional: false, cell: 'rnn_tanh' }), [
      'encoder.embedding.weight', 'encoder.rnn.weight_ih_l0', 'encoder.rnn.weight_hh_l0', 'encoder.rnn.bias_ih_l0', 'encoder.rnn.bias_hh_l0',
      'decoder.embedding.weight', 'decoder.rnn.weight_ih_l0', 'decoder.rnn.weight_hh_l0', 'decoder.rnn.bias_ih_l0', 'decoder.rnn.bias_hh_l0',
      'decoder.combine.weight', 'decoder.combine.bias', 'decoder.output.weight', 'decoder.output.bias',
    ]);
  });

  test('errors name what is wrong', () => {
    const V = { sourceVocabSize: 9, targetVocabSize: 8 };
    assert.throws(() => new Seq2Seq({ ...V, attention: 'dot' }), /Seq2Seq: dot attention needs the decoder state \(256\) and the encoder output \(2·256, bidirectional\) to have one size/);
    assert.throws(() => new Seq2Seq({ ...V, attention: 'luong' as AttentionKind }), /Seq2Seq: attention must be 'none', 'dot', 'general', 'projected', 'bahdanau', got 'luong'/);
    assert.throws(() => new Seq2Seq({ ...V, cell: 'lstmx' as 'lstm' }), /Seq2Seq: cell must be 'rnn_tanh', 'rnn_relu', 'rnn_leaky_relu', 'lstm' or 'gru', got 'lstmx'/);
    assert.throws(() => new Seq2Seq({ ...V, hidden_size: 4 } as Seq2SeqOptions), /Seq2Seq: unknown option 'hidden_size' \(did you mean 'hiddenSize'\?\)/);
    assert.throws(() => new Seq2Seq({ sourceVocabSize: 3, targetVocabSize: 8 }), /Seq2Seq: sourceVocabSize must be at least 4 \(the special tokens\), got 3/);
    const model = tinyModel('general');
    const batch = randomBatch(new Random(1), 2, [3, 2], [2, 2], 8);
    assert.throws(() => model.loss({ ...batch, sourceLengths: Int32Array.of(3, 4) }), /Seq2Seq.loss: batch.sourceLengths: lengths\[1\] = 4 is out of range/);
    assert.throws(() => model.loss({ ...batch, targetIn: new Int32Array(3) }), /Seq2Seq.loss: batch.targetIn has 3 entries, expected 4/);
    assert.throws(() => model.loss(batch, { teacherForcing: 0.5 }), /Seq2Seq.loss: teacherForcing 0.5 < 1 needs a seeded generator in options.random/);
    assert.throws(() => model.loss(batch, { teacherForcing: 2 }), /Seq2Seq.loss: teacherForcing must be a probability in \[0, 1\], got 2/);
    assert.throws(() => model.loss({ ...batch, source: Int32Array.of(4, 5, 9, 4, 5, 0) }), /Embedding: token id 9 at position 2 is out of range/);
    assert.throws(() => translate(model, [[4], []]), /translate: source 1 is empty/);
    assert.throws(() => translate(model, [[4]], { beam: 0 }), /translate: beam must be a positive integer, got 0/);
    assert.throws(() => beamSearch(model, { data: [4], shape: [1, 1] }, [1], { lengthPenalty: 'x' as 'gnmt' }), /beamSearch: lengthPenalty must be 'gnmt', 'length' or 'none', got 'x'/);
    assert.throws(() => greedyDecode(model, { data: [4], shape: [1, 1] }, [1], { maxLength: 0 }), /greedyDecode: maxLength must be a positive integer, got 0/);
    assert.throws(() => new Seq2SeqTrainer(model, { clip: -1 }), /Seq2SeqTrainer: clip must be a number ≥ 0, got -1/);
  });
});
