/**
 * The shape operators around recurrent nodes in an ONNX graph, evaluated on
 * dense row-major arrays: Transpose, Reshape (0 = keep, −1 = infer),
 * Slice (steps 1), Concat and Squeeze — what ./export.ts writes and what
 * other exporters put between stacked RNN, LSTM and GRU nodes.
 */

/** A dense row-major value of the graph: floats, or integers (lengths, shapes). */
export interface Value {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function like(v: Value, n: number): Float32Array | Int32Array {
  return v.data instanceof Int32Array ? new Int32Array(n) : new Float32Array(n);
}

/** out[i_perm[0], …] = x[i_0, …]: axis k of the result is axis perm[k] of x (default: reversed). */
export function transpose(x: Value, perm: readonly number[] | null): Value {
  const rank = x.shape.length;
  const p = perm ?? x.shape.map((_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw new Error(`perm [${p.join(', ')}] is not a permutation of the ${rank} axes`);
  }
  const shape = p.map((a) => x.shape[a]!);
  const inStrides = strides(x.shape);
  const outStrides = strides(shape);
  const out = like(x, x.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (Math.floor(i / outStrides[k]!) % shape[k]!) * inStrides[p[k]!]!;
    out[i] = x.data[src]!;
  }
  return { data: out, shape };
}

/** The same data under `target` (0 keeps the input's size on that axis, one −1 takes the rest). */
export function reshape(x: Value, target: readonly number[]): Value {
  const shape = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const free = shape.indexOf(-1);
  if (free >= 0) shape[free] = known === 0 ? 0 : x.data.length / known;
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || shape.reduce((a, d) => a * d, 1) !== x.data.length) {
    throw new Error(`cannot reshape (${x.shape.join(', ')}) to (${target.join(', ')})`);
  }
  return { data: x.data, shape };
}

/** x[…, starts[k]:ends[k], …] on the given axes (negative bounds count from the end; clamped). */
export function slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[] | null): Value {
  const rank = x.shape.length;
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape];
  starts.forEach((s, k) => {
    const a = axes ? (axes[k]! < 0 ? axes[k]! + rank : axes[k]!) : k;
    const n = x.shape[a];
    if (n === undefined) throw new Error(`axis ${axes?.[k] ?? k} is out of range for rank ${rank}`);
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    lo[a] = clamp(s);
    hi[a] = Math.max(lo[a]!, clamp(ends[k]!));
  });
  const shape = hi.map((h, a) => h - lo[a]!);
  const inStrides = strides(x.shape);
  const outStrides = strides(shape);
  const out = like(x, shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (Math.floor(i / outStrides[k]!) % shape[k]! + lo[k]!) * inStrides[k]!;
    out[i] = x.data[src]!;
  }
  return { data: out, shape };
}

/** The values joined along `axis` (every other axis equal). */
export function concat(xs: readonly Value[], axis: number): Value {
  const first = xs[0]!;
  const rank = first.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, k) => k !== a && d !== first.shape[k])) {
      throw new Error(`cannot concatenate (${first.shape.join(', ')}) and (${x.shape.join(', ')}) on axis ${axis}`);
    }
  }
  const outer = first.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  const out = like(first, shape.reduce((p, d) => p * d, 1));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const x of xs) {
      const chunk = x.data.length / outer;
      out.set(x.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { data: out, shape };
}

/** x without the given size-1 axes (all size-1 axes when none are given). */
export function squeeze(x: Value, axes: readonly number[] | null): Value {
  const rank = x.shape.length;
  const drop = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + rank : a)));
  for (const a of drop) {
    if (x.shape[a] !== 1) throw new Error(`axis ${a} of (${x.shape.join(', ')}) is not of size 1`);
  }
  return { data: x.data, shape: x.shape.filter((_, i) => !drop.has(i)) };
}
