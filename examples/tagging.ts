/**
 * Many-to-many tagging: one label per step.
 *
 * Strings over `a b ( )` with balanced, nested parentheses (depth ≤ 3),
 * 6–30 characters long, generated here. Each character is tagged 1 when it
 * lies inside parentheses — the depth after reading it is > 0 — else 0.
 * The tag is not a function of the character: an `a` is tagged by the
 * brackets before it, so the model has to count.
 *
 *   model: embedding(4 → 8) → LSTM(24) → linear(24 → 2)     (a label per step)
 *   loss:  cross-entropy over the valid steps of each padded batch; Adam lr 0.02
 *
 * Run (after `npx tsc -p tsconfig.json`): node dist/examples/tagging.js [--epochs 12] [--seed 1]
 */
import { fileURLToPath } from 'node:url';
import { evaluate, fit, type History, predict, progressPrinter, Random, Sequential } from '../src/index.js';
import { numberOption } from './args.js';

export const SYMBOLS = ['a', 'b', '(', ')'];

/** One string as ids, and its tags. */
export function bracketString(rng: Random): { ids: number[]; tags: number[] } {
  const length = 6 + rng.int(25);
  const ids: number[] = [];
  const tags: number[] = [];
  let depth = 0;
  for (let t = 0; t < length; t++) {
    const left = length - t; // characters still to write, including this one
    let id: number;
    if (depth >= left) id = 3; // close what is open while there is room
    else if (depth > 0 && rng.next() < 0.2) id = 3;
    else if (depth < 3 && depth + 1 < left && rng.next() < 0.2) id = 2;
    else id = rng.int(2);
    depth += id === 2 ? 1 : id === 3 ? -1 : 0;
    ids.push(id);
    tags.push(depth > 0 ? 1 : 0);
  }
  return { ids, tags };
}

export function bracketData(n: number, rng: Random): { x: number[][]; y: number[][] } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < n; i++) {
    const { ids, tags } = bracketString(rng);
    x.push(ids);
    y.push(tags);
  }
  return { x, y };
}

/**
 * Per-character accuracy of the best tagger that sees only the character
 * (its most frequent tag in `train`), scored on `test`.
 */
export function unigramAccuracy(train: { x: number[][]; y: number[][] }, test: { x: number[][]; y: number[][] }): number {
  const counts = SYMBOLS.map(() => [0, 0]);
  train.x.forEach((ids, i) => ids.forEach((id, t) => {
    const c = counts[id] as [number, number];
    c[(train.y[i] as number[])[t] as 0 | 1]++;
  }));
  const guess = counts.map(([zero, one]) => ((one as number) > (zero as number) ? 1 : 0));
  let correct = 0;
  let total = 0;
  test.x.forEach((ids, i) => ids.forEach((id, t) => {
    if (guess[id] === (test.y[i] as number[])[t]) correct++;
    total++;
  }));
  return correct / total;
}

export interface TaggingResult {
  model: Sequential;
  history: History;
  testAccuracy: number;
  unigram: number;
}

export function runTagging({ epochs = 12, seed = 1, log }: { epochs?: number; seed?: number; log?: (line: string) => void } = {}): TaggingResult {
  const rng = new Random(seed);
  const train = bracketData(600, rng);
  const validation = bracketData(100, rng);
  const test = bracketData(300, rng);
  const model = new Sequential([
    { type: 'embedding', numEmbeddings: SYMBOLS.length, embeddingDim: 8 },
    { type: 'lstm', hiddenSize: 24 },
    { type: 'linear', outFeatures: 2 },
  ], { seed });
  const history = fit(model, train, {
    loss: 'crossEntropy', optimizer: 'adam', lr: 0.02, epochs, batchSize: 32, seed, validation, clipNorm: 1,
    ...(log ? { callbacks: progressPrinter(log) } : {}),
  });
  const testAccuracy = evaluate(model, test, { loss: 'crossEntropy' }).accuracy as number;
  return { model, history, testAccuracy, unigram: unigramAccuracy(train, test) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = runTagging({ epochs: numberOption('tagging', 'epochs', 'EPOCHS', 12), seed: numberOption('tagging', 'seed', 'SEED', 1), log: console.log });
  console.log(`test accuracy per character ${r.testAccuracy.toFixed(4)} (tagging by the character alone: ${r.unigram.toFixed(4)})`);
  const text = 'ab(a(b)a)b(ba)((a))b';
  const out = predict(r.model, [[...text].map((c) => SYMBOLS.indexOf(c))])[0];
  const tags = out ? Array.from({ length: text.length }, (_, t) => ((out.data[2 * t + 1] as number) > (out.data[2 * t] as number) ? '1' : '0')).join('') : '';
  console.log(`  ${text}\n  ${tags}`);
}
