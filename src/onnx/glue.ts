/**
 * The shape operators around recurrent nodes in an ONNX graph, evaluated on
 * dense row-major arrays: Transpose, Reshape (0 = keep, −1 = infer),
 * Slice (steps 1), Concat, Squeeze, Unsqueeze, Gather, Expand and Shape —
 * what ./export.ts writes, and what other exporters put around and between
 * stacked RNN, LSTM and GRU nodes (torch.onnx builds zero initial states
 * from Shape → Gather → Unsqueeze → Concat → Expand of a constant).
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

/** x with axes of size 1 inserted at `axes` (of the result; negative counts from the end). */
export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  if (at.size !== axes.length || [...at].some((a) => a < 0 || a >= rank)) throw new Error(`axes [${axes.join(', ')}] do not fit a result of rank ${rank}`);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : (x.shape[k++] as number));
  return { data: x.data, shape };
}

/** The shape of x as a 1-D integer value. */
export function shapeOf(x: Value): Value {
  return { data: Int32Array.from(x.shape), shape: [x.shape.length] };
}

/** x[…, indices, …] along `axis` (indices a scalar or any shape; negative indices count from the end). */
export function gather(x: Value, indices: Value, axis: number): Value {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) throw new Error(`axis ${axis} does not fit rank ${rank}`);
  const n = x.shape[ax] as number;
  const outer = x.shape.slice(0, ax).reduce((a, d) => a * d, 1);
  const inner = x.shape.slice(ax + 1).reduce((a, d) => a * d, 1);
  const idx = Array.from(indices.data, (i) => (i < 0 ? i + n : i));
  for (const i of idx) if (i < 0 || i >= n) throw new Error(`index ${i} is out of range for an axis of ${n}`);
  const out = like(x, outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    idx.forEach((i, k) => out.set(x.data.subarray((o * n + i) * inner, (o * n + i + 1) * inner), (o * idx.length + k) * inner));
  }
  return { data: out, shape: [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)] };
}

/** x broadcast to `target` (NumPy rules: the result's shape is the broadcast of both). */
export function expand(x: Value, target: readonly number[]): Value {
  const rank = Math.max(x.shape.length, target.length);
  const xs = [...new Array<number>(rank - x.shape.length).fill(1), ...x.shape];
  const ts = [...new Array<number>(rank - target.length).fill(1), ...target];
  const shape = xs.map((d, i) => {
    const t = ts[i] as number;
    if (d !== t && d !== 1 && t !== 1) throw new Error(`shape (${x.shape.join(', ')}) cannot be broadcast to (${target.join(', ')})`);
    return Math.max(d, t);
  });
  const n = shape.reduce((a, d) => a * d, 1);
  const out = like(x, n);
  const xStrides = strides(xs).map((s, i) => (xs[i] === 1 ? 0 : s));
  const outStrides = strides(shape);
  for (let i = 0; i < n; i++) {
    let from = 0;
    for (let d = 0; d < rank; d++) from += Math.floor(i / (outStrides[d] as number)) % (shape[d] as number) * (xStrides[d] as number);
    out[i] = x.data[from] as number;
  }
  return { data: out, shape };
}
