/**
 * Optimisers over a {@link ParameterStore}'s flat buffers.
 *
 * Every optimiser updates `store.data` from `store.grad` in one loop over the
 * whole store; its state (moments, accumulators) is one flat buffer of the same
 * length per kind. The arithmetic follows the single-tensor code path of
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
import type { ParameterStore } from '../params.js';
import type { FloatArray } from '../tensor.js';

/** The optimisers of this module, as named in state dicts and messages. */
export type OptimizerType = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';

/** A hyper-parameter value as stored in a state dict. */
export type HyperValue = number | boolean | readonly number[];

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

/**
 * The common part of every optimiser: the learning rate (mutable; schedules in
 * `schedule.ts` set it), the step count, the size and non-finite checks, and
 * state-dict save and load.
 */
export abstract class Optimizer {
  /** Learning rate γ; read at every step, so a schedule may change it between steps. */
  lr: number;
  /** Number of steps taken (PyTorch's `state['step']`). */
  stepCount = 0;
  /** Number of scalar parameters the optimiser was built for. */
  readonly size: number;

  protected constructor(
    /** The optimiser's name, used in state dicts and messages. */
    readonly type: OptimizerType,
    /** The parameters this optimiser updates. */
    readonly store: ParameterStore,
    lr: number,
  ) {
    this.lr = checkLr(type, lr);
    this.size = store.size;
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

  /** The hyper-parameters, including the current `lr`. */
  get options(): Record<string, HyperValue> {
    return { lr: this.lr, ...this.hyper() };
  }

  /** The full state as plain JSON; see {@link OptimizerState}. */
  stateDict(): OptimizerState {
    const buffers: Record<string, number[] | null> = {};
    for (const [name, buf] of Object.entries(this.getBuffers())) buffers[name] = buf ? Array.from(buf) : null;
    return { type: this.type, step: this.stepCount, size: this.size, hyper: copyHyper(this.options), buffers };
  }

  /**
   * Restores a state from {@link stateDict}: step count, hyper-parameters
   * (`lr` included, as PyTorch restores its param groups) and buffers. Everything
   * is validated before anything changes.
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
    const { lr, ...rest } = state.hyper;
    checkLr(where, lr as number);
    const hyper = this.validateHyper(rest, where);
    const buffers: Record<string, FloatArray | null> = {};
    for (const [name, required] of Object.entries(this.bufferSpec(hyper))) {
      const b = state.buffers[name];
      if (b === null || b === undefined) {
        if (required) throw new Error(`${where}: state has no '${name}' buffer`);
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
    this.lr = lr as number;
    this.stepCount = state.step;
    this.setHyper(hyper);
    const old = Object.values(this.getBuffers());
    this.setBuffers(buffers);
    for (const b of old) if (b) this.store.backend.release(b);
  }

  /** Throws unless the store still has the size it had at construction. */
  protected checkStore(method: string): void {
    if (this.store.size !== this.size) {
      throw new Error(
        `${this.type}.${method}: the parameter store now holds ${this.store.size} values but held ${this.size} when the optimiser was created — parameters were added after it, or this is another model's store`,
      );
    }
  }

  /** The update of one step over `n` parameters; `stepCount` already counts it. */
  protected abstract update(p: FloatArray, g: FloatArray, n: number): void;
  /** Hyper-parameters other than `lr`. */
  protected abstract hyper(): Record<string, HyperValue>;
  /** Validates hyper-parameters (other than `lr`) read from a state dict. */
  protected abstract validateHyper(h: Record<string, unknown>, where: string): Record<string, HyperValue>;
  /** Installs hyper-parameters returned by {@link validateHyper}. */
  protected abstract setHyper(h: Record<string, HyperValue>): void;
  /** The buffers this optimiser keeps under these hyper-parameters, each marked required or optional. */
  protected abstract bufferSpec(h: Record<string, HyperValue>): Record<string, boolean>;
  protected abstract getBuffers(): Record<string, FloatArray | null>;
  protected abstract setBuffers(b: Record<string, FloatArray | null>): void;
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
export class SGD extends Optimizer {
  private momentum: number;
  private dampening: number;
  private nesterov: boolean;
  private weightDecay: number;
  private momentumBuffer: FloatArray | null = null;

  constructor(store: ParameterStore, options: SGDOptions) {
    if (typeof options !== 'object' || options === null || options.lr === undefined) {
      throw new Error('SGD: options.lr is required (e.g. new SGD(store, { lr: 0.1 }))');
    }
    super('SGD', store, options.lr);
    const { lr: _lr, ...rest } = options;
    const h = SGD.validate(rest, 'SGD');
    this.momentum = h.momentum;
    this.dampening = h.dampening;
    this.nesterov = h.nesterov;
    this.weightDecay = h.weightDecay;
  }

  private static validate(o: Record<string, unknown>, where: string) {
    checkKeys(o, ['momentum', 'dampening', 'nesterov', 'weightDecay'], where);
    const momentum = nonNegative(o.momentum ?? 0, 'momentum', where);
    const dampening = finite(o.dampening ?? 0, 'dampening', where);
    const nesterov = bool(o.nesterov ?? false, 'nesterov', where);
    const weightDecay = nonNegative(o.weightDecay ?? 0, 'weightDecay', where);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error(`${where}: Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
    return { momentum, dampening, nesterov, weightDecay };
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this;
    const first = momentum !== 0 && this.momentumBuffer === null;
    if (first) this.momentumBuffer = this.store.backend.allocate(this.store.dtype, n);
    const buf = momentum !== 0 ? this.momentumBuffer : null;
    this.store.backend.sgdStep(n, p, g, buf, { lr, momentum, dampening, nesterov, weightDecay, first });
  }

  protected hyper(): Record<string, HyperValue> {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
  protected validateHyper(h: Record<string, unknown>, where: string): Record<string, HyperValue> {
    return SGD.validate(h, where);
  }
  protected setHyper(h: Record<string, HyperValue>): void {
    this.momentum = h.momentum as number;
    this.dampening = h.dampening as number;
    this.nesterov = h.nesterov as boolean;
    this.weightDecay = h.weightDecay as number;
  }
  protected bufferSpec(): Record<string, boolean> {
    return { momentumBuffer: false };
  }
  protected getBuffers(): Record<string, FloatArray | null> {
    return { momentumBuffer: this.momentumBuffer };
  }
  protected setBuffers(b: Record<string, FloatArray | null>): void {
    this.momentumBuffer = b.momentumBuffer ?? null;
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

interface AdamHyper {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/** The shared moment update of Adam and AdamW; `decoupled` selects where λ acts. */
abstract class AdamBase extends Optimizer {
  protected beta1: number;
  protected beta2: number;
  protected eps: number;
  protected weightDecay: number;
  protected amsgrad: boolean;
  protected expAvg: FloatArray;
  protected expAvgSq: FloatArray;
  protected maxExpAvgSq: FloatArray | null;

  protected constructor(type: 'Adam' | 'AdamW', store: ParameterStore, options: AdamOptions, defaultDecay: number,
    private readonly decoupled: boolean) {
    super(type, store, optionsObject(options, type).lr ?? 1e-3);
    const { lr: _lr, ...rest } = options;
    const h = AdamBase.validate({ weightDecay: defaultDecay, ...rest }, type);
    this.beta1 = h.betas[0];
    this.beta2 = h.betas[1];
    this.eps = h.eps;
    this.weightDecay = h.weightDecay;
    this.amsgrad = h.amsgrad;
    const be = store.backend;
    this.expAvg = be.allocate(store.dtype, this.size);
    this.expAvgSq = be.allocate(store.dtype, this.size);
    this.maxExpAvgSq = h.amsgrad ? be.allocate(store.dtype, this.size) : null;
  }

  protected static validate(o: Record<string, unknown>, where: string): AdamHyper {
    checkKeys(o, ['betas', 'eps', 'weightDecay', 'amsgrad'], where);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${where}: betas must be a pair [β₁, β₂], got ${JSON.stringify(betas)}`);
    betas.forEach((b: unknown, k) => {
      if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new Error(`${where}: betas[${k}] must be in [0, 1), got ${String(b)}`);
    });
    return {
      betas: [betas[0] as number, betas[1] as number],
      eps: nonNegative(o.eps ?? 1e-8, 'eps', where),
      weightDecay: nonNegative(o.weightDecay ?? 0, 'weightDecay', where),
      amsgrad: bool(o.amsgrad ?? false, 'amsgrad', where),
    };
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, beta1, beta2, eps, weightDecay, amsgrad, expAvg, expAvgSq, decoupled } = this;
    const vMax = amsgrad ? this.maxExpAvgSq : null;
    this.store.backend.adamStep(n, p, g, expAvg, expAvgSq, vMax, { lr, beta1, beta2, eps, weightDecay, decoupled, step: this.stepCount });
  }

  protected hyper(): Record<string, HyperValue> {
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }
  protected validateHyper(h: Record<string, unknown>, where: string): Record<string, HyperValue> {
    return { ...AdamBase.validate(h, where) };
  }
  protected setHyper(h: Record<string, HyperValue>): void {
    const betas = h.betas as number[];
    this.beta1 = betas[0] as number;
    this.beta2 = betas[1] as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
    this.amsgrad = h.amsgrad as boolean;
  }
  protected bufferSpec(h: Record<string, HyperValue>): Record<string, boolean> {
    return h.amsgrad ? { expAvg: true, expAvgSq: true, maxExpAvgSq: true } : { expAvg: true, expAvgSq: true };
  }
  protected getBuffers(): Record<string, FloatArray | null> {
    return this.amsgrad
      ? { expAvg: this.expAvg, expAvgSq: this.expAvgSq, maxExpAvgSq: this.maxExpAvgSq }
      : { expAvg: this.expAvg, expAvgSq: this.expAvgSq };
  }
  protected setBuffers(b: Record<string, FloatArray | null>): void {
    this.expAvg = b.expAvg as FloatArray;
    this.expAvgSq = b.expAvgSq as FloatArray;
    this.maxExpAvgSq = b.maxExpAvgSq ?? null;
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
export class Adam extends AdamBase {
  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super('Adam', store, options, 0, false);
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
export class AdamW extends AdamBase {
  constructor(store: ParameterStore, options: AdamOptions = {}) {
    super('AdamW', store, options, 1e-2, true);
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
export class RMSprop extends Optimizer {
  private alpha: number;
  private eps: number;
  private weightDecay: number;
  private momentum: number;
  private centered: boolean;
  private squareAvg: FloatArray;
  private gradAvg: FloatArray | null;
  private momentumBuffer: FloatArray | null;

  constructor(store: ParameterStore, options: RMSpropOptions = {}) {
    super('RMSprop', store, optionsObject(options, 'RMSprop').lr ?? 1e-2);
    const { lr: _lr, ...rest } = options;
    const h = RMSprop.validate(rest, 'RMSprop');
    this.alpha = h.alpha;
    this.eps = h.eps;
    this.weightDecay = h.weightDecay;
    this.momentum = h.momentum;
    this.centered = h.centered;
    const be = store.backend;
    this.squareAvg = be.allocate(store.dtype, this.size);
    this.gradAvg = h.centered ? be.allocate(store.dtype, this.size) : null;
    this.momentumBuffer = h.momentum > 0 ? be.allocate(store.dtype, this.size) : null;
  }

  private static validate(o: Record<string, unknown>, where: string) {
    checkKeys(o, ['alpha', 'eps', 'weightDecay', 'momentum', 'centered'], where);
    const alpha = o.alpha ?? 0.99;
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw new Error(`${where}: alpha must be in [0, 1], got ${String(alpha)}`);
    return {
      alpha,
      eps: nonNegative(o.eps ?? 1e-8, 'eps', where),
      weightDecay: nonNegative(o.weightDecay ?? 0, 'weightDecay', where),
      momentum: nonNegative(o.momentum ?? 0, 'momentum', where),
      centered: bool(o.centered ?? false, 'centered', where),
    };
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { lr, alpha, eps, weightDecay: wd, momentum: mu, squareAvg: s, gradAvg: a, momentumBuffer: b } = this;
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

  protected hyper(): Record<string, HyperValue> {
    return { alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }
  protected validateHyper(h: Record<string, unknown>, where: string): Record<string, HyperValue> {
    return RMSprop.validate(h, where);
  }
  protected setHyper(h: Record<string, HyperValue>): void {
    this.alpha = h.alpha as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weightDecay as number;
    this.momentum = h.momentum as number;
    this.centered = h.centered as boolean;
  }
  protected bufferSpec(h: Record<string, HyperValue>): Record<string, boolean> {
    const spec: Record<string, boolean> = { squareAvg: true };
    if (h.centered) spec.gradAvg = true;
    if ((h.momentum as number) > 0) spec.momentumBuffer = true;
    return spec;
  }
  protected getBuffers(): Record<string, FloatArray | null> {
    const out: Record<string, FloatArray | null> = { squareAvg: this.squareAvg };
    if (this.gradAvg) out.gradAvg = this.gradAvg;
    if (this.momentumBuffer) out.momentumBuffer = this.momentumBuffer;
    return out;
  }
  protected setBuffers(b: Record<string, FloatArray | null>): void {
    this.squareAvg = b.squareAvg as FloatArray;
    this.gradAvg = b.gradAvg ?? null;
    this.momentumBuffer = b.momentumBuffer ?? null;
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

/**
 * Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online
 * Learning and Stochastic Optimization", JMLR 12), as `torch.optim.Adagrad`:
 *
 *     g ← g + λ θ                                  (if λ ≠ 0)
 *     γₜ = γ / (1 + (t − 1) η)
 *     s ← s + g²                                   (s starts at initialAccumulatorValue)
 *     θ ← θ − γₜ g / (√s + ε)
 */
export class Adagrad extends Optimizer {
  private lrDecay: number;
  private weightDecay: number;
  private initialAccumulatorValue: number;
  private eps: number;
  private sum: FloatArray;

  constructor(store: ParameterStore, options: AdagradOptions = {}) {
    super('Adagrad', store, optionsObject(options, 'Adagrad').lr ?? 1e-2);
    const { lr: _lr, ...rest } = options;
    const h = Adagrad.validate(rest, 'Adagrad');
    this.lrDecay = h.lrDecay;
    this.weightDecay = h.weightDecay;
    this.initialAccumulatorValue = h.initialAccumulatorValue;
    this.eps = h.eps;
    this.sum = store.backend.allocate(store.dtype, this.size).fill(h.initialAccumulatorValue);
  }

  private static validate(o: Record<string, unknown>, where: string) {
    checkKeys(o, ['lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'], where);
    return {
      lrDecay: nonNegative(o.lrDecay ?? 0, 'lrDecay', where),
      weightDecay: nonNegative(o.weightDecay ?? 0, 'weightDecay', where),
      initialAccumulatorValue: nonNegative(o.initialAccumulatorValue ?? 0, 'initialAccumulatorValue', where),
      eps: nonNegative(o.eps ?? 1e-10, 'eps', where),
    };
  }

  protected update(p: FloatArray, g: FloatArray, n: number): void {
    const { weightDecay: wd, eps, sum: s } = this;
    const clr = this.lr / (1 + (this.stepCount - 1) * this.lrDecay);
    for (let i = 0; i < n; i++) {
      let gi = g[i] as number;
      const pi = p[i] as number;
      if (wd !== 0) gi = gi + wd * pi;
      s[i] = (s[i] as number) + gi * gi;
      const std = Math.sqrt(s[i] as number) + eps;
      p[i] = pi + (-clr * gi) / std;
    }
  }

  protected hyper(): Record<string, HyperValue> {
    return { lrDecay: this.lrDecay, weightDecay: this.weightDecay, initialAccumulatorValue: this.initialAccumulatorValue, eps: this.eps };
  }
  protected validateHyper(h: Record<string, unknown>, where: string): Record<string, HyperValue> {
    return Adagrad.validate(h, where);
  }
  protected setHyper(h: Record<string, HyperValue>): void {
    this.lrDecay = h.lrDecay as number;
    this.weightDecay = h.weightDecay as number;
    this.initialAccumulatorValue = h.initialAccumulatorValue as number;
    this.eps = h.eps as number;
  }
  protected bufferSpec(): Record<string, boolean> {
    return { sum: true };
  }
  protected getBuffers(): Record<string, FloatArray | null> {
    return { sum: this.sum };
  }
  protected setBuffers(b: Record<string, FloatArray | null>): void {
    this.sum = b.sum as FloatArray;
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

function checkLr(where: string, lr: number): number {
  if (typeof lr !== 'number' || !(Number.isFinite(lr) && lr >= 0)) {
    throw new Error(`${where}: lr must be a finite number ≥ 0, got ${String(lr)}`);
  }
  return lr;
}

function optionsObject<T extends object>(o: T, where: string): T {
  if (typeof o !== 'object' || o === null) throw new Error(`${where}: options must be an object, got ${String(o)}`);
  return o;
}

function checkKeys(o: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new Error(`${where}: unknown option '${k}' (known: lr, ${known.join(', ')})`);
  }
}

function finite(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${key} must be a finite number, got ${String(v)}`);
  return v;
}

function nonNegative(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !(Number.isFinite(v) && v >= 0)) {
    throw new Error(`${where}: ${key} must be a finite number ≥ 0, got ${String(v)}`);
  }
  return v;
}

function bool(v: unknown, key: string, where: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${String(v)}`);
  return v;
}

function copyHyper(h: Record<string, HyperValue>): Record<string, HyperValue> {
  const out: Record<string, HyperValue> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? [...(v as number[])] : v;
  return out;
}
