/**
 * Tensors: a flat typed array plus a row-major shape.
 *
 * The library computes in float32 by default and in float64 where exactness
 * matters (gradient checks). Every numeric routine is generic over both.
 */

/** The element types the library computes in. */
export type DType = 'float32' | 'float64';

/** A flat buffer of either precision. */
export type FloatArray = Float32Array | Float64Array;

/** A dense row-major tensor: `data[i0·s0 + i1·s1 + …]` with strides from `shape`. */
export interface Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates a zero-filled buffer of the given precision. */
export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/** The precision of a buffer. */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** A zero tensor of the given shape. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return { data: allocate(dtype, numel(shape)), shape: [...shape] };
}

/**
 * Builds a tensor from nested arrays or a flat array plus a shape.
 * `tensor([[1, 2], [3, 4]])` or `tensor([1, 2, 3, 4], [2, 2])`.
 */
export function tensor(values: NestedNumbers | ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float32'): Tensor {
  if (shape !== undefined) {
    const flat = values as ArrayLike<number>;
    if (flat.length !== numel(shape)) {
      throw new Error(`tensor: ${flat.length} values do not fill shape [${shape.join(', ')}] (${numel(shape)} elements)`);
    }
    const data = allocate(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) data[i] = flat[i] as number;
    return { data, shape: [...shape] };
  }
  const inferred = inferShape(values as NestedNumbers);
  const data = allocate(dtype, numel(inferred));
  let k = 0;
  const walk = (v: NestedNumbers, depth: number): void => {
    if (typeof v === 'number') {
      data[k++] = v;
      return;
    }
    if (v.length !== inferred[depth]) throw new Error('tensor: ragged nested array');
    for (const item of v) walk(item, depth + 1);
  };
  walk(values as NestedNumbers, 0);
  return { data, shape: inferred };
}

/** Nested arrays of numbers, as accepted by {@link tensor}. */
export type NestedNumbers = number | readonly NestedNumbers[];

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (typeof cur !== 'number') {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedNumbers;
  }
  return shape;
}

/** Converts a tensor to nested JavaScript arrays (for printing and JSON). */
export function toNested(t: Tensor): NestedNumbers {
  const build = (offset: number, depth: number): NestedNumbers => {
    if (depth === t.shape.length) return t.data[offset] as number;
    const size = t.shape[depth] as number;
    const stride = numel(t.shape.slice(depth + 1));
    const out: NestedNumbers[] = [];
    for (let i = 0; i < size; i++) out.push(build(offset + i * stride, depth + 1));
    return out;
  };
  return build(0, 0);
}

/** Formats a shape for error messages: `[2, 3, 4]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of the first non-finite element, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (!Number.isFinite(v)) return i;
  }
  return -1;
}
