/**
 * Vanishing gradients, measured. One long sequence runs through a recurrent
 * layer; the loss sits at the last step only, L_T = Σ_b r · h_T^b; the
 * backward pass is watched ({@link watch}) and gives, for each distance k,
 *
 *   g(k) = ‖∂L_T/∂h_{T−k}‖ = ‖(∂h_T/∂h_{T−k})ᵀ ∂L_T/∂h_T‖,
 *   ∂h_T/∂h_{T−k} = Π_{s=T−k+1..T} ∂h_s/∂h_{s−1}     (tanh RNN: diag(1 − h_s²) W_hh)
 *
 * a product of k Jacobians, so g(k) ≈ g(0) ρ^k: the decay per step ρ is
 * fitted by least squares on ln g(k) ({@link fitDecay}). ρ < 1 is a vanishing
 * gradient: after 50 steps only ρ⁵⁰ of it is left. For an LSTM the cell-state
 * gradient ‖∂L_T/∂c_{T−k}‖ is measured beside it: ∂c_t/∂c_{t−1} = diag(f_t)
 * along the cell state, the "highway" that a forget gate near 1 keeps open.
 *
 * Protocol (the defaults): H = 128, I = 8, B = 16 sequences, T = 200 steps,
 * x_t ~ N(0, 1), r ~ N(0, 1/H), seeds 0–4; the configurations of
 * {@link VANISHING_CONFIGS}. Every run is deterministic given its seed.
 */
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/cell.js';
import { forgetGateBias, identity, orthogonal, zerosInit } from '../init.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { RecurrentLayer } from '../layers/stack.js';
import { Random } from '../random.js';
import { allocate, type DType, type Tensor } from '../tensor.js';
import { byDistanceFromEnd, fitDecay } from '../insight/decay.js';
import { watch } from '../insight/probe.js';
import { recurrentSpectra } from '../insight/spectra.js';
import { type LineChart, panelsSpec } from '../figures/lines.js';

/** How a configuration starts; weights not named keep PyTorch's default U(±1/√H). */
export interface VanishingConfig {
  readonly name: string;
  /** For figures and tables. */
  readonly label: string;
  readonly cell: CellType;
  /**
   * 'orthogonal': W_hh orthogonal (gain 1). 'identity': W_hh = I. 'irnn':
   * W_hh = I, biases 0, W_ih ~ N(0, 0.001²) (Le, Jaitly & Hinton 2015).
   */
  readonly init: 'default' | 'orthogonal' | 'identity' | 'irnn';
  /** LSTM: the forget gate's bias (b_if = value, b_hf = 0), else PyTorch's default. */
  readonly forgetBias?: number;
}

/** The configurations of the tutorial's claims, in the order of the figure. */
export const VANISHING_CONFIGS: readonly VanishingConfig[] = [
  { name: 'tanh', label: 'tanh RNN', cell: 'rnn_tanh', init: 'default' },
  { name: 'tanh-orthogonal', label: 'tanh RNN, orthogonal W_hh', cell: 'rnn_tanh', init: 'orthogonal' },
  { name: 'tanh-identity', label: 'tanh RNN, identity W_hh', cell: 'rnn_tanh', init: 'identity' },
  { name: 'irnn', label: 'IRNN (ReLU, identity W_hh)', cell: 'rnn_relu', init: 'irnn' },
  { name: 'leaky-identity', label: 'leaky ReLU RNN (0.01), identity W_hh', cell: 'rnn_leaky_relu', init: 'irnn' },
  { name: 'lstm', label: 'LSTM', cell: 'lstm', init: 'default' },
  { name: 'lstm-forget-bias-1', label: 'LSTM, forget bias 1', cell: 'lstm', init: 'default', forgetBias: 1 },
  { name: 'gru', label: 'GRU', cell: 'gru', init: 'default' },
];

export interface VanishingOptions {
  /** Steps per sequence (default 200). */
  length?: number;
  /** Hidden units (default 128). */
  hiddenSize?: number;
  /** Input features (default 8). */
  inputSize?: number;
  /** Sequences per run (default 16). */
  batch?: number;
  /** One run per seed (default 0–4). */
  seeds?: readonly number[];
  /** Names from {@link VANISHING_CONFIGS} (default all). */
  configs?: readonly string[];
  dtype?: DType;
  backend?: Backend;
  /** Told after each run. */
  onRun?: (done: number, total: number, config: VanishingConfig) => void;
}

/** What one configuration showed, over its seeds. */
export interface VanishingCurve {
  readonly config: VanishingConfig;
  /** `(T)` mean over seeds of log10 g(k), k = 0 … T−1 (NaN where g(k) underflowed to 0 in some seed). */
  readonly log10H: Float64Array;
  /** `(T)` the same for ‖∂L_T/∂c_{T−k}‖ (LSTM), else null. */
  readonly log10C: Float64Array | null;
  /** The fitted ln ρ of each seed. */
  readonly logRates: readonly number[];
  /** e^{mean ln ρ}, and the range over seeds. */
  readonly rate: number;
  readonly rateRange: readonly [number, number];
  /** Mean over seeds of log10 (g(50) / g(0)) (−Infinity when g(50) underflowed to 0 in every seed; NaN when T ≤ 50). */
  readonly log10Ratio50: number;
  /** The cell-state path's e^{mean ln ρ_c} (LSTM), else null. */
  readonly cellStateRate: number | null;
  /** Mean over seeds of the largest singular value of W_hh's blocks at the start. */
  readonly sigma1: number;
  /** Seeds in which g(k) underflowed to exactly 0 for some k. */
  readonly underflowSeeds: number;
}

export interface VanishingResult {
  readonly length: number;
  readonly hiddenSize: number;
  readonly inputSize: number;
  readonly batch: number;
  readonly seeds: readonly number[];
  readonly dtype: DType;
  readonly curves: readonly VanishingCurve[];
}

/** Builds the layer of a configuration from `seed` (weights and the init's own draws). */
export function vanishingLayer(config: VanishingConfig, inputSize: number, hiddenSize: number, seed: number, dtype: DType = 'float32', backend?: Backend): RecurrentLayer {
  const options = { inputSize, hiddenSize, seed, dtype, ...(backend ? { backend } : {}) };
  const layer: RecurrentLayer =
    config.cell === 'lstm' ? new LSTM(options)
    : config.cell === 'gru' ? new GRU(options)
    : new RNN({ ...options, nonlinearity: config.cell === 'rnn_tanh' ? 'tanh' : config.cell === 'rnn_relu' ? 'relu' : 'leaky_relu' });
  const store = layer.params;
  const rng = new Random(seed ^ 0x5eed);
  if (config.init === 'orthogonal') orthogonal(store, 'weight_hh_l0', rng);
  if (config.init === 'identity' || config.init === 'irnn') identity(store, 'weight_hh_l0');
  if (config.init === 'irnn') {
    zerosInit(store, 'bias_ih_l0');
    zerosInit(store, 'bias_hh_l0');
    const w = store.ref('weight_ih_l0');
    for (let i = 0; i < w.size; i++) store.data[w.offset + i] = rng.normal(0, 0.001);
  }
  if (config.forgetBias !== undefined) {
    forgetGateBias(store, 'bias_ih_l0', hiddenSize, config.forgetBias);
    forgetGateBias(store, 'bias_hh_l0', hiddenSize, 0);
  }
  return layer;
}

/**
 * g(k) = ‖∂L/∂h_{T−k}‖ and (LSTM) the cell-state g_c(k) for a loss at the last
 * step only, L = Σ_b dhN_b · h_T^b, by distance k from the last step.
 * @param input `(T, B, I)` time-major.
 * @param dhN `(1, B, P)` ∂L/∂h_T.
 */
export function gradientByDistance(layer: RecurrentLayer, input: Tensor, dhN: Tensor): { h: Float64Array; c: Float64Array | null } {
  const probe = watch(layer, { gates: false });
  try {
    const out = layer.forward(input);
    layer.backward(out.ctx, { dhN });
    layer.release(out.ctx);
    const record = probe.record();
    return { h: byDistanceFromEnd(record.gradH as Float64Array), c: record.gradC ? byDistanceFromEnd(record.gradC) : null };
  } finally {
    probe.detach();
  }
}

/** The protocol's run: x_t ~ N(0, 1), L_T = Σ_b r · h_T^b with r ~ N(0, 1/H), drawn from `seed`. */
function protocolRun(layer: RecurrentLayer, length: number, batch: number, seed: number): { h: Float64Array; c: Float64Array | null } {
  const I = layer.inputSize;
  const H = layer.hiddenSize;
  const rng = new Random(seed);
  const x = allocate(layer.dtype, length * batch * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal(0, 1);
  const dhN = allocate(layer.dtype, batch * H);
  const r = Array.from({ length: H }, () => rng.normal(0, 1 / Math.sqrt(H)));
  for (let b = 0; b < batch; b++) for (let j = 0; j < H; j++) dhN[b * H + j] = r[j] as number;
  return gradientByDistance(layer, { data: x, shape: [length, batch, I] }, { data: dhN, shape: [1, batch, H] });
}

/** Mean of log10 over the seeds, per k; NaN where some seed's value is 0 or not finite (underflow, overflow). */
function meanLog10(runs: readonly Float64Array[], T: number): Float64Array {
  const out = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    let sum = 0;
    for (const g of runs) {
      const v = g[k] as number;
      sum += v > 0 && Number.isFinite(v) ? Math.log10(v) : NaN;
    }
    out[k] = sum / runs.length;
  }
  return out;
}

/** Runs the experiment: every configuration, every seed. */
export function vanishingExperiment(options: VanishingOptions = {}): VanishingResult {
  const T = options.length ?? 200;
  const H = options.hiddenSize ?? 128;
  const I = options.inputSize ?? 8;
  const B = options.batch ?? 16;
  const seeds = options.seeds ?? [0, 1, 2, 3, 4];
  const dtype = options.dtype ?? 'float32';
  for (const [name, v] of [['length', T], ['hiddenSize', H], ['inputSize', I], ['batch', B]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`vanishingExperiment: ${name} must be a positive integer, got ${String(v)}`);
  }
  if (T < 2) throw new Error(`vanishingExperiment: length must be at least 2 to fit a decay, got ${T}`);
  if (seeds.length === 0) throw new Error('vanishingExperiment: seeds must not be empty');
  const names = options.configs ?? VANISHING_CONFIGS.map((c) => c.name);
  const configs = names.map((name) => {
    const c = VANISHING_CONFIGS.find((x) => x.name === name);
    if (!c) throw new Error(`vanishingExperiment: no configuration '${name}' (have: ${VANISHING_CONFIGS.map((x) => x.name).join(', ')})`);
    return c;
  });
  const total = configs.length * seeds.length;
  let done = 0;
  const curves = configs.map((config): VanishingCurve => {
    const hs: Float64Array[] = [];
    const cs: Float64Array[] = [];
    const logRates: number[] = [];
    const cellRates: number[] = [];
    const ratios: number[] = [];
    let sigma = 0;
    let underflowSeeds = 0;
    for (const seed of seeds) {
      const layer = vanishingLayer(config, I, H, seed, dtype, options.backend);
      sigma += Math.max(...recurrentSpectra(layer).map((s) => s.singularValues[0] as number));
      const { h, c } = protocolRun(layer, T, B, seed + 1000);
      hs.push(h);
      if (c) {
        cs.push(c);
        cellRates.push(fitDecay(c).logRate);
      }
      if (h.some((v) => v === 0)) underflowSeeds++;
      logRates.push(fitDecay(h).logRate);
      if (T > 50) ratios.push(Math.log10((h[50] as number) / (h[0] as number)));
      options.onRun?.(++done, total, config);
    }
    const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    return {
      config,
      log10H: meanLog10(hs, T),
      log10C: cs.length ? meanLog10(cs, T) : null,
      logRates,
      rate: Math.exp(mean(logRates)),
      rateRange: [Math.exp(Math.min(...logRates)), Math.exp(Math.max(...logRates))],
      log10Ratio50: ratios.length ? mean(ratios) : NaN,
      cellStateRate: cellRates.length ? Math.exp(mean(cellRates)) : null,
      sigma1: sigma / seeds.length,
      underflowSeeds,
    };
  });
  return { length: T, hiddenSize: H, inputSize: I, batch: B, seeds, dtype, curves };
}

/** 10^v, element by element. */
function pow10(a: Float64Array): Float64Array {
  return a.map((v) => 10 ** v);
}

/**
 * The figure: (left) g(k) = ‖∂L_T/∂h_{T−k}‖ against k for every
 * configuration, log scale, geometric mean over seeds; (right) for the
 * LSTMs, the cell-state gradient ‖∂L_T/∂c_{T−k}‖ (dashed) beside g(k).
 */
export function vanishingFigure(result: VanishingResult): Record<string, unknown> {
  const k = Float64Array.from({ length: result.length }, (_, i) => i);
  const lstms = result.curves.filter((c) => c.log10C);
  const charts: LineChart[] = [{
    title: '‖∂L_T/∂h_{T−k}‖: the gradient k steps back',
    xTitle: 'distance k = T − t (steps)',
    yTitle: 'gradient norm (geometric mean over seeds)',
    yLog: true,
    width: 460,
    height: 300,
    series: result.curves.map((c) => ({ name: `${c.config.label}  ρ = ${c.rate.toFixed(3)}`, x: k, y: pow10(c.log10H) })),
  }];
  if (lstms.length > 0) {
    charts.push({
      title: 'LSTM: the cell state ‖∂L_T/∂c_{T−k}‖ beside h',
      xTitle: 'distance k = T − t (steps)',
      yTitle: 'gradient norm (geometric mean over seeds)',
      yLog: true,
      width: 300,
      height: 300,
      series: lstms.flatMap((c) => [
        { name: `${c.config.label}: h`, x: k, y: pow10(c.log10H) },
        { name: `${c.config.label}: c`, x: k, y: pow10(c.log10C as Float64Array), dash: true },
      ]),
    });
  }
  return panelsSpec(charts, {
    columns: 1,
    title: `Vanishing gradients: loss at the last of T = ${result.length} steps, H = ${result.hiddenSize}, ${result.seeds.length} seeds (${result.dtype})`,
  });
}
