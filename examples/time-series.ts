/**
 * Time-series regression: predict the next value of a noisy sine wave.
 *
 * Each example is a window of 24 observations y_t = sin(2πt/P + φ) + ε_t of
 * a wave with its own period P ∈ [8, 24) and phase φ, with noise
 * ε ~ N(0, 0.05²); the target is the next observation. The noise of the
 * target cannot be predicted, so the best possible MSE is 0.05² = 0.0025.
 * Baselines: repeating the last value, and extrapolating the last two
 * linearly (2y_t − y_{t−1}).
 *
 *   model: GRU(1 → 32) → takeLast → linear(32 → 1)
 *   loss:  mean squared error; Adam lr 0.01; validation on 20% held out; early stopping
 *
 * Run (after `npx tsc -p tsconfig.json`): node dist/examples/time-series.js [--epochs 40] [--seed 1]
 */
import { fileURLToPath } from 'node:url';
import { evaluate, fit, type History, predict, progressPrinter, Random, Sequential } from '../src/index.js';
import { numberOption } from './args.js';

export const WINDOW = 24;
export const NOISE = 0.05;

/** `n` windows of a noisy sine and the observation after each. */
export function sineWindows(n: number, rng: Random): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const period = rng.uniform(8, 24);
    const phase = rng.uniform(0, 2 * Math.PI);
    const series = Array.from({ length: WINDOW + 1 }, (_, t) => Math.sin((2 * Math.PI * t) / period + phase) + rng.normal(0, NOISE));
    x.push(series.slice(0, WINDOW));
    y.push(series[WINDOW] as number);
  }
  return { x, y };
}

/** MSE of predicting each target from its window with `rule`. */
export function baselineMse(data: { x: number[][]; y: number[] }, rule: (window: number[]) => number): number {
  let sum = 0;
  data.x.forEach((w, i) => (sum += (rule(w) - (data.y[i] as number)) ** 2));
  return sum / data.x.length;
}

export const repeatLast = (w: number[]): number => w[w.length - 1] as number;
export const extrapolate = (w: number[]): number => 2 * (w[w.length - 1] as number) - (w[w.length - 2] as number);

export interface TimeSeriesResult {
  model: Sequential;
  history: History;
  testMse: number;
  repeatLastMse: number;
  extrapolateMse: number;
}

export function runTimeSeries({ epochs = 40, seed = 1, log }: { epochs?: number; seed?: number; log?: (line: string) => void } = {}): TimeSeriesResult {
  const rng = new Random(seed);
  const data = sineWindows(1000, rng);
  const test = sineWindows(500, rng);
  const model = new Sequential([
    { type: 'gru', inputSize: 1, hiddenSize: 32 },
    { type: 'takeLast' },
    { type: 'linear', outFeatures: 1 },
  ], { seed });
  const history = fit(model, data, {
    loss: 'mse', optimizer: 'adam', lr: 0.01, epochs, batchSize: 32, seed, validation: 0.2,
    earlyStopping: { patience: 5, restoreBestWeights: true },
    ...(log ? { callbacks: progressPrinter(log) } : {}),
  });
  return {
    model, history,
    testMse: evaluate(model, test, { loss: 'mse' }).loss,
    repeatLastMse: baselineMse(test, repeatLast),
    extrapolateMse: baselineMse(test, extrapolate),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = runTimeSeries({ epochs: numberOption('time-series', 'epochs', 'EPOCHS', 40), seed: numberOption('time-series', 'seed', 'SEED', 1), log: console.log });
  console.log(`test MSE ${r.testMse.toFixed(5)}; repeating the last value ${r.repeatLastMse.toFixed(5)}, linear extrapolation ${r.extrapolateMse.toFixed(5)}, noise floor ${(NOISE ** 2).toFixed(5)}`);
  const sample = sineWindows(3, new Random(99));
  const pred = predict(r.model, sample.x);
  sample.y.forEach((target, i) => console.log(`  next value ${target.toFixed(3)}, predicted ${(pred[i]?.data[0] as number).toFixed(3)}`));
}
