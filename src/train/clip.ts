/**
 * Gradient clipping over a {@link ParameterStore}'s flat gradient buffer.
 *
 * Clipping by global norm (Pascanu, Mikolov & Bengio 2013, "On the difficulty
 * of training recurrent neural networks", ICML) is the standard guard against
 * exploding gradients in recurrent networks. Both functions follow PyTorch
 * 1.13's `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` and work on all
 * parameters of the store or on a named subset.
 */
import type { ParameterStore } from '../params.js';
import { parameterAt } from './optim.js';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Restrict to these parameters (default: all of the store). */
  names?: readonly string[];
  /**
   * Throw when the total norm is NaN or ±Infinity (default true). With false the
   * non-finite norm is returned and the gradients are left as they are.
   */
  errorIfNonfinite?: boolean;
}

/** Options of {@link clipGradValue}. */
export interface ClipGradValueOptions {
  /** Restrict to these parameters (default: all of the store). */
  names?: readonly string[];
}

/**
 * Scales the gradients so that their global norm — over all of them together,
 * as if concatenated into one vector — is at most `maxNorm`:
 *
 *     ‖g‖ₚ = (Σᵢ |gᵢ|ᵖ)^(1/p)        (p = Infinity: maxᵢ |gᵢ|)
 *     c    = maxNorm / (‖g‖ₚ + 1e-6)
 *     g    ← c · g                    (only when c < 1)
 *
 * exactly PyTorch's rule, 1e-6 included (so a norm equal to `maxNorm` is still
 * scaled by a factor just below one). Sums run in float64 for float32 stores.
 * The 2-norm and the scaling run on the store's backend (WebAssembly
 * kernels for a store in its memory, whose sum may differ from the
 * reference's sequential one by rounding).
 *
 * @param maxNorm largest allowed norm (≥ 0; Infinity never clips).
 * @param normType p > 0, or Infinity for the largest absolute value. Default 2.
 * @returns the total norm before clipping.
 * @throws if the norm is not finite (naming the first non-finite gradient), unless `errorIfNonfinite` is false.
 */
export function clipGradNorm(store: ParameterStore, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): number {
  const where = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${where}: maxNorm must be a number ≥ 0, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new Error(`${where}: normType must be a number > 0 or Infinity, got ${String(normType)}`);
  }
  const ranges = selectRanges(store, options.names, where);
  const g = store.grad;
  const be = store.backend;
  let total = 0;
  if (normType === Infinity) {
    for (const [begin, end] of ranges) {
      for (let i = begin; i < end; i++) {
        const a = Math.abs(g[i] as number);
        if (a > total || a !== a) total = a; // NaN sticks: no later comparison replaces it
      }
    }
  } else if (normType === 2) {
    for (const [begin, end] of ranges) total += be.sumSquares(end - begin, g, begin);
    total = Math.sqrt(total);
  } else if (normType === 1) {
    for (const [begin, end] of ranges) for (let i = begin; i < end; i++) total += Math.abs(g[i] as number);
  } else {
    for (const [begin, end] of ranges) for (let i = begin; i < end; i++) total += Math.abs(g[i] as number) ** normType;
    total = total ** (1 / normType);
  }
  if (!Number.isFinite(total)) {
    if (options.errorIfNonfinite === false) return total;
    throw new Error(`${where}: the total ${normName(normType)} of the gradients is ${total}, so they cannot be clipped; ${culprit(store, ranges)}. Pass { errorIfNonfinite: false } to get the norm back with the gradients left untouched`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const [begin, end] of ranges) be.scale(end - begin, coef, g, begin);
  }
  return total;
}

/**
 * Clamps every gradient to [−clipValue, clipValue] (`clip_grad_value_`). NaN
 * gradients stay NaN, as in PyTorch.
 * @returns how many gradients were clipped (PyTorch returns nothing).
 */
export function clipGradValue(store: ParameterStore, clipValue: number, options: ClipGradValueOptions = {}): number {
  const where = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new Error(`${where}: clipValue must be a number ≥ 0, got ${String(clipValue)}`);
  const g = store.grad;
  let clipped = 0;
  for (const [begin, end] of selectRanges(store, options.names, where)) {
    for (let i = begin; i < end; i++) {
      const v = g[i] as number;
      if (v > clipValue) {
        g[i] = clipValue;
        clipped++;
      } else if (v < -clipValue) {
        g[i] = -clipValue;
        clipped++;
      }
    }
  }
  return clipped;
}

/** Flat [begin, end) ranges of the named parameters (the whole store when `names` is omitted). */
function selectRanges(store: ParameterStore, names: readonly string[] | undefined, where: string): Array<[number, number]> {
  if (names === undefined) return [[0, store.size]];
  if (!Array.isArray(names)) throw new Error(`${where}: names must be an array of parameter names`);
  const seen = new Set<string>();
  const ranges: Array<[number, number]> = [];
  for (const name of names) {
    if (seen.has(name)) throw new Error(`${where}: parameter '${name}' is listed twice`);
    seen.add(name);
    if (!store.has(name)) throw new Error(`${where}: no parameter named '${name}' (have: ${store.names().join(', ')})`);
    const r = store.ref(name);
    ranges.push([r.offset, r.offset + r.size]);
  }
  return ranges;
}

function normName(p: number): string {
  return p === Infinity ? 'max-norm' : `${p}-norm`;
}

function culprit(store: ParameterStore, ranges: ReadonlyArray<readonly [number, number]>): string {
  const g = store.grad;
  for (const [begin, end] of ranges) {
    for (let i = begin; i < end; i++) {
      const v = g[i] as number;
      if (!Number.isFinite(v)) {
        const at = parameterAt(store, i);
        return `gradient of '${at.name}' holds ${v} at index ${at.index}`;
      }
    }
  }
  return 'every gradient is finite but the norm overflows';
}
