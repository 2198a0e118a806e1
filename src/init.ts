/**
 * Parameter initialisers.
 *
 * `defaultRecurrentInit` is PyTorch's rule for its recurrent modules: every
 * weight and bias drawn from U(−1/√H, 1/√H) where H is the hidden size.
 *
 * The named initialisers below mirror `torch.nn.init` and fill one parameter of
 * a store in place, drawing from the given seeded {@link Random}: xavierUniform,
 * xavierNormal (Glorot & Bengio 2010), kaimingUniform, kaimingNormal (He et al.
 * 2015), orthogonal (Saxe et al. 2014), identity (IRNN, Le et al. 2015),
 * constantInit, zerosInit, and forgetGateBias for LSTM biases. orthogonal and
 * identity can treat a gate-stacked weight ([4H, H] for an LSTM) as separate
 * H×H blocks:
 *
 * ```ts
 * orthogonal(lstm.params, 'weight_hh_l0', rng, { blocks: 4 });
 * xavierUniform(lstm.params, 'weight_ih_l0', rng);
 * zerosInit(lstm.params, 'bias_ih_l0');
 * zerosInit(lstm.params, 'bias_hh_l0');
 * forgetGateBias(lstm.params, 'bias_hh_l0', hiddenSize, 1);
 * ```
 *
 * The draws come from this library's generator, so the values differ from
 * torch's for the same seed; the distributions are the same.
 */
import type { ParameterStore } from './params.js';
import type { Random } from './random.js';

/** Fills the named parameters (all when `names` is omitted) with U(−bound, bound). */
export function uniformInit(store: ParameterStore, rng: Random, bound: number, names: readonly string[] = store.names()): void {
  for (const name of names) {
    const r = store.ref(name);
    for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.uniform(-bound, bound);
  }
}

/** PyTorch's default for RNN, LSTM and GRU: U(−1/√H, 1/√H) for every parameter. */
export function defaultRecurrentInit(store: ParameterStore, rng: Random, hiddenSize: number, names: readonly string[] = store.names()): void {
  uniformInit(store, rng, 1 / Math.sqrt(hiddenSize), names);
}

// ---------------------------------------------------------------------------
// Named initialisers. Each fills one parameter of the store in place; 2-D
// weights are [rows, cols] = [fan_out, fan_in], as in PyTorch.

/** Nonlinearities known to {@link calculateGain}, spelt as in `torch.nn.init.calculate_gain`. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

const LINEAR_GAIN_ONE = new Set(['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid']);

/**
 * The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`):
 * 1 for linear/convolution/sigmoid, 5/3 for tanh, √2 for relu,
 * √(2 / (1 + slope²)) for leaky_relu (slope = `param`, default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_GAIN_ONE.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${String(slope)} is not a finite number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * fan_in and fan_out of a weight shape (`_calculate_fan_in_and_fan_out`):
 * for [rows, cols, …k] fan_in = cols·∏k and fan_out = rows·∏k.
 * @throws for fewer than two dimensions (a bias has no fans).
 */
export function fans(shape: readonly number[], where = 'fans'): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`${where}: fan in and fan out need a weight of 2 or more dimensions, got shape [${shape.join(', ')}]`);
  }
  let receptive = 1;
  for (const d of shape.slice(2)) receptive *= d;
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

/**
 * Xavier/Glorot uniform (Glorot & Bengio 2010, "Understanding the difficulty of
 * training deep feedforward neural networks", AISTATS):
 * U(−a, a) with a = gain·√(6 / (fan_in + fan_out)), i.e. std = gain·√(2 / (fan_in + fan_out)).
 */
export function xavierUniform(store: ParameterStore, name: string, rng: Random, gain = 1): void {
  const r = store.ref(name);
  const { fanIn, fanOut } = fans(r.shape, `xavierUniform('${name}')`);
  const bound = Math.sqrt(3) * checkGain(gain, 'xavierUniform') * Math.sqrt(2 / (fanIn + fanOut));
  for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.uniform(-bound, bound);
}

/**
 * Xavier/Glorot normal (Glorot & Bengio 2010): N(0, std²) with
 * std = gain·√(2 / (fan_in + fan_out)).
 */
export function xavierNormal(store: ParameterStore, name: string, rng: Random, gain = 1): void {
  const r = store.ref(name);
  const { fanIn, fanOut } = fans(r.shape, `xavierNormal('${name}')`);
  const std = checkGain(gain, 'xavierNormal') * Math.sqrt(2 / (fanIn + fanOut));
  for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.normal(0, std);
}

/** Options of {@link kaimingUniform} and {@link kaimingNormal}; defaults are PyTorch's. */
export interface KaimingOptions {
  /** Negative slope of the rectifier (used with 'leaky_relu'). Default 0. */
  a?: number;
  /** 'fan_in' preserves the forward variance, 'fan_out' the backward one. Default 'fan_in'. */
  mode?: 'fan_in' | 'fan_out';
  /** The nonlinearity after this weight. Default 'leaky_relu' (with a = 0: gain √2). */
  nonlinearity?: Nonlinearity;
}

/**
 * Kaiming/He uniform (He, Zhang, Ren & Sun 2015, "Delving Deep into
 * Rectifiers", ICCV): U(−b, b) with b = √3·gain/√fan, i.e. std = gain/√fan, where
 * gain = calculateGain(nonlinearity, a) and fan is fan_in or fan_out by `mode`.
 */
export function kaimingUniform(store: ParameterStore, name: string, rng: Random, options: KaimingOptions = {}): void {
  const r = store.ref(name);
  const bound = Math.sqrt(3) * kaimingStd(r.shape, options, `kaimingUniform('${name}')`);
  for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.uniform(-bound, bound);
}

/** Kaiming/He normal (He et al. 2015): N(0, std²) with std = gain/√fan; see {@link kaimingUniform}. */
export function kaimingNormal(store: ParameterStore, name: string, rng: Random, options: KaimingOptions = {}): void {
  const r = store.ref(name);
  const std = kaimingStd(r.shape, options, `kaimingNormal('${name}')`);
  for (let i = 0; i < r.size; i++) store.data[r.offset + i] = rng.normal(0, std);
}

/** Options of {@link orthogonal} and {@link identity}. */
export interface BlockInitOptions {
  /** Scale of the result. Default 1. */
  gain?: number;
  /**
   * Split the rows into this many equal blocks and initialise each separately —
   * e.g. 4 for an LSTM's [4H, H] recurrent weight (one H×H block per gate), 3
   * for a GRU's. Default 1.
   */
  blocks?: number;
}

/**
 * Orthogonal initialisation (Saxe, McClelland & Ganguli 2014, "Exact solutions
 * to the nonlinear dynamics of learning in deep linear neural networks", ICLR),
 * as `torch.nn.init.orthogonal_`: fill a rows×cols matrix (cols = all trailing
 * dimensions) with N(0, 1), take its QR decomposition (Householder reflections)
 * and multiply each column of Q by the sign of the matching diagonal entry of R
 * — which makes Q Haar-distributed (Mezzadri 2007). When rows < cols the
 * transpose is decomposed and Q transposed back, so the result has orthonormal
 * columns (QᵀQ = I) when rows ≥ cols and orthonormal rows (QQᵀ = I) otherwise.
 * Then everything is multiplied by `gain`. With `blocks`, each row block is
 * made orthogonal on its own.
 */
export function orthogonal(store: ParameterStore, name: string, rng: Random, options: BlockInitOptions = {}): void {
  const where = `orthogonal('${name}')`;
  const { rows, cols, blocks, gain } = blockLayout(store, name, options, where);
  const r = store.ref(name);
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = new Float64Array(m * n); // row-major m×n, m ≥ n
  for (let b = 0; b < blocks; b++) {
    // Gaussian rows×cols block, row-major, stored transposed when rows < cols
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const z = rng.normal();
        if (rows >= cols) a[i * n + j] = z;
        else a[j * n + i] = z;
      }
    }
    const q = householderQ(a, m, n);
    const base = r.offset + b * rows * cols;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        store.data[base + i * cols + j] = gain * (rows >= cols ? (q[i * n + j] as number) : (q[j * n + i] as number));
      }
    }
  }
}

/**
 * Identity initialisation for recurrent weights (IRNN: Le, Jaitly & Hinton 2015,
 * "A Simple Way to Initialize Recurrent Networks of Rectified Linear Units"):
 * gain on the diagonal and 0 elsewhere (`torch.nn.init.eye_` times gain); for
 * non-square matrices the leading min(rows, cols) diagonal. With `blocks`, every
 * row block gets its own identity.
 */
export function identity(store: ParameterStore, name: string, options: BlockInitOptions = {}): void {
  const where = `identity('${name}')`;
  const r = store.ref(name);
  if (r.shape.length !== 2) throw new Error(`${where}: expected a 2-D weight, got shape [${r.shape.join(', ')}]`);
  const { rows, cols, blocks, gain } = blockLayout(store, name, options, where);
  store.data.fill(0, r.offset, r.offset + r.size);
  for (let b = 0; b < blocks; b++) {
    const base = r.offset + b * rows * cols;
    for (let i = 0; i < Math.min(rows, cols); i++) store.data[base + i * cols + i] = gain;
  }
}

/**
 * Sets the forget-gate slice [H, 2H) of an LSTM bias (gates stacked i|f|g|o, as
 * in PyTorch) to `value`, leaving the other gates untouched. A positive forget
 * bias (1 is the usual choice) keeps the cell state flowing early in training
 * (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015).
 * PyTorch adds `bias_ih` and `bias_hh`, so setting both to 1 gives an effective
 * forget bias of 2: set one of them, or split the value.
 * @throws unless the parameter has shape [4·hiddenSize].
 */
export function forgetGateBias(store: ParameterStore, name: string, hiddenSize: number, value = 1): void {
  const where = `forgetGateBias('${name}')`;
  if (!Number.isInteger(hiddenSize) || hiddenSize < 1) throw new Error(`${where}: hiddenSize must be an integer ≥ 1, got ${String(hiddenSize)}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: value must be a finite number, got ${String(value)}`);
  const r = store.ref(name);
  if (r.shape.length !== 1 || r.shape[0] !== 4 * hiddenSize) {
    throw new Error(`${where}: expected an LSTM bias of shape [${4 * hiddenSize}] (4·hiddenSize, gates i|f|g|o), got [${r.shape.join(', ')}]`);
  }
  store.data.fill(value, r.offset + hiddenSize, r.offset + 2 * hiddenSize);
}

/** Fills a parameter with one value (`torch.nn.init.constant_`). */
export function constantInit(store: ParameterStore, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`constantInit('${name}'): value must be a finite number, got ${String(value)}`);
  const r = store.ref(name);
  store.data.fill(value, r.offset, r.offset + r.size);
}

/** Fills a parameter with zeros (`torch.nn.init.zeros_`). */
export function zerosInit(store: ParameterStore, name: string): void {
  constantInit(store, name, 0);
}

function checkGain(gain: number, where: string): number {
  if (typeof gain !== 'number' || !Number.isFinite(gain)) throw new Error(`${where}: gain must be a finite number, got ${String(gain)}`);
  return gain;
}

function kaimingStd(shape: readonly number[], options: KaimingOptions, where: string): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`${where}: mode must be 'fan_in' or 'fan_out', got ${String(mode)}`);
  const f = fans(shape, where);
  const fan = mode === 'fan_in' ? f.fanIn : f.fanOut;
  if (fan === 0) throw new Error(`${where}: cannot initialise a weight with zero ${mode}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/** Rows and columns of one block of a weight split row-wise into `blocks`. */
function blockLayout(store: ParameterStore, name: string, options: BlockInitOptions, where: string) {
  const r = store.ref(name);
  if (r.shape.length < 2) throw new Error(`${where}: expected a weight of 2 or more dimensions, got shape [${r.shape.join(', ')}]`);
  const { gain = 1, blocks = 1 } = options;
  checkGain(gain, where);
  const total = r.shape[0] as number;
  if (!Number.isInteger(blocks) || blocks < 1 || total % blocks !== 0) {
    throw new Error(`${where}: blocks must be a positive integer dividing the ${total} rows, got ${String(blocks)}`);
  }
  const rows = total / blocks;
  const cols = rows === 0 ? 0 : r.size / total;
  return { rows, cols, blocks, gain };
}

/**
 * The thin Q factor (m×n, m ≥ n, row-major) of the row-major m×n matrix `a`
 * (overwritten), with column j multiplied by sign(R[j][j]) so that R's diagonal
 * is positive. Householder: Hₖ = I − 2vₖvₖᵀ zeroes column k below the diagonal;
 * Q = H₀H₁…Hₙ₋₁ applied to the first n columns of the identity.
 */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += (a[i * n + k] as number) ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[k * n + k] as number;
    const alpha = x0 > 0 ? -norm : norm; // R[k][k]; the sign avoids cancellation in v
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[i * n + k] as number;
    v[0] = x0 - alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += (v[i] as number) ** 2;
    vnorm = Math.sqrt(vnorm);
    if (vnorm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / vnorm;
    // A[k:, k:] ← (I − 2vvᵀ) A[k:, k:]
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += (v[i - k] as number) * (a[i * n + j] as number);
      for (let i = k; i < m; i++) a[i * n + j] = (a[i * n + j] as number) - 2 * (v[i - k] as number) * dot;
    }
    vs.push(v);
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H₀…Hₙ₋₁ [I; 0], applied right to left
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k] as Float64Array;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += (v[i - k] as number) * (q[i * n + j] as number);
      for (let i = k; i < m; i++) q[i * n + j] = (q[i * n + j] as number) - 2 * (v[i - k] as number) * dot;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] = (q[i * n + j] as number) * (signs[j] as number);
  return q;
}
