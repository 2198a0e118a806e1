/**
 * One flat parameter store with named views.
 *
 * All parameters of a module live in one buffer `data`, their gradients in a
 * parallel buffer `grad`; each parameter is a named slice `[offset, offset + size)`.
 * Optimisers, clipping, serialisation and copies into other memories become
 * single loops over one array. Names follow PyTorch's state dict
 * (`weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`, …).
 *
 * Memory: `data` and `grad` are allocated by a backend ({@link Backend.allocate}):
 * ordinary arrays by default, or the WebAssembly backend's memory, where
 * its kernels read the weights without copying them. A store created
 * without a backend moves into the memory of the first recurrent layer or
 * cell built on it with a backend of its own ({@link placeIn}). `add`
 * reallocates when the capacity is exceeded (doubling it in a backend's
 * memory, where the unwritten part costs no RAM), so read
 * `data`/`grad` and take views after the parameters are declared; views
 * taken earlier keep their old block alive and are simply stale.
 */
import type { Backend } from './backend/backend.js';
import { jsBackend } from './backend/js.js';
import { type DType, type FloatArray, type Tensor, formatShape, numel, sameShape } from './tensor.js';

/**
 * Keeps a store's block alive while a view of it is reachable: blocks of a
 * backend's memory are recycled once their array is garbage, and a
 * subarray does not keep its parent array alive by itself.
 */
const blockOf = new WeakMap<FloatArray, FloatArray>();

/** `block[0, n)` as a view that keeps `block` alive. */
function viewOf(block: FloatArray, begin: number, end: number): FloatArray {
  if (begin === 0 && end === block.length) return block;
  const v = block.subarray(begin, end);
  blockOf.set(v, blockOf.get(block) ?? block);
  return v;
}

/** A parameter's place in the store. */
export interface ParamRef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** A tensor-like value accepted by {@link ParameterStore.loadStateDict}. */
export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export class ParameterStore {
  /** Parameter values, all parameters back to back. */
  data: FloatArray;
  /** Gradients, same layout as {@link data}. */
  grad: FloatArray;
  private used = 0;
  private readonly refs = new Map<string, ParamRef>();
  /** The backend whose memory holds `data` and `grad`; null for ordinary arrays. */
  private memory: Backend | null;
  /** The allocations `data` and `grad` are views of (capacity ≥ size). */
  private dataBlock: FloatArray;
  private gradBlock: FloatArray;

  /**
   * @param backend allocates `data` and `grad` (default: ordinary arrays,
   *   until a layer with a backend moves the store, see {@link placeIn}).
   */
  constructor(readonly dtype: DType = 'float32', readonly owner = 'ParameterStore', backend?: Backend) {
    this.memory = backend && backend !== jsBackend ? backend : null;
    this.dataBlock = this.allocator.allocate(dtype, 0);
    this.gradBlock = this.allocator.allocate(dtype, 0);
    this.data = this.dataBlock;
    this.grad = this.gradBlock;
  }

  /**
   * The backend whose memory holds the buffers, and whose kernels the
   * optimisers and clipping run on ({@link jsBackend} for ordinary arrays).
   */
  get backend(): Backend {
    return this.memory ?? jsBackend;
  }

  private get allocator(): Backend {
    return this.memory ?? jsBackend;
  }

  /**
   * Moves `data` and `grad` into `backend`'s memory, if the store still
   * uses ordinary arrays (a store already placed stays where it is).
   * Layers call this with their backend, so that their weights need no
   * copying per kernel call.
   */
  placeIn(backend: Backend): void {
    if (this.memory || backend === jsBackend) return;
    this.memory = backend;
    // Room to grow in place (for the modules built next on the same store): pages
    // of a backend's memory that are never written cost no RAM.
    this.reallocate(2 * this.used + 16384, this.used);
  }

  /** Moves the buffers to blocks of `capacity` (≥ `keep`) elements, keeping the first `keep`. */
  private reallocate(capacity: number, keep: number): void {
    const data = this.allocator.allocate(this.dtype, capacity);
    const grad = this.allocator.allocate(this.dtype, capacity);
    data.set(this.data.subarray(0, keep));
    grad.set(this.grad.subarray(0, keep));
    this.dataBlock = data;
    this.gradBlock = grad;
    this.data = viewOf(data, 0, keep);
    this.grad = viewOf(grad, 0, keep);
  }

  /** Total number of scalar parameters. */
  get size(): number {
    return this.used;
  }

  /** Declares a new zero-initialised parameter and returns its place. */
  add(name: string, shape: readonly number[]): ParamRef {
    if (this.refs.has(name)) throw new Error(`${this.owner}: parameter '${name}' declared twice`);
    const size = numel(shape);
    const ref: ParamRef = { name, shape: [...shape], offset: this.used, size };
    const needed = this.used + size;
    if (needed > this.dataBlock.length) {
      // Ordinary arrays: exactly the size. A backend's memory: doubling, so
      // few blocks are left to the garbage collector.
      this.reallocate(this.memory ? Math.max(needed, 2 * this.dataBlock.length) : needed, this.used);
    }
    this.used = needed;
    this.data = viewOf(this.dataBlock, 0, needed);
    this.grad = viewOf(this.gradBlock, 0, needed);
    this.refs.set(name, ref);
    return ref;
  }

  /** True when a parameter of that name exists. */
  has(name: string): boolean {
    return this.refs.has(name);
  }

  /** The place of a named parameter. */
  ref(name: string): ParamRef {
    const r = this.refs.get(name);
    if (!r) throw new Error(`${this.owner}: no parameter named '${name}' (have: ${this.names().join(', ')})`);
    return r;
  }

  /** Parameter names in declaration order. */
  names(): string[] {
    return [...this.refs.keys()];
  }

  /** A live view of a parameter's values (writes go to the store). */
  value(name: string): Tensor {
    const r = this.ref(name);
    return { data: viewOf(this.dataBlock, r.offset, r.offset + r.size), shape: r.shape };
  }

  /** A live view of a parameter's gradient. */
  gradient(name: string): Tensor {
    const r = this.ref(name);
    return { data: viewOf(this.gradBlock, r.offset, r.offset + r.size), shape: r.shape };
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.grad.fill(0);
  }

  /**
   * Live views of the parameters under their PyTorch names: all of them, or
   * those whose names start with `prefix`, with the prefix removed (a
   * submodule's own state dict).
   */
  stateDict(prefix = ''): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const name of this.refs.keys()) if (name.startsWith(prefix)) out[name.slice(prefix.length)] = this.value(name);
    return out;
  }

  /**
   * Copies values from a state dict. Every key is validated before anything is
   * written, so a bad dict leaves the parameters untouched.
   *
   * The dict's keys are prefixed with `prefix`; the parameters it must cover are
   * `own.names` when given (a module's own parameters in a shared store), else
   * all parameters whose names start with `prefix`. `own.owner` names the
   * module in messages (default: the store's owner).
   * @throws naming missing, unexpected and mis-shaped keys, or non-finite values.
   */
  loadStateDict(
    dict: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>,
    prefix = '',
    own?: { readonly names?: readonly string[]; readonly owner?: string },
  ): void {
    const owner = own?.owner ?? this.owner;
    if (dict === null || typeof dict !== 'object') throw new TypeError(`${owner}.loadStateDict: expected an object or Map of tensors, got ${String(dict)}`);
    const given = dict instanceof Map ? dict : new Map(Object.entries(dict as Record<string, TensorLike>));
    const entries = new Map([...given].map(([k, v]) => [prefix + k, v] as const));
    const required = new Set(own?.names ?? this.names().filter((n) => n.startsWith(prefix)));
    const problems: string[] = [];
    const missing = [...required].filter((n) => !entries.has(n));
    if (missing.length) problems.push(`missing keys: ${missing.map((n) => n.slice(prefix.length)).join(', ')}`);
    const unexpected = [...given.keys()].filter((n) => !required.has(prefix + n));
    if (unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    for (const [name, t] of given) {
      const r = required.has(prefix + name) ? this.refs.get(prefix + name) : undefined;
      if (!r) continue;
      if (!t || !Array.isArray(t.shape) || t.data == null || typeof t.data.length !== 'number') {
        problems.push(`'${name}' is not a tensor ({ data, shape })`);
        continue;
      }
      if (!sameShape(t.shape, r.shape)) {
        problems.push(`'${name}' has shape ${formatShape(t.shape)}, expected ${formatShape(r.shape)}`);
      } else if (t.data.length !== r.size) {
        problems.push(`'${name}' has ${t.data.length} values for shape ${formatShape(r.shape)}`);
      } else {
        for (let i = 0; i < r.size; i++) {
          if (!Number.isFinite(t.data[i] as number)) {
            problems.push(`'${name}' holds a non-finite value (${t.data[i]}) at flat index ${i}`);
            break;
          }
        }
      }
    }
    if (problems.length) throw new Error(`${owner}.loadStateDict: ${problems.join('; ')}`);
    for (const [name, t] of entries) {
      const r = this.ref(name);
      for (let i = 0; i < r.size; i++) this.data[r.offset + i] = t.data[i] as number;
    }
  }
}
