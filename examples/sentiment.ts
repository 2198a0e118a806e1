/**
 * Many-to-one classification: is a short "review" positive or negative?
 *
 * Toy sentences of 4–16 word ids, generated here: positive words (good,
 * great, …), negative words (bad, awful, …), neutral filler, and `not`,
 * which flips the sentiment of the word after it. The label says whether
 * the (negation-aware) positive words outnumber the negative ones. Word
 * counts alone do not decide it — the order does (`not good` ≠ `good`), so
 * a bag of words scores well below the recurrent model.
 *
 *   model: embedding(24 → 16) → bidirectional LSTM(16) → takeLast → linear(32 → 2)
 *   loss:  cross-entropy; Adam lr 0.01; batches of 32; early stopping on the validation loss
 *
 * Run (after `npx tsc -p tsconfig.json`): node dist/examples/sentiment.js [--epochs 30] [--seed 1]
 */
import { fileURLToPath } from 'node:url';
import { type Dataset, evaluate, fit, type History, predict, progressPrinter, Random, Sequential } from '../src/index.js';
import { numberOption } from './args.js';

export const WORDS = [
  'good', 'great', 'fine', 'love', // positive: ids 0–3
  'bad', 'awful', 'poor', 'hate', // negative: ids 4–7
  'not', // id 8 flips the next word
  'the', 'film', 'was', 'a', 'plot', 'and', 'it', 'acting', 'story', 'very', 'is', 'but', 'this', 'of', 'so', // neutral
];
const NOT = 8;

/** Score of a sentence: +1 per positive word, −1 per negative one, each flipped by a `not` just before it. */
export function sentimentScore(ids: readonly number[]): number {
  let score = 0;
  ids.forEach((id, t) => {
    const polarity = id < 4 ? 1 : id < 8 ? -1 : 0;
    score += ids[t - 1] === NOT ? -polarity : polarity;
  });
  return score;
}

/** `n` sentences with a nonzero score, and their labels (1 = positive). */
export function sentences(n: number, rng: Random): Dataset & { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  while (x.length < n) {
    const ids = Array.from({ length: 4 + rng.int(13) }, () => {
      const r = rng.next();
      return r < 0.3 ? rng.int(8) : r < 0.45 ? NOT : 9 + rng.int(WORDS.length - 9);
    });
    const score = sentimentScore(ids);
    if (score === 0) continue;
    x.push(ids);
    y.push(score > 0 ? 1 : 0);
  }
  return { x, y };
}

/** Accuracy of counting words and ignoring `not` (what a bag of words can do at best here). */
export function bagOfWordsAccuracy(data: { x: number[][]; y: number[] }): number {
  let correct = 0;
  data.x.forEach((ids, i) => {
    const naive = ids.reduce((s, id) => s + (id < 4 ? 1 : id < 8 ? -1 : 0), 0);
    if ((naive > 0 ? 1 : 0) === data.y[i]) correct++;
  });
  return correct / data.x.length;
}

export interface SentimentResult {
  model: Sequential;
  history: History;
  testAccuracy: number;
  bagOfWords: number;
}

export function runSentiment({ epochs = 30, seed = 1, log }: { epochs?: number; seed?: number; log?: (line: string) => void } = {}): SentimentResult {
  const rng = new Random(seed);
  const train = sentences(1000, rng);
  const validation = sentences(200, rng);
  const test = sentences(500, rng);
  const model = new Sequential([
    { type: 'embedding', numEmbeddings: WORDS.length, embeddingDim: 16 },
    { type: 'lstm', hiddenSize: 16, bidirectional: true },
    { type: 'takeLast' },
    { type: 'linear', outFeatures: 2 },
  ], { seed });
  const history = fit(model, train, {
    loss: 'crossEntropy', optimizer: 'adam', lr: 0.01, epochs, batchSize: 32, seed, validation,
    earlyStopping: { patience: 4, restoreBestWeights: true },
    ...(log ? { callbacks: progressPrinter(log) } : {}),
  });
  const testAccuracy = evaluate(model, test, { loss: 'crossEntropy' }).accuracy as number;
  return { model, history, testAccuracy, bagOfWords: bagOfWordsAccuracy(test) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = runSentiment({ epochs: numberOption('sentiment', 'epochs', 'EPOCHS', 30), seed: numberOption('sentiment', 'seed', 'SEED', 1), log: console.log });
  console.log(`best epoch ${r.history.bestEpoch}; test accuracy ${r.testAccuracy.toFixed(3)} (a bag of words: ${r.bagOfWords.toFixed(3)})`);
  for (const words of [['the', 'film', 'was', 'not', 'bad'], ['not', 'good', 'and', 'the', 'plot', 'is', 'awful'], ['great', 'acting', 'but', 'not', 'great', 'story', 'so', 'good']]) {
    const logits = predict(r.model, [words.map((w) => WORDS.indexOf(w))])[0]?.data as Float32Array;
    const p = 1 / (1 + Math.exp((logits[0] as number) - (logits[1] as number)));
    console.log(`  "${words.join(' ')}": positive with probability ${p.toFixed(2)}`);
  }
}
