/**
 * Argument checks at the public boundary. Messages name the module, the
 * argument, what was expected and what came.
 */
import { type Tensor, firstNonFinite, formatShape, numel } from './tensor.js';

/** Throws unless `t` is a tensor whose data fills its shape. */
export function checkTensor(module: string, arg: string, t: unknown): asserts t is Tensor {
  const v = t as Tensor | undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.shape) || !(v.data instanceof Float32Array || v.data instanceof Float64Array)) {
    throw new TypeError(`${module}: ${arg} must be a tensor { data: Float32Array | Float64Array, shape: number[] }`);
  }
  if (v.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${module}: ${arg} has an invalid shape ${formatShape(v.shape)}`);
  }
  if (v.data.length !== numel(v.shape)) {
    throw new Error(`${module}: ${arg} has ${v.data.length} values but shape ${formatShape(v.shape)} needs ${numel(v.shape)}`);
  }
}

/** Throws unless `t` has exactly the expected shape. */
export function checkShape(module: string, arg: string, t: Tensor, expected: readonly number[], meaning: string): void {
  const ok = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!ok) throw new Error(`${module}: expected ${arg} of shape ${meaning} = ${formatShape(expected)}, got ${formatShape(t.shape)}`);
}

/** Throws if any value is NaN or ±Infinity, naming the position. */
export function checkFinite(module: string, arg: string, t: Tensor): void {
  const i = firstNonFinite(t.data);
  if (i >= 0) {
    throw new Error(`${module}: ${arg} contains a non-finite value (${t.data[i]}) at flat index ${i}; inputs must be finite`);
  }
}

/** Validates per-sequence lengths: integers in [1, T], one per batch row. */
export function checkLengths(module: string, lengths: ArrayLike<number>, B: number, T: number): Int32Array {
  if (lengths.length !== B) throw new Error(`${module}: expected ${B} lengths (one per sequence), got ${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const l = lengths[b] as number;
    if (!Number.isInteger(l) || l < 1 || l > T) {
      throw new Error(`${module}: lengths[${b}] = ${l} is out of range; each length must be an integer in [1, ${T}] (the sequence length)`);
    }
    out[b] = l;
  }
  return out;
}
