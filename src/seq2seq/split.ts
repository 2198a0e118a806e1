/**
 * The Chinese→English Tatoeba split of ../shared/BENCHMARKS.md ("Seq2seq with
 * attention") and ../shared/bench/peers/torch_seq2seq.py, reproduced exactly:
 *
 *   1. keep a row iff its English has ≤ 10 whitespace-separated words;
 *      tokens: Chinese characters → English words (tatoeba.ts `chineseToEnglish`)
 *   2. group the pairs by the Chinese token string (the sentence without
 *      whitespace), groups in order of first appearance: G groups
 *   3. shuffle the groups by Fisher–Yates driven by mulberry32(0):
 *        for i = G−1 … 1:  j = ⌊rng()·(i+1)⌋;  swap(groups[i], groups[j])
 *   4. k = ⌊0.05·G⌋: test = groups[0, k), dev = groups[k, 2k), train = the rest;
 *      inside a split, pairs in group order, then file order
 *   5. vocabularies (token-vocabulary.ts) from the training pairs only
 *
 * On cmn.txt of 2020-08-23: 22,521 pairs kept in 20,772 groups; test 1,111
 * pairs, dev 1,118, train 20,292; vocabularies zh 3,368 and en 5,985 tokens
 * (specials included). Grouping keeps every translation of a Chinese sentence
 * in one split, so no test source is seen in training.
 */
import type { TranslationPair } from './pair.js';
import { chineseToEnglish, type TatoebaRow } from './tatoeba.js';
import { TokenVocabulary } from './token-vocabulary.js';
import { countWords } from './tokenize.js';

export interface TatoebaSplitOptions {
  /** Keep rows whose English has at most this many whitespace-separated words. Default 10. */
  maxEnglishWords?: number;
  /** mulberry32 seed of the group shuffle. Default 0. */
  seed?: number;
  /** Share of the groups in each of test and dev. Default 0.05. */
  heldOutFraction?: number;
}

export interface TatoebaSplit {
  readonly train: TranslationPair[];
  readonly dev: TranslationPair[];
  readonly test: TranslationPair[];
  /** Number of groups (distinct Chinese sentences) in each split. */
  readonly groups: { readonly train: number; readonly dev: number; readonly test: number };
  /** Chinese vocabulary of the training pairs. */
  readonly sourceVocabulary: TokenVocabulary;
  /** English vocabulary of the training pairs. */
  readonly targetVocabulary: TokenVocabulary;
}

/** Splits Tatoeba rows into Chinese→English train/dev/test by the protocol above. */
export function splitTatoeba(rows: readonly TatoebaRow[], options: TatoebaSplitOptions = {}): TatoebaSplit {
  const { maxEnglishWords = 10, seed = 0, heldOutFraction = 0.05 } = options;
  if (!(heldOutFraction > 0 && heldOutFraction < 0.5)) {
    throw new Error(`splitTatoeba: heldOutFraction must be in (0, 0.5), got ${heldOutFraction}`);
  }
  const groups = new Map<string, TranslationPair[]>();
  for (const row of rows) {
    if (countWords(row.english) > maxEnglishWords) continue;
    const pair = chineseToEnglish(row);
    const key = pair.sourceTokens.join('');
    const group = groups.get(key);
    if (group) group.push(pair);
    else groups.set(key, [pair]);
  }
  const order = [...groups.values()];
  shuffleInPlace(order, mulberry32(seed));
  const k = Math.floor(heldOutFraction * order.length);
  const test = order.slice(0, k);
  const dev = order.slice(k, 2 * k);
  const train = order.slice(2 * k);
  const trainPairs = train.flat();
  return {
    train: trainPairs,
    dev: dev.flat(),
    test: test.flat(),
    groups: { train: train.length, dev: dev.length, test: test.length },
    sourceVocabulary: TokenVocabulary.fromSequences(trainPairs.map((p) => p.sourceTokens)),
    targetVocabulary: TokenVocabulary.fromSequences(trainPairs.map((p) => p.targetTokens)),
  };
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, the usual JavaScript one):
 * uniform numbers in [0, 1) with 32 random bits. The split's shuffle uses it
 * because it is short enough to port exactly to any language.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates: for i = n−1 … 1, swap items i and ⌊rng()·(i+1)⌋. */
function shuffleInPlace<T>(items: T[], rng: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
