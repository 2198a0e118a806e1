/**
 * Learning-rate schedules: each sets `optimizer.lr` when stepped, once per
 * epoch (or per batch), after the optimiser's own step — the order PyTorch
 * expects since 1.1:
 *
 * ```ts
 * const opt = new SGD(store, { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train(opt);       // opt.step() per batch
 *   sched.step();
 * }
 * ```
 *
 * The schedules use PyTorch 1.13's recursive ("chainable") forms, which read the
 * optimiser's current `lr` and multiply it; the values match
 * `torch.optim.lr_scheduler` to rounding (test/fixtures/optim.json). Any object
 * with a mutable `lr` can be scheduled.
 */
import { checkOptionKeys } from '../checks.js';

/** What a schedule drives: anything with a mutable learning rate (every {@link Optimizer}). */
export interface LrTarget {
  lr: number;
}

/** The schedules of this module, as named in state dicts and messages. */
export type SchedulerType = 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR' | 'ReduceLROnPlateau';

/**
 * A schedule's state as plain JSON: its type, the epoch counter, the base and
 * last learning rates, its hyper-parameters and (ReduceLROnPlateau) its counters.
 * The optimiser's own `lr` is not part of it: restore the optimiser's state too.
 */
export interface SchedulerState {
  type: SchedulerType;
  lastEpoch: number;
  baseLr: number;
  lastLr: number;
  hyper: Record<string, number | string>;
  /** ReduceLROnPlateau only: best metric so far (±Infinity written as a string), and its counters. */
  best?: number | 'Infinity' | '-Infinity';
  numBadEpochs?: number;
  cooldownCounter?: number;
}

/** The common part of the epoch-driven schedules. */
export abstract class LRScheduler {
  /** Number of `step()` calls so far (PyTorch's `last_epoch`). */
  lastEpoch = 0;
  /** The learning rate when the schedule was created (PyTorch's `initial_lr`). */
  baseLr: number;
  /** The learning rate set by the last step (the optimiser's at construction). */
  lastLr: number;

  protected constructor(
    readonly type: SchedulerType,
    readonly optimizer: LrTarget,
  ) {
    this.baseLr = checkTargetLr(type, optimizer);
    this.lastLr = this.baseLr;
  }

  /** Advances one epoch, sets `optimizer.lr` and returns it. */
  step(): number {
    this.lastEpoch++;
    const lr = this.next(this.optimizer.lr);
    this.optimizer.lr = lr;
    this.lastLr = lr;
    return lr;
  }

  /** The state as plain JSON. */
  stateDict(): SchedulerState {
    return { type: this.type, lastEpoch: this.lastEpoch, baseLr: this.baseLr, lastLr: this.lastLr, hyper: this.hyper() };
  }

  /**
   * Restores a state from {@link stateDict}; does not touch `optimizer.lr`
   * (restore the optimiser's state for that), as in PyTorch.
   * @throws for another schedule's state or invalid values, leaving this one unchanged.
   */
  loadStateDict(state: SchedulerState): void {
    const where = `${this.type}.loadStateDict`;
    checkCommonState(state, this.type, where);
    const hyper = this.validate(state.hyper, where);
    this.lastEpoch = state.lastEpoch;
    this.baseLr = state.baseLr;
    this.lastLr = state.lastLr;
    this.setHyper(hyper);
  }

  /** The learning rate for epoch `lastEpoch`, given the current one. */
  protected abstract next(lr: number): number;
  protected abstract hyper(): Record<string, number>;
  protected abstract validate(h: Record<string, unknown>, where: string): Record<string, number>;
  protected abstract setHyper(h: Record<string, number>): void;
}

/**
 * Multiplies the learning rate by γ every `stepSize` epochs
 * (`torch.optim.lr_scheduler.StepLR`): γₜ = γ₀ · γ^⌊t / stepSize⌋.
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: LrTarget, options: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer);
    const h = this.validate({ ...options }, 'StepLR');
    this.stepSize = h.stepSize;
    this.gamma = h.gamma;
  }

  protected next(lr: number): number {
    return this.lastEpoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
  protected hyper(): Record<string, number> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
  protected validate(h: Record<string, unknown>, where: string): { stepSize: number; gamma: number } {
    checkOptionKeys(where, h, ['stepSize', 'gamma']);
    return { stepSize: positiveInteger(h.stepSize, 'stepSize', where), gamma: nonNegative(h.gamma ?? 0.1, 'gamma', where) };
  }
  protected setHyper(h: Record<string, number>): void {
    this.stepSize = h.stepSize as number;
    this.gamma = h.gamma as number;
  }
}

/**
 * Multiplies the learning rate by γ every epoch
 * (`torch.optim.lr_scheduler.ExponentialLR`): γₜ = γ₀ · γᵗ.
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: LrTarget, options: { gamma: number }) {
    super('ExponentialLR', optimizer);
    this.gamma = this.validate({ ...options }, 'ExponentialLR').gamma;
  }

  protected next(lr: number): number {
    return lr * this.gamma;
  }
  protected hyper(): Record<string, number> {
    return { gamma: this.gamma };
  }
  protected validate(h: Record<string, unknown>, where: string): { gamma: number } {
    checkOptionKeys(where, h, ['gamma']);
    return { gamma: nonNegative(h.gamma, 'gamma', where) };
  }
  protected setHyper(h: Record<string, number>): void {
    this.gamma = h.gamma as number;
  }
}

/**
 * Cosine annealing (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent
 * with Warm Restarts", ICLR) without restarts, as
 * `torch.optim.lr_scheduler.CosineAnnealingLR`. Closed form:
 *
 *     γₜ = η_min + (γ₀ − η_min) (1 + cos(π t / T_max)) / 2
 *
 * computed, like PyTorch, by the recursion
 *
 *     γₜ = η_min + (γₜ₋₁ − η_min) (1 + cos(π t / T_max)) / (1 + cos(π (t − 1) / T_max))
 *
 * with γₜ = γₜ₋₁ + (γ₀ − η_min)(1 − cos(π / T_max)) / 2 at the epochs where the
 * denominator vanishes (t − 1 − T_max ≡ 0 mod 2 T_max). Past T_max the rate
 * climbs back to γ₀ and the cosine repeats with period 2 T_max.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: LrTarget, options: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer);
    const h = this.validate({ ...options }, 'CosineAnnealingLR');
    this.tMax = h.tMax;
    this.etaMin = h.etaMin;
  }

  protected next(lr: number): number {
    const { tMax, etaMin, lastEpoch: t } = this;
    if (pyMod(t - 1 - tMax, 2 * tMax) === 0) {
      return lr + ((this.baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    }
    return ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin;
  }
  protected hyper(): Record<string, number> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
  protected validate(h: Record<string, unknown>, where: string): { tMax: number; etaMin: number } {
    checkOptionKeys(where, h, ['tMax', 'etaMin']);
    return { tMax: positive(h.tMax, 'tMax', where), etaMin: nonNegative(h.etaMin ?? 0, 'etaMin', where) };
  }
  protected setHyper(h: Record<string, number>): void {
    this.tMax = h.tMax as number;
    this.etaMin = h.etaMin as number;
  }
}

/** Options of {@link ReduceLROnPlateau}; defaults are PyTorch's. */
export interface ReduceLROnPlateauOptions {
  /** 'min' when lower metrics are better (a loss), 'max' when higher are (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Multiplier of the learning rate at each reduction, in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': improvement beyond best·(1 ∓ threshold); 'abs': beyond best ∓ threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown?: number;
  /** Lower bound on the learning rate. Default 0. */
  minLr?: number;
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
}

/**
 * Reduces the learning rate when a metric stops improving, as
 * `torch.optim.lr_scheduler.ReduceLROnPlateau`. After more than `patience`
 * consecutive epochs without improvement (outside the cooldown) the rate becomes
 * max(γ · factor, minLr), unless that changes it by less than `eps`.
 */
export class ReduceLROnPlateau {
  readonly type = 'ReduceLROnPlateau' as const;
  /** Number of `step(metric)` calls so far. */
  lastEpoch = 0;
  /** The learning rate when the schedule was created. */
  baseLr: number;
  /** The learning rate after the last step. */
  lastLr: number;
  /** Best metric so far (±Infinity before the first step). */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  private h: Required<ReduceLROnPlateauOptions>;

  constructor(
    readonly optimizer: LrTarget,
    options: ReduceLROnPlateauOptions = {},
  ) {
    this.baseLr = checkTargetLr('ReduceLROnPlateau', optimizer);
    this.lastLr = this.baseLr;
    this.h = ReduceLROnPlateau.validate({ ...options }, 'ReduceLROnPlateau');
    this.best = this.worst();
  }

  /** The hyper-parameters. */
  get options(): Readonly<Required<ReduceLROnPlateauOptions>> {
    return { ...this.h };
  }

  /**
   * Records this epoch's metric, reduces `optimizer.lr` if it has plateaued,
   * and returns the learning rate.
   * @throws if the metric is NaN (a diverged run should stop, not be slowed down).
   */
  step(metric: number): number {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new Error(`ReduceLROnPlateau.step: metric is ${String(metric)}; expected a number`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.h.patience) {
      const old = this.optimizer.lr;
      const lr = Math.max(old * this.h.factor, this.h.minLr);
      if (old - lr > this.h.eps) this.optimizer.lr = lr;
      this.cooldownCounter = this.h.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.lr;
    return this.lastLr;
  }

  /** The state as plain JSON. */
  stateDict(): SchedulerState {
    const best = Number.isFinite(this.best) ? this.best : this.best > 0 ? 'Infinity' : '-Infinity';
    return {
      type: this.type, lastEpoch: this.lastEpoch, baseLr: this.baseLr, lastLr: this.lastLr, hyper: { ...this.h },
      best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter,
    };
  }

  /**
   * Restores a state from {@link stateDict}; does not touch `optimizer.lr`.
   * @throws for another schedule's state or invalid values, leaving this one unchanged.
   */
  loadStateDict(state: SchedulerState): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    checkCommonState(state, this.type, where);
    const h = ReduceLROnPlateau.validate({ ...state.hyper }, where);
    const best = state.best === 'Infinity' ? Infinity : state.best === '-Infinity' ? -Infinity : state.best;
    if (typeof best !== 'number' || Number.isNaN(best)) throw new Error(`${where}: best must be a number, got ${String(state.best)}`);
    const numBadEpochs = nonNegativeInteger(state.numBadEpochs, 'numBadEpochs', where);
    const cooldownCounter = nonNegativeInteger(state.cooldownCounter, 'cooldownCounter', where);
    this.h = h;
    this.lastEpoch = state.lastEpoch;
    this.baseLr = state.baseLr;
    this.lastLr = state.lastLr;
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
  }

  private worst(): number {
    return this.h.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    const { mode, threshold, thresholdMode } = this.h;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  private static validate(o: Record<string, unknown>, where: string): Required<ReduceLROnPlateauOptions> {
    checkOptionKeys(where, o, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new Error(`${where}: mode must be 'min' or 'max', got ${String(mode)}`);
    const thresholdMode = o.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new Error(`${where}: thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
    }
    const factor = o.factor ?? 0.1;
    if (typeof factor !== 'number' || !(factor >= 0 && factor < 1)) throw new Error(`${where}: factor must be in [0, 1), got ${String(factor)}`);
    return {
      mode, factor, thresholdMode,
      patience: nonNegativeInteger(o.patience ?? 10, 'patience', where),
      threshold: nonNegative(o.threshold ?? 1e-4, 'threshold', where),
      cooldown: nonNegativeInteger(o.cooldown ?? 0, 'cooldown', where),
      minLr: nonNegative(o.minLr ?? 0, 'minLr', where),
      eps: nonNegative(o.eps ?? 1e-8, 'eps', where),
    };
  }
}

// ---------------------------------------------------------------------------
// shared checks

/** Python's `a % m` (the sign of m), which the cosine recursion relies on. */
function pyMod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function checkTargetLr(where: string, optimizer: LrTarget): number {
  const lr = optimizer?.lr;
  if (typeof lr !== 'number' || !(Number.isFinite(lr) && lr >= 0)) {
    throw new Error(`${where}: the optimiser's lr is ${String(lr)}; expected a finite number ≥ 0`);
  }
  return lr;
}

function checkCommonState(state: SchedulerState, type: SchedulerType, where: string): void {
  if (typeof state !== 'object' || state === null) throw new Error(`${where}: expected a state object, got ${String(state)}`);
  if (state.type !== type) throw new Error(`${where}: state is from ${String(state.type)}, not ${type}`);
  nonNegativeInteger(state.lastEpoch, 'lastEpoch', where);
  nonNegative(state.baseLr, 'baseLr', where);
  nonNegative(state.lastLr, 'lastLr', where);
  if (typeof state.hyper !== 'object' || state.hyper === null) throw new Error(`${where}: state has no hyper-parameters`);
}

function nonNegative(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !(Number.isFinite(v) && v >= 0)) {
    throw new Error(`${where}: ${key} must be a finite number ≥ 0, got ${String(v)}`);
  }
  return v;
}

function positive(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !(Number.isFinite(v) && v > 0)) throw new Error(`${where}: ${key} must be a finite number > 0, got ${String(v)}`);
  return v;
}

function nonNegativeInteger(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${where}: ${key} must be an integer ≥ 0, got ${String(v)}`);
  return v;
}

function positiveInteger(v: unknown, key: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: ${key} must be an integer ≥ 1, got ${String(v)}`);
  return v;
}
