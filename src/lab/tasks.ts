/**
 * The classic tasks, side by side (docs/classic-tasks.md has the long runs):
 *
 * - Adding problem ({@link addingComparison}): learning curves (test MSE
 *   against updates) of a tanh RNN, an IRNN (ReLU, W_hh = I: Le, Jaitly &
 *   Hinton 2015), an LSTM (Hochreiter & Schmidhuber 1997) and a GRU (Cho et
 *   al. 2014) on one test set, against the trivial MSE of always answering 1
 *   (1/6 in expectation). Each model is trained by {@link runAdding}: Adam,
 *   global-norm clipping, a fresh batch per update.
 * - Delayed recall ({@link recallTruncation}): final test accuracy against
 *   the truncation k2 of TBPTT(k1, k2) (Williams & Peng 1990), beside full
 *   BPTT and RTRL (Williams & Zipser 1989), neither of which truncates. The
 *   loss at step t reaches the input it must recall, x_{t−L}, only if
 *   t − L lies inside the window of k2 steps the gradient flows back through:
 *   for no output when k2 ≤ L, for every output when k2 ≥ L + k1. Each run is
 *   {@link runRecall}.
 *
 * Both return plain numbers, drawn by {@link addingFigure} and
 * {@link recallFigure}; {@link TASKS_FULL} and {@link TASKS_QUICK} are the
 * settings of `recurrent lab tasks` and of its `--quick`.
 */
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/index.js';
import { type LineSeries, lineChartSpec } from '../figures/lines.js';
import { fitDecay } from '../insight/decay.js';
import { Random } from '../random.js';
import { addingProblem } from '../tasks/adding.js';
import { ADDING_MODELS, type AddingModel, type AddingNet, type AddingPoint, addingNet, runAdding } from '../tasks/adding-run.js';
import { allocate } from '../tensor.js';
import { gradientByDistance } from './vanishing.js';
import { type RecallRunOptions, runRecall } from '../tasks/recall-run.js';

/** One model of the adding comparison and the settings it trains with. */
export interface AddingEntry {
  /** Its name in legends and tables. */
  readonly name: string;
  readonly model: AddingModel;
  readonly hiddenSize: number;
  /** Adam learning rate. */
  readonly lr: number;
}

/**
 * The four models, sized to about the same number of parameters (4.4k–4.6k
 * with the readout), with the learning rates of docs/classic-tasks.md: 1e-3
 * for the Elman RNNs, 1e-2 for the gated cells.
 */
export const ADDING_ENTRIES: readonly AddingEntry[] = [
  { name: 'tanh RNN', model: ADDING_MODELS.tanh, hiddenSize: 64, lr: 1e-3 },
  { name: 'IRNN', model: ADDING_MODELS.irnn, hiddenSize: 64, lr: 1e-3 },
  { name: 'LSTM', model: ADDING_MODELS.lstm, hiddenSize: 32, lr: 1e-2 },
  { name: 'GRU', model: { cell: 'gru' }, hiddenSize: 37, lr: 1e-2 },
];

/** Options of {@link addingComparison}. */
export interface AddingComparisonOptions {
  /** Sequence length T. */
  length: number;
  /** Updates per model. */
  steps: number;
  batchSize: number;
  /** Largest global gradient norm. */
  clip: number;
  /** Seed of every model and of the training stream. */
  seed: number;
  /** Held-out sequences (the same for every model). */
  testSize: number;
  /** Evaluate every this many updates. */
  evalEvery: number;
  models: readonly AddingEntry[];
  /** Kernels (default: the reference TypeScript backend). */
  backend?: Backend;
  /** Called after every evaluation of every model. */
  onEval?: (model: string, point: AddingPoint) => void;
}

/** One model's learning curve. */
export interface AddingCurve {
  readonly name: string;
  readonly cell: CellType;
  readonly init: 'default' | 'identity';
  readonly hiddenSize: number;
  readonly lr: number;
  readonly parameters: number;
  /** Updates at each evaluation, and the test MSE there. */
  readonly steps: number[];
  readonly testMse: number[];
  readonly finalTestMse: number;
  readonly bestTestMse: number;
  /** The first evaluation at most a tenth of the trivial MSE, or null. */
  readonly firstStepBelowTenth: number | null;
  readonly seconds: number;
  /** How the prediction's gradient fades back in time, before and after training ({@link readoutGradientDecay}). */
  readonly decayBefore: ReadoutDecay;
  readonly decayAfter: ReadoutDecay;
}

/** How far back the gradient of the prediction reaches: see {@link readoutGradientDecay}. */
export interface ReadoutDecay {
  /** Decay per step ρ of g(k) (least squares on ln g). */
  readonly rate: number;
  /** log10 (g(T−1) / g(0)): the share of the gradient that reaches the first step (NaN if it underflowed to 0). */
  readonly log10FirstToLast: number;
  /** `(T)` g(k), k = 0 … T−1 (the norm over the batch). */
  readonly g: readonly number[];
}

/**
 * The vanishing-gradient measurement on the task itself: for 64 adding
 * sequences of length T, g(k) = ‖∂ŷ/∂h_{T−k}‖ where ŷ = w·h_T + b is the
 * prediction — how much the answer can still learn from the state k steps
 * back. The marked numbers sit anywhere in the sequence, so a model can only
 * learn the task if g does not vanish over the whole length. Measured before
 * training (the initialisation) and after it (what training made of it):
 * an LSTM's forget gate learns to stay near 1 and opens the cell-state path.
 */
export function readoutGradientDecay(net: AddingNet, length: number, seed: number): ReadoutDecay {
  const B = 64;
  const H = net.layer.hiddenSize;
  const batch = addingProblem(new Random(seed), { length, batchSize: B, dtype: net.layer.dtype });
  const w = net.head.stateDict().weight?.data as ArrayLike<number>;
  const dhN = allocate(net.layer.dtype, B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dhN[b * H + j] = w[j] as number; // ∂ŷ_b/∂h_T = w
  const { h } = gradientByDistance(net.layer, batch.input, { data: dhN, shape: [1, B, H] });
  net.layer.zeroGrad();
  const last = h[length - 1] as number;
  return { rate: fitDecay(h).rate, log10FirstToLast: last > 0 ? Math.log10(last / (h[0] as number)) : NaN, g: Array.from(h) };
}

export interface AddingComparison {
  readonly length: number;
  /** MSE of always answering 1 on the test set (≈ 1/6). */
  readonly trivialTestMse: number;
  /** MSE of answering the test set's own mean target. */
  readonly bestConstantTestMse: number;
  readonly curves: AddingCurve[];
}

/** Trains each model of `o.models` on the adding problem and returns the learning curves. */
export function addingComparison(o: AddingComparisonOptions): AddingComparison {
  if (o.models.length === 0) throw new Error('addingComparison: expected at least one model, got none');
  let trivialTestMse = Number.NaN;
  let bestConstantTestMse = Number.NaN;
  const curves = o.models.map((entry): AddingCurve => {
    const initial = addingNet(entry.model, entry.hiddenSize, o.seed, 'float32', o.backend);
    const decayBefore = readoutGradientDecay(initial, o.length, o.seed + 777);
    const r = runAdding({
      model: entry.model, length: o.length, hiddenSize: entry.hiddenSize, steps: o.steps, batchSize: o.batchSize, lr: entry.lr,
      clip: o.clip, seed: o.seed, testSize: o.testSize, evalEvery: o.evalEvery,
      ...(o.backend ? { backend: o.backend } : {}),
      ...(o.onEval ? { onEval: (p: AddingPoint) => o.onEval?.(entry.name, p) } : {}),
    });
    trivialTestMse = r.trivialTestMse;
    bestConstantTestMse = r.bestConstantTestMse;
    const below = r.curve.find((p) => p.testMse <= r.trivialTestMse / 10);
    return {
      name: entry.name, cell: entry.model.cell, init: entry.model.init ?? 'default', hiddenSize: entry.hiddenSize, lr: entry.lr,
      parameters: r.parameters,
      steps: r.curve.map((p) => p.step),
      testMse: r.curve.map((p) => p.testMse),
      finalTestMse: r.finalTestMse,
      bestTestMse: Math.min(...r.curve.map((p) => p.testMse)),
      firstStepBelowTenth: below ? below.step : null,
      seconds: r.seconds,
      decayBefore,
      decayAfter: readoutGradientDecay(r.net, o.length, o.seed + 777),
    };
  });
  return { length: o.length, trivialTestMse, bestConstantTestMse, curves };
}

/**
 * Options of {@link recallTruncation}: one setting of {@link runRecall} for
 * every run (k1, seed and test size required), the truncations to try and
 * the untruncated methods beside them.
 */
export interface RecallTruncationOptions
  extends Omit<RecallRunOptions, 'method' | 'k1' | 'k2' | 'seed' | 'testSize' | 'onEval' | 'target' | 'dtype' | 'evalEvery'> {
  /** Steps between TBPTT's (and RTRL's) updates. */
  k1: number;
  /** The truncations k2 of TBPTT(k1, k2) to try, each ≥ k1. */
  truncations: readonly number[];
  /** Untruncated methods to run beside them. */
  references: readonly ('bptt' | 'rtrl')[];
  seed: number;
  /** Test sequences (of 2L + 40 steps). */
  testSize: number;
  /** Called after each run. */
  onRun?: (run: RecallTruncationRun) => void;
}

/** One training run of {@link recallTruncation}. */
export interface RecallTruncationRun {
  readonly method: 'tbptt' | 'bptt' | 'rtrl';
  /** TBPTT's truncation; null for the untruncated methods. */
  readonly k2: number | null;
  /** e.g. `TBPTT(4, 8)`, `BPTT`, `RTRL (k1 = 4)`. */
  readonly label: string;
  /** Test accuracy and cross-entropy over the steps t ≥ L, after the last episode. */
  readonly accuracy: number;
  readonly loss: number;
  readonly updates: number;
  readonly seconds: number;
}

export interface RecallTruncation {
  readonly lag: number;
  readonly k1: number;
  /** 1/K and ln K. */
  readonly chanceAccuracy: number;
  readonly chanceLoss: number;
  /** TBPTT runs, by increasing k2. */
  readonly truncated: RecallTruncationRun[];
  /** The untruncated runs, in the order of `references`. */
  readonly untruncated: RecallTruncationRun[];
}

/** Trains delayed recall with TBPTT at each truncation and with each reference method; final test accuracy of each. */
export function recallTruncation(o: RecallTruncationOptions): RecallTruncation {
  for (const k2 of o.truncations) {
    if (!(Number.isInteger(k2) && k2 >= o.k1)) throw new Error(`recallTruncation: each truncation k2 must be an integer ≥ k1 = ${o.k1}, got ${k2}`);
  }
  const { truncations: _t, references: _r, onRun: _o, k1: _k, ...settings } = o;
  const common = { ...settings, evalEvery: o.episodes }; // evaluated once, after the last episode
  let chanceAccuracy = Number.NaN;
  let chanceLoss = Number.NaN;
  const run = (method: RecallTruncationRun['method'], k2: number | null): RecallTruncationRun => {
    const r = runRecall({ ...common, method, ...(method === 'bptt' ? {} : { k1: o.k1, k2: k2 ?? o.k1 }) });
    chanceAccuracy = r.chanceAccuracy;
    chanceLoss = r.chanceLoss;
    const label = method === 'tbptt' ? `TBPTT(${o.k1}, ${k2})` : method === 'bptt' ? 'BPTT' : `RTRL (k1 = ${o.k1})`;
    const result = { method, k2, label, accuracy: r.finalAccuracy, loss: r.finalLoss, updates: r.updates, seconds: r.seconds };
    o.onRun?.(result);
    return result;
  };
  const truncated = [...o.truncations].sort((a, b) => a - b).map((k2) => run('tbptt', k2));
  const untruncated = o.references.map((method) => run(method, null));
  return { lag: o.lag, k1: o.k1, chanceAccuracy, chanceLoss, truncated, untruncated };
}

/** The settings of one `recurrent lab tasks` run. */
export interface TasksSettings {
  readonly adding: Omit<AddingComparisonOptions, 'backend' | 'onEval'>;
  readonly recall: Omit<RecallTruncationOptions, 'backend' | 'onRun'>;
}

/**
 * The full run: adding problem at T = 100, 8000 updates per model, batch 32,
 * clip 1, 500 test sequences; delayed recall with L = 8, K = 4, a tanh RNN of
 * 16 units, sequences of 40, batch 16, Adam 3e-3, 600 episodes per run, k1 = 4
 * and k2 from 4 to 16 (the settings of docs/classic-tasks.md).
 */
export const TASKS_FULL: TasksSettings = {
  adding: { length: 100, steps: 8000, batchSize: 32, clip: 1, seed: 1, testSize: 500, evalEvery: 100, models: ADDING_ENTRIES },
  recall: {
    cell: 'rnn_tanh', lag: 8, alphabet: 4, hiddenSize: 16, length: 40, batchSize: 16, episodes: 600, lr: 3e-3,
    k1: 4, truncations: [4, 6, 8, 10, 12, 16], references: ['bptt', 'rtrl'], seed: 1, testSize: 200,
  },
};

/** `--quick`: the adding problem at T = 40 for 1000 updates, and recall with 300 episodes and four truncations. */
export const TASKS_QUICK: TasksSettings = {
  adding: { ...TASKS_FULL.adding, length: 40, steps: 1000 },
  recall: { ...TASKS_FULL.recall, episodes: 300, truncations: [4, 8, 12, 16] },
};

/** Extra points of a line: the same y at the first and last x. */
function across(name: string, x0: number, x1: number, y: number): LineSeries {
  return { name, x: [x0, x1], y: [y, y], dash: true };
}

/** Test MSE against updates, one line per model, log scale, the trivial MSE dashed. */
export function addingFigure(a: AddingComparison): Record<string, unknown> {
  const last = Math.max(...a.curves.map((c) => c.steps[c.steps.length - 1] ?? 0));
  return lineChartSpec({
    title: `Adding problem, T = ${a.length}: test MSE while training`,
    xTitle: 'updates (Adam, batch of fresh sequences)',
    yTitle: 'test MSE',
    yLog: true,
    width: 520,
    height: 300,
    series: [
      ...a.curves.map((c) => ({ name: `${c.name} (H ${c.hiddenSize}, lr ${c.lr})`, x: c.steps, y: c.testMse })),
      across(`always answering 1: ${a.trivialTestMse.toFixed(4)}`, 0, last, a.trivialTestMse),
    ],
  });
}

/**
 * Final test accuracy against TBPTT's truncation k2, with the untruncated
 * methods as flat lines across, chance dashed, and the delay L as a dashed
 * vertical line.
 */
export function recallFigure(r: RecallTruncation): Record<string, unknown> {
  const k2s = r.truncated.map((run) => run.k2 as number);
  const lo = Math.min(...k2s, r.lag);
  const hi = Math.max(...k2s, r.lag);
  return lineChartSpec({
    title: `Delayed recall, delay L = ${r.lag}: what truncating the gradient costs`,
    xTitle: 'k2: steps the gradient flows back (TBPTT)',
    yTitle: 'test accuracy after training',
    yDomain: [0, 1],
    width: 520,
    height: 300,
    series: [
      { name: `TBPTT(${r.k1}, k2)`, x: k2s, y: r.truncated.map((run) => run.accuracy) },
      ...r.untruncated.map((run) => ({ name: `${run.label}: not truncated`, x: [lo, hi], y: [run.accuracy, run.accuracy] })),
      across(`chance 1/K = ${r.chanceAccuracy}`, lo, hi, r.chanceAccuracy),
      { name: `delay L = ${r.lag}`, x: [r.lag, r.lag], y: [0, 1], dash: true },
    ],
  });
}
