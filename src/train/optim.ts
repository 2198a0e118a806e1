/**
 * Optimisers over a {@link ParameterStore}'s flat buffers.
 *
 * Every optimiser updates `store.data` from `store.grad` in one loop over the
 * whole store. As in `torch.optim`, an optimiser holds two things: its
 * hyper-parameters (PyTorch's `param_groups`; `lr` among them) and its
 * per-parameter buffers (PyTorch's `state`: moments, accumulators), each one
 * flat array of the store's length. Each optimiser declares its
 * hyper-parameters (default and check), its buffers and its update rule;
 * construction, validation and state dicts are {@link Optimizer}'s alone.
 * The arithmetic follows the single-tensor code path of
 * PyTorch 1.13's `torch.optim` line by line, so a float64 trajectory matches
 * torch's to rounding (test/fixtures/optim.json, written by
 * scripts/gen_fixtures.py).
 *
 * In the equations below θ is a parameter, g its gradient, t the step count
 * (1 on the first step), γ the learning rate `lr` and λ the weight decay.
 *
 * The updates run on the store's backend ({@link ParameterStore.backend}:
 * the WebAssembly kernels when the parameters live in its memory), and the
 * state buffers are allocated there too. The Adam, AdamW and SGD kernels
 * compute every backend in the same float64 operation order, so a float32
 * trajectory is the same on every backend; RMSprop and Adagrad run as
 * plain loops.
 *
 * Before updating anything, {@link Optimizer.step} checks that the store still
 * has the size it had at construction (another model's parameters, or
 * parameters added later, would silently misalign the state) and that every
 * gradient is finite — a NaN or ±Infinity is reported with the parameter's name
 * and index and nothing is changed.
 *
 * ```ts
 * const opt = new Adam(model.params, { lr: 1e-3 });
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   lossAndBackward(batch);   // accumulates into model.params.grad
 *   opt.step();
 * }
 * ```
 */
import { checkOptionKeys } from '../checks.js';
import type { ParameterStore } from '../params.js';
import type { FloatArray } from '../tensor.js';

/** The optimisers of this module, as named in state dicts and messages. */
export type OptimizerType = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';

/** A hyper-parameter value as stored in a state dict. */
export type HyperValue = number | boolean | readonly number[];

/** An optimiser's hyper-parameters, `lr` first (PyTorch's param group, without `params`). */
export type HyperParameters = { lr: number } & Record<string, HyperValue>;

/**
 * An optimiser's state as plain JSON (survives `JSON.stringify`/`JSON.parse`
 * exactly): its type, the step count, the number of scalar parameters, its
 * hyper-parameters (including `lr`) and its buffers (`null` for a buffer not yet
 * created, like SGD's momentum before the first step).
 */
export interface OptimizerState {
  type: OptimizerType;
  step: number;
  size: number;
  hyper: Record<string, HyperValue>;
  buffers: Record<string, number[] | null>;
}

/** One hyper-parameter: its default (none: the option is required) and its check. */
export interface HyperParameter<T extends HyperValue> {
  readonly default?: T;
  /** Returns the value if valid, else throws an error naming `key` and `where`. */
  check(value: unknown, key: string, where: string): T;
}

/**
 * What an optimiser declares; {@link Optimizer} does the rest. `B` names the
 * per-parameter buffers.
 */
export interface OptimizerSpec<H extends HyperParameters, B extends string> {
  readonly type: OptimizerType;
  /** Every hyper-parameter, `lr` first, in state-dict order. */
  readonly hyper: { readonly [K in keyof H]: HyperParameter<H[K]> };
  /** Checks that involve several hyper-parameters, after each passed its own. */
  checkTogether?(h: H, where: string): void;
  /**
   * The buffers these hyper-parameters need, in state-dict order: the value a
   * buffer starts at (it is allocated with the optimiser, and a state dict must
   * hold it), or 'lazy' for one the update creates when first needed (`null`
   * until then, in a state dict too).
   */
  buffers(h: H): Readonly<Partial<Record<B, number | 'lazy'>>>;
}

/**
 * The common part of every optimiser: hyper-parameters and buffers in the
 * shape its {@link OptimizerSpec} declares, the step count, the size and
 * non-finite checks, and state-dict save and load. A subclass passes its
 * spec and writes {@link update}.
 */
export abstract class Optimizer<H extends HyperParameters = HyperParameters, B extends string = string> {
  /** The optimiser's name, used in state dicts and messages. */
  readonly type: OptimizerType;
  /** Number of steps taken (PyTorch's `state['step']`). */
  stepCount = 0;
  /** Number of scalar parameters the optimiser was built for. */
  readonly size: number;
  /** The hyper-parameters, `lr` included (PyTorch's `param_groups[0]`). */
  protected hyper: H;
  /** The per-parameter buffers, each `size` long, or null until created (PyTorch's `state`). */
  protected state: Partial<Record<B, FloatArray | null>>;

  protected constructor(
    private readonly spec: OptimizerSpec<H, B>,
    /** The parameters this optimiser updates. */
    readonly store: ParameterStore,
    options: object,
  ) {
    const type = spec.type;
    this.type = type;
    if (typeof options !== 'object' || options === null) throw new Error(`${type}: options must be an object, got ${String(options)}`);
    const given = options as Record<string, unknown>;
    if (given.lr === undefined && spec.hyper.lr.default === undefined) {
      throw new Error(`${type}: options.lr is required (e.g. new ${type}(store, { lr: 0.1 }))`);
    }
    this.hyper = this.checkHyper(given, type);
    this.size = store.size;
    this.state = {};
    for (const [name, start] of this.declaredBuffers(this.hyper)) {
      this.state[name] = start === 'lazy' ? null : this.allocateBuffer(start);
    }
  }

  /** Learning rate γ; read at every step, so a schedule may change it between steps. */
  get lr(): number {
    return this.hyper.lr;
  }
  set lr(value: number) {
    (this.hyper as HyperParameters).lr = value;
  }

  /**
   * Applies one update to every parameter from its gradient.
   * @throws if the store changed size since construction, if `lr` is not a
   *   finite number ≥ 0, or if a gradient holds NaN or ±Infinity (nothing is
   *   updated then).
   */
  step(): void {
    this.checkStore('step');
    if (!(Number.isFinite(this.lr) && this.lr >= 0)) {
      throw new Error(`${this.type}.step: lr is ${this.lr}; expected a finite number ≥ 0`);
    }
    checkFiniteGradients(this.store, this.size, `${this.type}.step`);
    this.stepCount++;
    this.update(this.store.data, this.store.grad, this.size);
  }

  /** Sets every gradient of the store to zero. */
  zeroGrad(): void {
    this.store.zeroGrad();
  }

  /** A copy of the hyper-parameters, including the current `lr`. */
  get options(): H {
    return copyHyper(this.hyper);
  }

  /** The full state as plain JSON; see {@link OptimizerState}. */
  stateDict(): OptimizerState {
    const buffers: Record<string, number[] | null> = {};
    for (const [name, buf] of Object.entries(this.state) as [B, FloatArray | null][]) buffers[name] = buf ? Array.from(buf) : null;
    return { type: this.type, step: this.stepCount, size: this.size, hyper: copyHyper(this.hyper), buffers };
  }

  /**
   * Restores a state from {@link stateDict}: step count, hyper-parameters
   * (`lr` included, as PyTorch restores its param groups; others missing from
   * the state take their defaults) and buffers. Everything is validated before
   * anything changes.
   * @throws for another optimiser's state, buffers of the wrong length (state
   *   saved for another model), missing buffers, or invalid values.
   */
  loadStateDict(state: OptimizerState): void {
    const where = `${this.type}.loadStateDict`;
    this.checkStore('loadStateDict');
    if (typeof state !== 'object' || state === null) throw new Error(`${where}: expected a state object, got ${String(state)}`);
    if (state.type !== this.type) {
      throw new Error(`${where}: state is from ${String(state.type)}, not ${this.type}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`${where}: step must be an integer ≥ 0, got ${String(state.step)}`);
    }
    if (state.size !== this.size) {
      throw new Error(
        `${where}: state holds ${String(state.size)} values per buffer but the parameters have ${this.size} — was it saved from another model?`,
      );
    }
    if (typeof state.hyper !== 'object' || state.hyper === null) throw new Error(`${where}: state has no hyper-parameters`);
    if (typeof state.buffers !== 'object' || state.buffers === null) throw new Error(`${where}: state has no buffers`);
    if (state.hyper.lr === undefined) throw new Error(`${where}: state has no lr`);
    const hyper = this.checkHyper(state.hyper, where);
    const buffers: Partial<Record<B, FloatArray | null>> = {};
    for (const [name, start] of this.declaredBuffers(hyper)) {
      const b = state.buffers[name];
      if (b === null || b === undefined) {
        if (start !== 'lazy') throw new Error(`${where}: state has no '${name}' buffer`);
        buffers[name] = null;
        continue;
      }
      if (!Array.isArray(b)) throw new Error(`${where}: buffer '${name}' is not an array of numbers`);
      if (b.length !== this.size) {
        throw new Error(
          `${where}: buffer '${name}' holds ${b.length} values but the parameters have ${this.size} — was it saved from another model?`,
        );
      }
      const buf = this.store.backend.allocate(this.store.dtype, this.size);
      for (let i = 0; i < b.length; i++) {
        const v = b[i] as unknown;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new Error(`${where}: buffer '${name}' holds ${String(v)} at index ${i}; expected finite numbers`);
        }
        buf[i] = v;
      }
      buffers[name] = buf;
    }
    const unexpected = Object.keys(state.buffers).filter((k) => !(k in buffers));
    if (unexpected.length) throw new Error(`${where}: unexpected buffers: ${unexpected.join(', ')}`);
    this.stepCount = state.step;
    this.hyper = hyper;
    const old = Object.values(this.state) as (FloatArray | null)[];
    this.state = buffers;
    for (const b of old) if (b) this.store.backend.release(b);
  }

  /** The update of one step over `n` parameters; `stepCount` already counts it. */
  protected abstract update(p: FloatArray, g: FloatArray, n: number): void;

  /** A new buffer of one value per parameter, on the store's backend, every value `start`. */
  protected allocateBuffer(start = 0): FloatArray {
    const buf = this.store.backend.allocate(this.store.dtype, this.size);
    if (start !== 0) buf.fill(start);
    return buf;
  }

  /** Throws unless the store still has the size it had at construction. */
  protected checkStore(method: string): void {
    if (this.store.size !== this.size) {
      throw new Error(
        `${this.type}.${method}: the parameter store now holds ${this.store.size} values but held ${this.size} when the optimiser was created — parameters were added after it, or this is another model's store`,
      );
    }
  }

  /** Checks `given` against the declared hyper-parameters (unknown names refused), filling in defaults. */
  private checkHyper(given: Record<string, unknown>, where: string): H {
    checkOptionKeys(where, given, Object.keys(this.spec.hyper));
    const h: Record<string, HyperValue> = {};
    for (const [k, p] of Object.entries(this.spec.hyper) as [string, HyperParameter<HyperValue>][]) h[k] = p.check(given[k] ?? p.default, k, where);
    this.spec.checkTogether?.(h as H, where);
    return h as H;
  }

  private declaredBuffers(h: H): [B, number | 'lazy'][] {
    return Object.entries(this.spec.buffers(h)) as [B, number | 'lazy'][];
  }
}

// ---------------------------------------------------------------------------
// SGD

/** Options of {@link SGD}; the names are PyTorch's in camelCase. */
export interface SGDOptions {
  /** Learning rate γ (required, as in PyTorch). */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs μ > 0 and τ = 0). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
}

type SGDHyper = { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number };

const SGD_SPEC: OptimizerSpec<SGDHyper, 'momentumBuffer'> = {
  type: 'SGD',
  hyper: { lr: nonNegative(), momentum: nonNegative(0), dampening: finite(0), nesterov: flag(false), weightDecay: nonNegative(0) },
  checkTogether({ momentum, dampening, nesterov }, where) {
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error(`${where}: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
  },
  buffers: () => ({ momentumBuffer: 'lazy' }),
};

/**
 * Stochastic gradient descent with optional momentum (Polyak 1964) and Nesterov
 * momentum (Nesterov 1983; Sutskever, Martens, Dahl & Hinton 2013, "On the
 * importance of initialization and momentum in deep learning"), as
 * `torch.optim.SGD`:
 *
 *     g ← g + λ θ                                  (if λ ≠ 0)
 *     b ← g                                        (first step)
 *     b ← μ b + (1 − τ) g                          (later steps)
 *     g ← g + μ b  (Nesterov)   or   g ← b          (if μ ≠ 0)
 *     θ ← θ − γ g
 */
export class SGD extends Optimizer<SGDHyper, 'momentumBuffer'> {
  constructor(store: ParameterStore, options: SGDOptions) {
    super(SGD_SPEC, store, options);
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.hyper;
    const first = momentum !== 0 && !this.state.momentumBuffer;
    if (first) this.state.momentumBuffer = this.allocateBuffer();
    const buf = momentum !== 0 ? (this.state.momentumBuffer as FloatArray) : null;
    this.store.backend.sgdStep(n, p, g, buf, { lr, momentum, dampening, nesterov, weightDecay, first });
  }
}

// ---------------------------------------------------------------------------
// Adam and AdamW

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr?: number;
  /** Decay rates (β₁, β₂) of the first and second moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay λ (default 0 for Adam, 1e-2 for AdamW). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad; Reddi, Kale & Kumar 2018) (default false). */
  amsgrad?: boolean;
}

type AdamHyper = { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number; amsgrad: boolean };
type AdamBuffer = 'expAvg' | 'expAvgSq' | 'maxExpAvgSq';

function adamSpec(type: 'Adam' | 'AdamW', weightDecay: number): OptimizerSpec<AdamHyper, AdamBuffer> {
  return {
    type,
    hyper: { lr: nonNegative(1e-3), betas: betaPair([0.9, 0.999]), eps: nonNegative(1e-8), weightDecay: nonNegative(weightDecay), amsgrad: flag(false) },
    buffers: ({ amsgrad }) => (amsgrad ? { expAvg: 0, expAvgSq: 0, maxExpAvgSq: 0 } : { expAvg: 0, expAvgSq: 0 }),
  };
}

const ADAM_SPEC = adamSpec('Adam', 0);
const ADAMW_SPEC = adamSpec('AdamW', 1e-2);

/** The shared moment update of Adam and AdamW; `decoupled` selects where λ acts. */
abstract class AdamUpdate extends Optimizer<AdamHyper, AdamBuffer> {
  protected constructor(spec: OptimizerSpec<AdamHyper, AdamBuffer>, store: ParameterStore, options: AdamOptions,
    private readonly decoupled: boolean) {
    super(spec, store, options);
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad } = this.hyper;
    const { expAvg, expAvgSq, maxExpAvgSq } = this.state;
    const vMax = amsgrad ? (maxExpAvgSq as FloatArray) : null;
    this.store.backend.adamStep(n, p, g, expAvg as FloatArray, expAvgSq as FloatArray, vMax, {
      lr, beta1, beta2, eps, weightDecay, decoupled: this.decoupled, step: this.stepCount,
    });
  }
}

/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", ICLR),
 * with optional L2 weight decay added to the gradient and AMSGrad (Reddi, Kale &
 * Kumar 2018), as `torch.optim.Adam`:
 *
 *     g ← g + λ θ                                  (if λ ≠ 0)
 *     m ← β₁ m + (1 − β₁) g
 *     v ← β₂ v + (1 − β₂) g²
 *     v̂ ← max(v̂, v)  and use v̂ for v below        (AMSGrad)
 *     θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 */
export class Adam extends AdamUpdate {
  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super(ADAM_SPEC, store, options, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019,
 * "Decoupled Weight Decay Regularization", ICLR), as `torch.optim.AdamW`. The
 * decay shrinks θ directly instead of entering the moments:
 *
 *     θ ← θ (1 − γ λ)
 *     m ← β₁ m + (1 − β₁) g
 *     v ← β₂ v + (1 − β₂) g²
 *     v̂ ← max(v̂, v)  and use v̂ for v below        (AMSGrad)
 *     θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * Default λ = 1e-2, as in PyTorch.
 */
export class AdamW extends AdamUpdate {
  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super(ADAMW_SPEC, store, options, true);
  }
}

// ---------------------------------------------------------------------------
// RMSprop

/** Options of {@link RMSprop}. */
export interface RMSpropOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average, in [0, 1] (default 0.99). */
  alpha?: number;
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Normalise by the estimated variance instead of the raw second moment (Graves 2013) (default false). */
  centered?: boolean;
}

type RMSpropHyper = { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean };
type RMSpropBuffer = 'squareAvg' | 'gradAvg' | 'momentumBuffer';

const RMSPROP_SPEC: OptimizerSpec<RMSpropHyper, RMSpropBuffer> = {
  type: 'RMSprop',
  hyper: { lr: nonNegative(1e-2), alpha: unitInterval(0.99), eps: nonNegative(1e-8), weightDecay: nonNegative(0), momentum: nonNegative(0), centered: flag(false) },
  buffers: ({ centered, momentum }) => ({
    squareAvg: 0,
    ...(centered ? { gradAvg: 0 } : {}),
    ...(momentum > 0 ? { momentumBuffer: 0 } : {}),
  }),
};

/**
 * RMSprop (Hinton, Srivastava & Swersky 2012, "Neural Networks for Machine
 * Learning", lecture 6e; the centred variant from Graves 2013, "Generating
 * Sequences With Recurrent Neural Networks"), as `torch.optim.RMSprop`:
 *
 *     g ← g + λ θ                                  (if λ ≠ 0)
 *     s ← α s + (1 − α) g²
 *     a ← α a + (1 − α) g,  d ← √(s − a²) + ε       (centred)
 *     d ← √s + ε                                   (otherwise)
 *     b ← μ b + g / d,  θ ← θ − γ b                 (if μ > 0)
 *     θ ← θ − γ g / d                              (otherwise)
 *
 * All buffers start at zero.
 */
export class RMSprop extends Optimizer<RMSpropHyper, RMSpropBuffer> {
  constructor(store: ParameterStore, options: RMSpropOptions = {}) {
    super(RMSPROP_SPEC, store, options);
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu } = this.hyper;
    const s = this.state.squareAvg as FloatArray;
    const a = this.state.gradAvg ?? null;
    const b = this.state.momentumBuffer ?? null;
    const c = 1 - alpha;
    for (let i = 0; i < n; i++) {
      let gi = g[i] as number;
      const pi = p[i] as number;
      if (wd !== 0) gi = gi + wd * pi;
      s[i] = alpha * (s[i] as number) + c * gi * gi;
      let d: number;
      if (a) {
        a[i] = alpha * (a[i] as number) + c * gi;
        const ai = a[i] as number;
        d = Math.sqrt((s[i] as number) - ai * ai) + eps;
      } else {
        d = Math.sqrt(s[i] as number) + eps;
      }
      if (b) {
        b[i] = mu * (b[i] as number) + gi / d;
        p[i] = pi - lr * (b[i] as number);
      } else {
        p[i] = pi + (-lr * gi) / d;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Adagrad

/** Options of {@link Adagrad}. */
export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr?: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1) η) (default 0). */
  lrDecay?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue?: number;
  /** ε added to the denominator (default 1e-10). */
  eps?: number;
}

type AdagradHyper = { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number };

const ADAGRAD_SPEC: OptimizerSpec<AdagradHyper, 'sum'> = {
  type: 'Adagrad',
  hyper: { lr: nonNegative(1e-2), lrDecay: nonNegative(0), weightDecay: nonNegative(0), initialAccumulatorValue: nonNegative(0), eps: nonNegative(1e-10) },
  buffers: ({ initialAccumulatorValue }) => ({ sum: initialAccumulatorValue }),
};

/**
 * Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online
 * Learning and Stochastic Optimization", JMLR 12), as `torch.optim.Adagrad`:
 *
 *     g ← g + λ θ                                  (if λ ≠ 0)
 *     γₜ = γ / (1 + (t − 1) η)
 *     s ← s + g²                                   (s starts at initialAccumulatorValue)
 *     θ ← θ − γₜ g / (√s + ε)
 */
export class Adagrad extends Optimizer<AdagradHyper, 'sum'> {
  constructor(store: ParameterStore, options: AdagradOptions = {}) {
    super(ADAGRAD_SPEC, store, options);
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, lrDecay, weightDecay: wd, eps } = this.hyper;
    const s = this.state.sum as FloatArray;
    const clr = lr / (1 + (this.stepCount - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      let gi = g[i] as number;
      const pi = p[i] as number;
      if (wd !== 0) gi = gi + wd * pi;
      s[i] = (s[i] as number) + gi * gi;
      const std = Math.sqrt(s[i] as number) + eps;
      p[i] = pi + (-clr * gi) / std;
    }
  }
}

// ---------------------------------------------------------------------------
// shared checks

/**
 * The parameter holding flat index `i` of the store and the index within it.
 * Used to name the culprit in error messages.
 */
export function parameterAt(store: ParameterStore, i: number): { name: string; index: number } {
  for (const name of store.names()) {
    const r = store.ref(name);
    if (i >= r.offset && i < r.offset + r.size) return { name, index: i - r.offset };
  }
  return { name: '?', index: i };
}

/**
 * Throws if any of the first `n` gradients of the store is NaN or ±Infinity,
 * naming the parameter and the index: `Adam.step: gradient of 'weight_hh_l0'
 * holds NaN at index 3`.
 */
export function checkFiniteGradients(store: ParameterStore, n: number, where: string): void {
  const g = store.grad;
  // The sum of squares is finite when every gradient is (one fast pass in the common
  // case); otherwise look for the culprit (float64 squares may also just overflow).
  if (Number.isFinite(store.backend.sumSquares(n, g, 0))) return;
  for (let i = 0; i < n; i++) {
    const v = g[i] as number;
    if (!Number.isFinite(v)) {
      const at = parameterAt(store, i);
      throw new Error(`${where}: gradient of '${at.name}' holds ${v} at index ${at.index}; no parameter was updated`);
    }
  }
}

// ---------------------------------------------------------------------------
// hyper-parameter kinds

/** A finite number ≥ 0 (no default: required). */
function nonNegative(fallback?: number): HyperParameter<number> {
  return {
    default: fallback,
    check(v, key, where) {
      if (typeof v !== 'number' || !(Number.isFinite(v) && v >= 0)) throw new Error(`${where}: ${key} must be a finite number ≥ 0, got ${String(v)}`);
      return v;
    },
  };
}

/** Any finite number. */
function finite(fallback: number): HyperParameter<number> {
  return {
    default: fallback,
    check(v, key, where) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${key} must be a finite number, got ${String(v)}`);
      return v;
    },
  };
}

/** A number in [0, 1]. */
function unitInterval(fallback: number): HyperParameter<number> {
  return {
    default: fallback,
    check(v, key, where) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${where}: ${key} must be in [0, 1], got ${String(v)}`);
      return v;
    },
  };
}

/** true or false. */
function flag(fallback: boolean): HyperParameter<boolean> {
  return {
    default: fallback,
    check(v, key, where) {
      if (typeof v !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${String(v)}`);
      return v;
    },
  };
}

/** Adam's decay rates (β₁, β₂), each in [0, 1). */
function betaPair(fallback: readonly [number, number]): HyperParameter<readonly [number, number]> {
  return {
    default: fallback,
    check(v, key, where) {
      if (!Array.isArray(v) || v.length !== 2) throw new Error(`${where}: ${key} must be a pair [β₁, β₂], got ${JSON.stringify(v)}`);
      v.forEach((b: unknown, k) => {
        if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new Error(`${where}: ${key}[${k}] must be in [0, 1), got ${String(b)}`);
      });
      return [v[0] as number, v[1] as number];
    },
  };
}

/** A copy of hyper-parameters with their arrays copied too. */
function copyHyper<H extends Record<string, HyperValue>>(h: H): H {
  const out: Record<string, HyperValue> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? [...(v as number[])] : v;
  return out as H;
}
