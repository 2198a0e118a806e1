/**
 * Padded batches of translation pairs, bucketed by length.
 *
 * One call of {@link bucketedBatches} is one epoch:
 *   1. shuffle the pairs (Fisher–Yates with the given Random), so pairs of equal
 *      lengths meet different partners every epoch;
 *   2. stable-sort them by (source length, target length), so each batch holds
 *      pairs of nearly equal lengths and padding is small;
 *   3. cut the sorted list into batches of `batchSize` (the last may be smaller);
 *   4. shuffle the order of the batches with the same Random.
 * Every pair is in exactly one batch; the same Random state gives the same epoch.
 *
 * Each batch is a {@link PairBatch} (batch.ts): source ids, `targetIn` =
 * <bos> y₁ … y_n, `targetOut` = y₁ … y_n <eos>, padded with PAD.
 *
 * Too long pairs are refused, not truncated: a truncated target teaches the
 * model to stop mid-sentence and a truncated source to translate what it has
 * not read. Filter them out beforehand (the Tatoeba split keeps ≤ 10 English
 * words) if a limit is wanted.
 */
import type { Random } from '../random.js';
import { BOS, EOS, PAD, type PairBatch } from './batch.js';
import type { TranslationPair } from './pair.js';
import type { TokenVocabulary } from './token-vocabulary.js';

/** A pair as ids, without specials. */
export interface EncodedPair {
  readonly source: Int32Array;
  readonly target: Int32Array;
  /** 1-based line of the pair in its file, for messages. */
  readonly line?: number;
}

export interface EncodedPairs {
  readonly pairs: EncodedPair[];
  /** Source tokens not in the source vocabulary, which became <unk>. */
  readonly unknownSource: Set<string>;
  /** Target tokens not in the target vocabulary, which became <unk>. */
  readonly unknownTarget: Set<string>;
}

/** The pairs' tokens as ids of the two vocabularies, and which tokens became <unk>. */
export function encodePairs(pairs: readonly TranslationPair[], sourceVocabulary: TokenVocabulary, targetVocabulary: TokenVocabulary): EncodedPairs {
  const unknownSource = new Set<string>();
  const unknownTarget = new Set<string>();
  const encoded = pairs.map((p) => ({
    source: sourceVocabulary.encode(p.sourceTokens, unknownSource),
    target: targetVocabulary.encode(p.targetTokens, unknownTarget),
    ...(p.line === undefined ? {} : { line: p.line }),
  }));
  return { pairs: encoded, unknownSource, unknownTarget };
}

export interface BatchOptions {
  batchSize: number;
  /** Drives both shuffles; advancing it gives the next epoch. */
  random: Random;
  /** Longest source accepted, in tokens; longer is an error. Default: no limit. */
  maxSourceLength?: number;
  /** Longest target accepted, in tokens (without <eos>); longer is an error. Default: no limit. */
  maxTargetLength?: number;
}

/** One epoch of bucketed, shuffled, padded batches (see the module comment). */
export function bucketedBatches(pairs: readonly EncodedPair[], options: BatchOptions): PairBatch[] {
  const { batchSize, random, maxSourceLength = Infinity, maxTargetLength = Infinity } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bucketedBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (pairs.length === 0) throw new Error('bucketedBatches: no pairs');
  pairs.forEach((p, i) => checkPair(p, i, maxSourceLength, maxTargetLength));

  const order = pairs.map((_, i) => i);
  shuffleInPlace(order, random);
  order.sort((a, b) => lengthOf(pairs, a, 'source') - lengthOf(pairs, b, 'source') || lengthOf(pairs, a, 'target') - lengthOf(pairs, b, 'target'));
  const batches: PairBatch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(padBatch(order.slice(start, start + batchSize).map((i) => pairs[i] as EncodedPair)));
  }
  shuffleInPlace(batches, random);
  return batches;
}

/**
 * Pads pairs into one batch, in the given order:
 *   source[b, s]    = x_s for s < |x|, else PAD
 *   targetIn[b, t]  = <bos>, y₁ … y_n, then PAD
 *   targetOut[b, t] = y₁ … y_n, <eos>, then PAD
 * with S = max |x| and T = max n + 1.
 */
export function padBatch(pairs: readonly EncodedPair[]): PairBatch {
  if (pairs.length === 0) throw new Error('padBatch: no pairs');
  pairs.forEach((p, i) => checkPair(p, i, Infinity, Infinity));
  const batchSize = pairs.length;
  const sourceSteps = Math.max(...pairs.map((p) => p.source.length));
  const targetSteps = Math.max(...pairs.map((p) => p.target.length)) + 1;
  const source = new Int32Array(batchSize * sourceSteps).fill(PAD);
  const targetIn = new Int32Array(batchSize * targetSteps).fill(PAD);
  const targetOut = new Int32Array(batchSize * targetSteps).fill(PAD);
  const sourceLengths = new Int32Array(batchSize);
  const targetLengths = new Int32Array(batchSize);
  pairs.forEach((p, b) => {
    const n = p.target.length;
    source.set(p.source, b * sourceSteps);
    targetIn[b * targetSteps] = BOS;
    targetIn.set(p.target, b * targetSteps + 1);
    targetOut.set(p.target, b * targetSteps);
    targetOut[b * targetSteps + n] = EOS;
    sourceLengths[b] = p.source.length;
    targetLengths[b] = n + 1;
  });
  return { batchSize, sourceSteps, targetSteps, source, sourceLengths, targetIn, targetOut, targetLengths };
}

function lengthOf(pairs: readonly EncodedPair[], i: number, side: 'source' | 'target'): number {
  return (pairs[i] as EncodedPair)[side].length;
}

/** Refuses an empty source (the encoder needs a step) and pairs above the limits, naming the pair. */
function checkPair(p: EncodedPair, index: number, maxSourceLength: number, maxTargetLength: number): void {
  const which = () => `pair ${index}${p.line === undefined ? '' : ` (line ${p.line})`}`;
  if (p.source.length === 0) throw new Error(`batches: ${which()} has an empty source`);
  if (p.source.length > maxSourceLength) {
    throw new Error(`batches: ${which()} has ${p.source.length} source tokens, more than maxSourceLength ${maxSourceLength}`);
  }
  if (p.target.length > maxTargetLength) {
    throw new Error(`batches: ${which()} has ${p.target.length} target tokens, more than maxTargetLength ${maxTargetLength}`);
  }
}

/** Fisher–Yates with the library's Random: for i = n−1 … 1, swap items i and random.int(i+1). */
function shuffleInPlace<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
