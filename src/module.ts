/**
 * What every module shares: parameters allocated in a (possibly shared)
 * flat store under a name prefix, PyTorch-style state dicts, gradient reset,
 * training/evaluation mode, a seeded generator and a backend.
 */
import type { Backend } from './backend/backend.js';
import { jsBackend } from './backend/js.js';
import { ParameterStore, type TensorLike } from './params.js';
import { checkOptionKeys } from './checks.js';
import { checkSeed, nextDefaultSeed, Random } from './random.js';
import { allocate, type DType, type FloatArray, type Tensor } from './tensor.js';

export interface ModuleOptions {
  /**
   * Seed in [0, 2³²) of the module's generator, used for initialisation and
   * dropout. Default: drawn from the default generator (see `manualSeed`), so
   * modules built one after another start with different weights.
   */
  seed?: number;
  /** Precision of a store of its own (default 'float32'; a shared store's dtype wins). */
  dtype?: DType;
  /** Kernels to run on (default: the reference TypeScript backend). */
  backend?: Backend;
  /** A store shared with the other modules of a model (default: a store of its own). */
  params?: ParameterStore;
  /** Prefix of this module's parameter names in the store, e.g. `'lstm.'` (default none). */
  prefix?: string;
}

/** The option keys every module takes. */
export const MODULE_OPTION_KEYS: readonly string[] = ['seed', 'dtype', 'backend', 'params', 'prefix'];

export class Module {
  readonly params: ParameterStore;
  readonly prefix: string;
  readonly backend: Backend;
  readonly rng: Random;
  /** The seed the generator started from (given, or drawn from the default generator). */
  readonly seed: number;
  /** Dropout and similar are active only in training mode (the default, as in PyTorch). */
  training = true;
  private readonly own: string[] = [];

  /**
   * @param optionKeys the keys the module takes besides {@link MODULE_OPTION_KEYS};
   *   any other key in `options` is an error naming it and the closest valid one.
   */
  constructor(readonly moduleName: string, options: ModuleOptions, optionKeys: readonly string[]) {
    checkOptionKeys(moduleName, options, [...optionKeys, ...MODULE_OPTION_KEYS]);
    if (options.seed !== undefined) checkSeed(moduleName, options.seed);
    this.seed = options.seed ?? nextDefaultSeed();
    this.params = options.params ?? new ParameterStore(options.dtype ?? 'float32', moduleName);
    this.prefix = options.prefix ?? '';
    this.backend = options.backend ?? jsBackend;
    this.rng = new Random(this.seed);
  }

  /** This module's parameter names in the store (with prefix), in declaration order. */
  get parameterNames(): readonly string[] {
    return this.own;
  }

  get dtype(): DType {
    return this.params.dtype;
  }

  /** Declares a parameter `prefix + name` and returns its offset in the store. */
  protected addParameter(name: string, shape: readonly number[]): number {
    const full = this.prefix + name;
    this.own.push(full);
    return this.params.add(full, shape).offset;
  }

  /** Live views of this module's parameters under their PyTorch names (without prefix). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const name of this.own) out[name.slice(this.prefix.length)] = this.params.value(name);
    return out;
  }

  /** Loads PyTorch-named weights; every key is checked before any is written. */
  loadStateDict(dict: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>): void {
    this.params.loadStateDict(dict, this.prefix, { names: this.own, owner: this.moduleName });
  }

  /** Sets this module's parameter gradients to zero. */
  zeroGrad(): void {
    for (const name of this.own) {
      const r = this.params.ref(name);
      this.params.grad.fill(0, r.offset, r.offset + r.size);
    }
  }

  /** Switches training mode on or off. Returns this. */
  train(on = true): this {
    this.training = on;
    return this;
  }

  /** Evaluation mode: same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** A copy of `src` in this module's precision. */
  protected copyIn(src: ArrayLike<number>): FloatArray {
    const out = allocate(this.dtype, src.length);
    out.set(src);
    return out;
  }

  /** Throws unless a variable's precision matches the parameters'. */
  protected checkDtype(arg: string, data: Float32Array | Float64Array): void {
    const dt: DType = data instanceof Float64Array ? 'float64' : 'float32';
    if (dt !== this.dtype) throw new Error(`${this.moduleName}: ${arg} is ${dt} but the parameters are ${this.dtype}`);
  }
}
