/**
 * Exploding gradients and clipping, measured (Pascanu, Mikolov & Bengio 2013,
 * "On the difficulty of training recurrent neural networks", ICML).
 *
 * The model: a tanh RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),
 * read out from h_T by a Linear, on the adding problem ({@link addingProblem})
 * with the MSE. W_hh = s·Q with Q orthogonal (Saxe et al. 2014): every
 * singular value of W_hh is s, and since an orthogonal matrix's eigenvalues lie
 * on the unit circle its spectral radius is s as well. The other weights keep
 * PyTorch's default U(±1/√H). Through one step ∂h_t/∂h_{t−1} =
 * diag(1 − h_t²) W_hh, so with s > 1 the gradient from h_T to earlier states
 * can grow like s^k along directions where the units are not saturated.
 *
 * Plain SGD, θ ← θ − γ g, three runs from the SAME initial weights on the SAME
 * batches, differing only in what is done to g (n parameters, threshold c):
 *
 *   'none'   g as computed                                   ‖Δθ‖ = γ ‖g‖
 *   'value'  gᵢ ← min(c, max(−c, gᵢ))   (clipGradValue)     ‖Δθ‖ ≤ γ c √n
 *   'norm'   g ← g · min(1, c / (‖g‖ + 1e−6))   (clipGradNorm)   ‖Δθ‖ ≤ γ c
 *
 * Each step records the global gradient norm ‖g‖₂ before clipping, the norm of
 * the update actually applied ‖θ_after − θ_before‖₂ (float32 differences
 * summed in float64), and the batch loss. A run stops at the first step whose
 * loss or gradient norm is not finite, before updating; that step is named in
 * {@link ExplodingRun.stopped}.
 *
 * {@link explodingFigure} draws the gradient norm and the loss against the
 * step, one line per mode.
 *
 * With the defaults (s = 2, T = 50, γ = 0.05, c = 1) the unclipped run's
 * gradient norm grows from 2.6e3 to 1.4e20 and its loss overflows float32
 * at step 56 (56–61 over seeds 0–4); both clipped runs stay finite, and the
 * one clipped by global norm comes down to about the trivial MSE. With s = 1
 * the same unclipped SGD stays below ‖g‖ = 8 and trains like the others.
 *
 * Example:
 *   const r = explodingExperiment({ scale: 2, steps: 200 });
 *   r.runs.map((run) => [run.mode, run.maxGradNorm, run.stopped?.step]);
 */
import { reshape } from '../autograd/ops.js';
import { checkOptionKeys } from '../checks.js';
import { constant } from '../autograd/variable.js';
import { type LineChart, type LineSeries, panelsSpec } from '../figures/lines.js';
import { orthogonal } from '../init.js';
import { ClipStatistics, type ClipSummary } from '../insight/gradient-norms.js';
import { recurrentSpectra } from '../insight/spectra.js';
import { Linear } from '../layers/linear.js';
import { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import { Random } from '../random.js';
import { ADDING_TRIVIAL_MSE, addingProblem } from '../tasks/adding.js';
import { clipGradNorm, clipGradValue } from '../train/clip.js';
import { mse } from '../train/loss.js';
import { SGD } from '../train/optim.js';

/** What is done to the gradient before the SGD step. */
export type ClipMode = 'none' | 'value' | 'norm';

/** The three runs, in the order they are made and drawn. */
export const CLIP_MODES: readonly ClipMode[] = ['none', 'value', 'norm'];

/** How each mode is named in tables and legends. */
export const CLIP_MODE_LABELS: Readonly<Record<ClipMode, string>> = {
  none: 'no clipping',
  value: 'clip by value',
  norm: 'clip by global norm',
};

/** Options of {@link explodingExperiment}; every one has a default. */
export interface ExplodingOptions {
  /** s: W_hh = s·Q, Q orthogonal; the spectral radius and every singular value of W_hh (default 2). */
  scale?: number;
  /** Sequence length T of the adding problem (default 50). */
  length?: number;
  /** Hidden units H (default 32). */
  hiddenSize?: number;
  /** Sequences per step (default 32). */
  batchSize?: number;
  /** SGD steps per run (default 500). */
  steps?: number;
  /** SGD learning rate γ (default 0.05). */
  lr?: number;
  /** c: the largest gradient element ('value') or global norm ('norm') (default 1). */
  clip?: number;
  /** Seed of the weights and of the batch stream (default 0). */
  seed?: number;
  /** Called after every step that updated the weights. */
  onStep?: (mode: ClipMode, step: number, loss: number) => void;
}

/** The settings of an experiment, defaults filled in. */
export interface ExplodingConfig {
  scale: number;
  length: number;
  hiddenSize: number;
  batchSize: number;
  steps: number;
  lr: number;
  clip: number;
  seed: number;
}

export const EXPLODING_DEFAULTS: Readonly<ExplodingConfig> = {
  scale: 2, length: 50, hiddenSize: 32, batchSize: 32, steps: 500, lr: 0.05, clip: 1, seed: 0,
};

/** One run: per-step arrays hold the steps that updated the weights (step i at index i). */
export interface ExplodingRun {
  readonly mode: ClipMode;
  /** Batch loss (MSE) at each step, before its update. */
  readonly loss: number[];
  /** Global gradient norm ‖g‖₂ before clipping. */
  readonly gradNorm: number[];
  /** ‖Δθ‖₂ of the update applied. */
  readonly updateNorm: number[];
  /** The first step whose loss or gradient norm was not finite (the run ended there, without updating), or null. */
  readonly stopped: { readonly step: number; readonly reason: string } | null;
  /** Fraction of steps on which clipping changed the gradient (0 for 'none'). */
  readonly clipRate: number;
  /** The global norms before clipping, as {@link ClipStatistics} summarises them (threshold c for 'norm', none otherwise). */
  readonly clipStatistics: ClipSummary;
  /** Loss of the last step recorded, and the lowest. */
  readonly finalLoss: number;
  readonly bestLoss: number;
  readonly maxGradNorm: number;
  readonly maxUpdateNorm: number;
  /** σ₁ of W_hh after the run (NaN when its weights are not finite). */
  readonly finalSigma1: number;
  readonly seconds: number;
}

export interface ExplodingResult {
  readonly config: Readonly<ExplodingConfig>;
  /** Scalar parameters n (layer and readout). */
  readonly parameters: number;
  /** Spectral radius of the initial W_hh: s, exactly, for s times an orthogonal matrix. */
  readonly spectralRadius: number;
  /** σ₁ of the initial W_hh as `recurrentSpectra` measures it (s up to rounding). */
  readonly sigma1: number;
  /** The MSE of always answering 1, in expectation (1/6). */
  readonly trivialLoss: number;
  /** γ c: the largest update under clipping by global norm. */
  readonly normUpdateBound: number;
  /** γ c √n: the largest update under clipping by value. */
  readonly valueUpdateBound: number;
  readonly runs: ExplodingRun[];
}

/** The tanh RNN and its readout, with W_hh = scale · orthogonal. */
function explodingNet(c: ExplodingConfig): { store: ParameterStore; layer: RNN; head: Linear } {
  const store = new ParameterStore('float32', 'lab.exploding');
  const layer = new RNN({ inputSize: 2, hiddenSize: c.hiddenSize, params: store, prefix: 'rnn.', seed: c.seed });
  orthogonal(store, 'rnn.weight_hh_l0', new Random(c.seed + 1), { gain: c.scale });
  const head = new Linear({ inFeatures: c.hiddenSize, outFeatures: 1, params: store, prefix: 'head.', seed: c.seed + 2 });
  return { store, layer, head };
}

function checkConfig(c: ExplodingConfig): void {
  const positive = (name: keyof ExplodingConfig): void => {
    if (!(Number.isFinite(c[name]) && c[name] > 0)) throw new Error(`explodingExperiment: ${name} must be a positive number, got ${String(c[name])}`);
  };
  const integer = (name: keyof ExplodingConfig, min: number): void => {
    if (!(Number.isInteger(c[name]) && c[name] >= min)) throw new Error(`explodingExperiment: ${name} must be an integer ≥ ${min}, got ${String(c[name])}`);
  };
  positive('scale');
  positive('lr');
  positive('clip');
  integer('length', 2);
  integer('hiddenSize', 1);
  integer('batchSize', 1);
  integer('steps', 1);
  integer('seed', 0);
}

/** σ₁ of the layer's W_hh, or NaN when a weight is not finite. */
function sigma1(layer: RNN): number {
  const w = layer.params.value(`${layer.prefix}weight_hh_l0`).data;
  for (const v of w) if (!Number.isFinite(v)) return Number.NaN;
  return recurrentSpectra(layer)[0]?.singularValues[0] as number;
}

/** The smallest or largest value (`pick` = Math.min or Math.max); NaN for none. */
function extreme(values: readonly number[], pick: (a: number, b: number) => number): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => pick(a, b));
}

/** Trains one copy of the net from `initial` with one clip mode. */
function explodingRun(mode: ClipMode, c: ExplodingConfig, initial: Float32Array, onStep?: ExplodingOptions['onStep']): ExplodingRun {
  const net = explodingNet(c);
  const { store, layer, head } = net;
  store.data.set(initial);
  const opt = new SGD(store, { lr: c.lr });
  const batches = new Random(c.seed + 1000);
  const before = new Float64Array(store.size);
  const statistics = new ClipStatistics();
  const loss: number[] = [];
  const gradNorm: number[] = [];
  const updateNorm: number[] = [];
  let stopped: ExplodingRun['stopped'] = null;
  let clippedSteps = 0;
  const started = performance.now();
  for (let step = 0; step < c.steps; step++) {
    const batch = addingProblem(batches, { length: c.length, batchSize: c.batchSize });
    opt.zeroGrad();
    const { hN } = layer.apply(constant(batch.input));
    const l = mse(head.apply(reshape(hN, [c.batchSize, c.hiddenSize])), batch.target);
    const value = l.item();
    if (!Number.isFinite(value)) {
      stopped = { step, reason: `the loss is ${value}` };
      break;
    }
    l.backward();
    // the norm before clipping; clipGradNorm scales the gradient only in 'norm' mode
    const norm = clipGradNorm(store, mode === 'norm' ? c.clip : Infinity, 2, { errorIfNonfinite: false });
    if (!Number.isFinite(norm)) {
      stopped = { step, reason: `the gradient norm is ${norm}` };
      break;
    }
    statistics.add(norm, mode === 'norm' ? c.clip : Infinity);
    if (mode === 'value' && clipGradValue(store, c.clip) > 0) clippedSteps++;
    before.set(store.data);
    opt.step();
    let ss = 0;
    for (let i = 0; i < before.length; i++) ss += ((store.data[i] as number) - (before[i] as number)) ** 2;
    loss.push(value);
    gradNorm.push(norm);
    updateNorm.push(Math.sqrt(ss));
    onStep?.(mode, step, value);
  }
  const clipStatistics = statistics.summary();
  const steps = loss.length;
  return {
    mode, loss, gradNorm, updateNorm, stopped,
    clipRate: mode === 'none' || steps === 0 ? 0 : mode === 'norm' ? clipStatistics.clipRate : clippedSteps / steps,
    clipStatistics,
    finalLoss: steps > 0 ? (loss[steps - 1] as number) : Number.NaN,
    bestLoss: extreme(loss, Math.min),
    maxGradNorm: extreme(gradNorm, Math.max),
    maxUpdateNorm: extreme(updateNorm, Math.max),
    finalSigma1: sigma1(layer),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs the three modes (see the module comment) and returns what each measured. */
export function explodingExperiment(options: ExplodingOptions = {}): ExplodingResult {
  checkOptionKeys('explodingExperiment', options, [...Object.keys(EXPLODING_DEFAULTS), 'onStep']);
  const { onStep } = options;
  const config = { ...EXPLODING_DEFAULTS };
  for (const key of Object.keys(EXPLODING_DEFAULTS) as (keyof ExplodingConfig)[]) config[key] = options[key] ?? EXPLODING_DEFAULTS[key];
  checkConfig(config);
  const { store, layer } = explodingNet(config);
  const initial = Float32Array.from(store.data);
  const n = store.size;
  return {
    config,
    parameters: n,
    spectralRadius: config.scale,
    sigma1: sigma1(layer),
    trivialLoss: ADDING_TRIVIAL_MSE,
    normUpdateBound: config.lr * config.clip,
    valueUpdateBound: config.lr * config.clip * Math.sqrt(n),
    runs: CLIP_MODES.map((mode) => explodingRun(mode, config, initial, onStep)),
  };
}

/** The loss panel's ceiling: an MSE of 100 is a prediction off by 10 on targets in [0, 2]; higher losses are not drawn. */
export const LOSS_CEILING = 100;

/** A run's name in the figure's legend: its mode, and where it stopped if it did. */
export function explodingRunLabel(run: ExplodingRun): string {
  return run.stopped ? `${CLIP_MODE_LABELS[run.mode]} (non-finite at step ${run.stopped.step})` : CLIP_MODE_LABELS[run.mode];
}

/**
 * Two panels against the step, on log scales: the global gradient norm
 * before clipping (with the threshold c dashed) and the batch loss up to
 * {@link LOSS_CEILING} (with the trivial MSE 1/6 dashed); one line per mode.
 */
export function explodingFigure(result: ExplodingResult): Record<string, unknown> {
  const { config } = result;
  const across = (name: string, y: number): LineSeries => ({ name, x: [0, config.steps - 1], y: [y, y], dash: true });
  const steps = (values: readonly number[]): number[] => values.map((_, i) => i);
  const charts: LineChart[] = [
    {
      title: 'Gradient norm ‖g‖ before clipping', xTitle: 'SGD step', yTitle: 'global L2 norm of the gradient', yLog: true, width: 520, height: 240,
      series: [
        ...result.runs.map((run) => ({ name: explodingRunLabel(run), x: steps(run.gradNorm), y: run.gradNorm })),
        across(`threshold c = ${config.clip}`, config.clip),
      ],
    },
    {
      title: `Loss on the batch (values above ${LOSS_CEILING} not drawn)`, xTitle: 'SGD step', yTitle: 'MSE', yLog: true, width: 520, height: 240,
      series: [
        ...result.runs.map((run) => {
          const above = run.loss.findIndex((l) => l > LOSS_CEILING);
          const name = above < 0 ? explodingRunLabel(run) : `${explodingRunLabel(run)}, above ${LOSS_CEILING} from step ${above}`;
          return { name, x: steps(run.loss), y: run.loss.map((l) => (l > LOSS_CEILING ? Number.NaN : l)) };
        }),
        across('always answering 1 (MSE 1/6)', result.trivialLoss),
      ],
    },
  ];
  return panelsSpec(charts, {
    columns: 1,
    title: `Exploding gradients: tanh RNN, W_hh = ${config.scale} × orthogonal (spectral radius ${config.scale}), adding problem T = ${config.length}, SGD lr ${config.lr}, clip c = ${config.clip}`,
  });
}
