/**
 * BLEU: equal to NLTK's corpus_bleu / sentence_bleu (test/fixtures/bleu.json,
 * written by scripts/gen_bleu_fixtures.py) within 1e-12; with the 'ngrams'
 * denominator, equal to the benchmark script's corpus_bleu on Tatoeba test
 * pairs (test/fixtures/tatoeba_split.json); hand-checked values; argument errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusBleu, corpusBleuDetails, sentenceBleu, type BleuOptions } from '../src/seq2seq/bleu.js';
import { loadFixture } from './helpers.js';

interface BleuCase {
  name: string;
  kind: 'corpus' | 'sentence';
  references: string[][][];
  hypotheses: string[][];
  options: BleuOptions;
  nltk: number;
}

const fixture = loadFixture<{ nltk: string; cases: BleuCase[] }>('bleu.json');
const tatoeba = loadFixture<{ bleu: { references: string[][][]; hypotheses: string[][]; reference: number; nltk: number } }>('tatoeba_split.json').bleu;
const words = (text: string): string[] => text.split(' ');

describe('BLEU', () => {
  test(`equals NLTK ${fixture.nltk} on every fixture case within 1e-12`, (t) => {
    let worst = 0;
    for (const c of fixture.cases) {
      const ours = c.kind === 'sentence' ? sentenceBleu(c.references[0]!, c.hypotheses[0]!, c.options) : corpusBleu(c.references, c.hypotheses, c.options);
      const diff = Math.abs(ours - c.nltk);
      assert.ok(diff <= 1e-12, `${c.name}: ours ${ours}, NLTK ${c.nltk}`);
      // Where NLTK's ≈1e-77 stands for a zero precision, ours is exactly 0.
      if (c.nltk < 1e-70) assert.equal(ours, 0, c.name);
      worst = Math.max(worst, diff);
    }
    t.diagnostic(`${fixture.cases.length} cases, max |ours − NLTK| ${worst.toExponential(2)}`);
    assert.ok(fixture.cases.length >= 40);
  });

  test("denominator 'ngrams' equals the benchmark script's corpus_bleu; the default equals NLTK's on the same corpus", (t) => {
    const script = 100 * corpusBleu(tatoeba.references, tatoeba.hypotheses, { denominator: 'ngrams' });
    const nltk = corpusBleu(tatoeba.references, tatoeba.hypotheses);
    assert.ok(Math.abs(script - tatoeba.reference) < 1e-10, `${script} vs ${tatoeba.reference}`);
    assert.ok(Math.abs(nltk - tatoeba.nltk) < 1e-12, `${nltk} vs ${tatoeba.nltk}`);
    assert.ok(script - 100 * nltk > 1, 'short hypotheses make the two differ here');
    t.diagnostic(`${tatoeba.hypotheses.length} segments: script ${script.toFixed(4)} (|Δ| ${Math.abs(script - tatoeba.reference).toExponential(2)}), NLTK ×100 ${(100 * nltk).toFixed(4)}`);
  });

  test('a perfect translation scores 1; one without a shared word scores 0', () => {
    const ref = words('the cat sat on the mat');
    assert.equal(sentenceBleu([ref], ref), 1);
    assert.equal(sentenceBleu([ref], words('a dog ran off')), 0);
    assert.equal(sentenceBleu([ref], words('a dog ran off'), { smoothing: 'method1' }), 0);
  });

  test('by hand: precisions, brevity penalty and closest reference length', () => {
    // hyp "the cat sat on mat" (5 tokens) vs ref "the cat sat on the mat" (6):
    // p1 = 5/5, p2 = 3/4 (the cat, cat sat, sat on), p3 = 2/3, p4 = 1/2; BP = exp(1 − 6/5).
    const d = corpusBleuDetails([[words('the cat sat on the mat')]], [words('the cat sat on mat')]);
    assert.deepEqual(d.matches, [5, 3, 2, 1]);
    assert.deepEqual(d.totals, [5, 4, 3, 2]);
    assert.equal(d.referenceLength, 6);
    const expected = Math.exp(1 - 6 / 5) * Math.exp((Math.log(1) + Math.log(3 / 4) + Math.log(2 / 3) + Math.log(1 / 2)) / 4);
    assert.ok(Math.abs(d.score - expected) < 1e-15, `${d.score} vs ${expected}`);
    // References of 8 and 4 tokens are equally close to 6: the shorter counts, so no penalty.
    assert.equal(corpusBleuDetails([[words('a b c d e f g h'), words('a b c d')]], [words('a b c d e f')]).referenceLength, 4);
  });

  test("denominator 'ngrams' skips the n-grams a short hypothesis does not have; 'nltk' counts one", () => {
    const refs = [[words('hi .')], [words('i am tom .')]];
    const hyps = [words('hi .'), words('i am tom .')];
    const nltk = corpusBleuDetails(refs, hyps);
    const ngrams = corpusBleuDetails(refs, hyps, { denominator: 'ngrams' });
    assert.deepEqual(nltk.totals, [6, 4, 3, 2]);
    assert.deepEqual(ngrams.totals, [6, 4, 2, 1]);
    assert.equal(ngrams.score, 1);
    assert.ok(Math.abs(nltk.score - Math.exp((Math.log(2 / 3) + Math.log(1 / 2)) / 4)) < 1e-15);
    // With every hypothesis shorter than 4 tokens there are no 4-grams at all: 0.
    assert.equal(corpusBleu([[words('hi .')]], [words('hi .')], { denominator: 'ngrams' }), 0);
  });

  test('an empty hypothesis has brevity penalty 0 and adds nothing but its reference length', () => {
    const d = corpusBleuDetails([[words('a b c d')], [words('a b c d e')]], [[], words('a b c d e')]);
    assert.equal(d.hypothesisLength, 5);
    assert.equal(d.referenceLength, 9);
    assert.deepEqual(d.matches, [5, 4, 3, 2]);
    assert.equal(sentenceBleu([words('a b')], []), 0);
  });

  test('argument errors name the problem', () => {
    assert.throws(() => corpusBleu([[words('a')]], []), /1 reference lists/);
    assert.throws(() => corpusBleu([], []), /no hypotheses/);
    assert.throws(() => corpusBleu([[]], [words('a')]), /hypothesis 0 has no references/);
    assert.throws(() => sentenceBleu([words('a')], words('a'), { maxOrder: 0 }), /maxOrder must be a positive integer/);
    assert.throws(() => sentenceBleu([words('a')], words('a'), { smoothing: 'method7' as 'none' }), /smoothing must be/);
    assert.throws(() => sentenceBleu([words('a')], words('a'), { denominator: 'sacre' as 'nltk' }), /denominator must be/);
  });
});
