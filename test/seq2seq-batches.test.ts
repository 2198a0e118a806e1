/**
 * Batches of translation pairs: the padded layout (<bos> y / y <eos>), every
 * pair exactly once per epoch, lengths bucketed (little padding), the order
 * fixed by the seed, and refusals that name the pair.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/random.js';
import { BOS, EOS, PAD, type PairBatch } from '../src/seq2seq/batch.js';
import { bucketedBatches, encodePairs, padBatch, type EncodedPair } from '../src/seq2seq/batches.js';
import { TokenVocabulary } from '../src/seq2seq/token-vocabulary.js';

const ids = (...values: number[]) => Int32Array.from(values);

/** n pairs; pair i's source starts with the id 100 + i, so rows can be traced back; lengths vary. */
function pairs(n: number, seed: number): EncodedPair[] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({
    source: ids(100 + i, ...Array.from({ length: random.int(12) }, () => 4 + random.int(20))),
    target: ids(...Array.from({ length: random.int(10) }, () => 4 + random.int(20))),
    line: i + 1,
  }));
}

function row(array: Int32Array, steps: number, b: number): number[] {
  return [...array.subarray(b * steps, (b + 1) * steps)];
}

/** Pair index of every row of the batches, in order. */
function traced(batches: PairBatch[]): number[] {
  return batches.flatMap((batch) => Array.from({ length: batch.batchSize }, (_, b) => (batch.source[b * batch.sourceSteps] as number) - 100));
}

describe('padded batch', () => {
  test('source, <bos> y and y <eos>, padded with PAD; lengths', () => {
    const batch = padBatch([
      { source: ids(5, 6, 7), target: ids(8, 9) },
      { source: ids(10), target: ids(11, 12, 13) },
      { source: ids(14, 15), target: ids() },
    ]);
    assert.equal(batch.batchSize, 3);
    assert.equal(batch.sourceSteps, 3);
    assert.equal(batch.targetSteps, 4);
    assert.deepEqual([0, 1, 2].map((b) => row(batch.source, 3, b)), [[5, 6, 7], [10, PAD, PAD], [14, 15, PAD]]);
    assert.deepEqual([0, 1, 2].map((b) => row(batch.targetIn, 4, b)), [[BOS, 8, 9, PAD], [BOS, 11, 12, 13], [BOS, PAD, PAD, PAD]]);
    assert.deepEqual([0, 1, 2].map((b) => row(batch.targetOut, 4, b)), [[8, 9, EOS, PAD], [11, 12, 13, EOS], [EOS, PAD, PAD, PAD]]);
    assert.deepEqual([...batch.sourceLengths], [3, 1, 2]);
    assert.deepEqual([...batch.targetLengths], [3, 4, 1]);
  });
});

describe('bucketed batches', () => {
  const data = pairs(203, 1);

  test('every pair exactly once per epoch, in batches of batchSize (the last smaller)', () => {
    const batches = bucketedBatches(data, { batchSize: 16, random: new Random(7) });
    assert.equal(batches.length, 13);
    assert.deepEqual(batches.map((b) => b.batchSize).sort((a, b) => a - b), [11, ...Array(12).fill(16)]);
    assert.deepEqual(traced(batches).sort((a, b) => a - b), data.map((_, i) => i));
    for (const batch of batches) {
      for (let b = 0; b < batch.batchSize; b++) {
        const p = data[(batch.source[b * batch.sourceSteps] as number) - 100]!;
        assert.deepEqual(row(batch.source, batch.sourceSteps, b).slice(0, p.source.length), [...p.source]);
        assert.equal(batch.targetLengths[b], p.target.length + 1);
      }
    }
  });

  test('lengths are bucketed: batches are consecutive runs of the pairs sorted by length', () => {
    const batches = bucketedBatches(data, { batchSize: 16, random: new Random(7) });
    const lengths = data.map((p) => p.source.length);
    const spread = batches.reduce((sum, batch) => {
      const l = [...batch.sourceLengths];
      return sum + Math.max(...l) - Math.min(...l);
    }, 0);
    // Consecutive runs of a sorted list: their spreads add up to at most the total spread.
    assert.ok(spread <= Math.max(...lengths) - Math.min(...lengths), `spread ${spread}`);
    const padding = batches.reduce((sum, batch) => sum + batch.batchSize * batch.sourceSteps - batch.sourceLengths.reduce((a, b) => a + b, 0), 0);
    const unbucketed = padBatch(data);
    const unbucketedPadding = unbucketed.batchSize * unbucketed.sourceSteps - unbucketed.sourceLengths.reduce((a, b) => a + b, 0);
    assert.ok(padding < unbucketedPadding / 5, `padding ${padding} vs ${unbucketedPadding} in one batch`);
  });

  test('deterministic given the seed; epochs differ in order and in who shares a batch', () => {
    const epoch = (random: Random) => traced(bucketedBatches(data, { batchSize: 16, random }));
    assert.deepEqual(epoch(new Random(3)), epoch(new Random(3)));
    const random = new Random(3);
    const first = epoch(random);
    const second = epoch(random);
    assert.notDeepEqual(first, second);
    const partners = (order: number[]) => new Set(order.map((p, i) => `${p}:${order[i ^ 1]}`));
    const common = [...partners(first)].filter((x) => partners(second).has(x)).length;
    assert.ok(common < first.length / 2, `${common} neighbour pairs kept`);
  });

  test('refuses too long pairs, empty sources and bad sizes, naming the pair and line', () => {
    const random = new Random(0);
    const longest = Math.max(...data.map((p) => p.source.length));
    const culprit = data.findIndex((p) => p.source.length === longest);
    assert.throws(
      () => bucketedBatches(data, { batchSize: 8, random, maxSourceLength: longest - 1 }),
      new RegExp(`pair ${culprit} \\(line ${culprit + 1}\\) has ${longest} source tokens, more than maxSourceLength ${longest - 1}`),
    );
    assert.throws(() => bucketedBatches(data, { batchSize: 8, random, maxTargetLength: 2 }), /target tokens, more than maxTargetLength 2/);
    assert.throws(() => bucketedBatches([{ source: ids(), target: ids(4) }], { batchSize: 8, random }), /pair 0 has an empty source/);
    assert.throws(() => bucketedBatches(data, { batchSize: 0, random }), /batchSize must be a positive integer, got 0/);
    assert.throws(() => bucketedBatches([], { batchSize: 8, random }), /no pairs/);
    assert.throws(() => padBatch([]), /no pairs/);
  });

  test('encodePairs: ids of both vocabularies, lines kept, unseen tokens reported', () => {
    const source = TokenVocabulary.fromSequences([['我', '你']]);
    const target = TokenVocabulary.fromSequences([['i', 'you']]);
    const encoded = encodePairs(
      [
        { source: '我你', target: 'I you', sourceTokens: ['我', '你'], targetTokens: ['i', 'you'], line: 4 },
        { source: '他', target: 'he', sourceTokens: ['他'], targetTokens: ['he'] },
      ],
      source,
      target,
    );
    assert.deepEqual(encoded.pairs.map((p) => [[...p.source], [...p.target], p.line]), [
      [[5, 4], [4, 5], 4], // ties in code-point order: 你 (U+4F60) before 我 (U+6211)
      [[3], [3], undefined],
    ]);
    assert.deepEqual([...encoded.unknownSource], ['他']);
    assert.deepEqual([...encoded.unknownTarget], ['he']);
  });
});
