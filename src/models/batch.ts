/**
 * From examples as plain arrays to padded batches for a {@link Sequential}
 * model.
 *
 * An input (one example) is, by the model's signature:
 *   token ids      [id, id, …]                         (embedding first)
 *   a sequence     [v, v, …] with one number per step (inputSize 1), or
 *                  [[f, f, …], …] with inputSize numbers per step
 *   a vector       [f, f, …] with inputSize numbers    (no recurrent layer)
 * A target is, by the model's output and the loss:
 *   per example    a class id (crossEntropy); a number or outputSize numbers (mse)
 *   per step       one of those for every step of the input (same length)
 *
 * Sequences of a batch are padded at the end to the longest (ids with 0,
 * features and targets with zeros); `lengths` tells the model where each
 * ends, and per-step targets carry a mask that is 0 on the padding.
 */
import type { TokenIds } from '../layers/embedding.js';
import { allocate, type Tensor } from '../tensor.js';
import { formatValue } from './layer-spec.js';
import type { Sequential } from './sequential.js';

/** One example's input (see the module comment). */
export type Example = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** One example's target (see the module comment). */
export type Target = number | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** Inputs and their targets, index by index. */
export interface Dataset {
  x: readonly Example[];
  y: readonly Target[];
}

/** The losses `fit` and `evaluate` know. */
export type LossName = 'crossEntropy' | 'mse';

/** A padded batch, batch first. */
export interface Batch {
  /** Token ids (B, T), features (B, T, F) or vectors (B, F), in the model's precision. */
  input: Tensor | TokenIds;
  /** Per-sequence lengths (sequence models), else null. */
  lengths: Int32Array | null;
  /** Sequences in the batch. */
  size: number;
  /** Padded length T (0 for vectors). */
  steps: number;
}

/** A batch with its targets. */
export interface LabelledBatch extends Batch {
  /** crossEntropy: class ids, (B) or (B, T) with 0 on the padding. */
  classes: Int32Array | null;
  /** mse: target values (B, C) or (B, T, C), zeros on the padding. */
  values: Tensor | null;
  /** Per-step targets with padding: 1 at valid steps, 0 after (B·T); else null. */
  mask: Float64Array | null;
  /** Loss terms counted: examples, or valid steps for per-step targets. */
  count: number;
}

/** Pads the inputs `x[indices]` into one batch. `name` names the array in messages (`x`, `validation.x`). */
export function collateInputs(model: Sequential, x: readonly Example[], indices: ArrayLike<number>, where: string, name: string): Batch {
  const sig = model.signature;
  const B = indices.length;
  const F = sig.inputSize;
  if (sig.input === 'vector') {
    const data = allocate(model.dtype, B * F);
    for (let b = 0; b < B; b++) {
      const i = indices[b] as number;
      readValues(x[i], F, data, b * F, `${where}: ${name}[${i}]`, 'inputSize');
    }
    return { input: { data, shape: [B, F] }, lengths: null, size: B, steps: 0 };
  }
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const i = indices[b] as number;
    const ex = x[i];
    if (!isArrayLike(ex) || ex.length < 1) throw new Error(`${where}: ${name}[${i}] must be a non-empty sequence (array), got ${formatValue(ex)}`);
    lengths[b] = ex.length;
  }
  const T = Math.max(...lengths);
  if (sig.input === 'ids') {
    const data = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const i = indices[b] as number;
      const ex = x[i] as ArrayLike<unknown>;
      for (let t = 0; t < ex.length; t++) {
        const id = ex[t];
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= F) {
          throw new Error(`${where}: ${name}[${i}][${t}] = ${formatValue(id)} is not a token id; the embedding takes integers in [0, ${F})`);
        }
        data[b * T + t] = id;
      }
    }
    return { input: { data, shape: [B, T] }, lengths, size: B, steps: T };
  }
  const data = allocate(model.dtype, B * T * F);
  for (let b = 0; b < B; b++) {
    const i = indices[b] as number;
    const ex = x[i] as ArrayLike<unknown>;
    for (let t = 0; t < ex.length; t++) readValues(ex[t], F, data, (b * T + t) * F, `${where}: ${name}[${i}][${t}]`, 'inputSize');
  }
  return { input: { data, shape: [B, T, F] }, lengths, size: B, steps: T };
}

/** Pads `x[indices]` and `y[indices]` into one batch for `loss`. */
export function collate(model: Sequential, data: Dataset, indices: ArrayLike<number>, loss: LossName, where: string, name = ''): LabelledBatch {
  const batch = collateInputs(model, data.x, indices, where, `${name}x`);
  const { size: B, steps: T, lengths } = batch;
  const C = model.signature.outputSize;
  const perStep = model.signature.outputSequence;
  const y = data.y;
  const label = (i: number): string => `${where}: ${name}y[${i}]`;
  let classes: Int32Array | null = null;
  let values: Tensor | null = null;
  const rows = perStep ? B * T : B;
  if (loss === 'crossEntropy') classes = new Int32Array(rows);
  else values = { data: allocate(model.dtype, rows * C), shape: perStep ? [B, T, C] : [B, C] };
  /** Writes the target of row r (an example, or one of its steps). */
  const write = (v: unknown, r: number, at: string): void => {
    if (classes) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= C) {
        throw new Error(`${at} = ${formatValue(v)} is not a class id; crossEntropy takes integers in [0, ${C}) (the model's outputSize)`);
      }
      classes[r] = v;
    } else {
      readValues(v, C, (values as Tensor).data, r * C, at, 'outputSize');
    }
  };
  let count = B;
  let mask: Float64Array | null = null;
  for (let b = 0; b < B; b++) {
    const i = indices[b] as number;
    const target = y[i];
    if (!perStep) {
      write(target, b, label(i));
      continue;
    }
    const n = (lengths as Int32Array)[b] as number;
    if (!isArrayLike(target) || target.length !== n) {
      throw new Error(`${label(i)} must hold one target per step, ${n} like ${name}x[${i}], got ${isArrayLike(target) ? `${target.length}` : formatValue(target)}`);
    }
    for (let t = 0; t < n; t++) write((target as ArrayLike<unknown>)[t], b * T + t, `${label(i)}[${t}]`);
  }
  if (perStep) {
    count = 0;
    for (const n of lengths as Int32Array) count += n;
    if (count < B * T) {
      mask = new Float64Array(B * T);
      for (let b = 0; b < B; b++) mask.fill(1, b * T, b * T + ((lengths as Int32Array)[b] as number));
    }
  }
  return { ...batch, classes, values, mask, count };
}

/** Checks that `data` is a dataset of matching inputs and targets. */
export function checkDataset(data: unknown, where: string, name: string): asserts data is Dataset {
  const d = data as Dataset | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.x) || !Array.isArray(d.y)) {
    throw new Error(`${where}: ${name} must be { x: inputs[], y: targets[] }, got ${formatValue(data)}`);
  }
  if (d.x.length !== d.y.length) throw new Error(`${where}: ${name}.x has ${d.x.length} examples but ${name}.y has ${d.y.length} targets`);
  if (d.x.length === 0) throw new Error(`${where}: ${name} holds no examples`);
}

/** `F` numbers — or a bare number when F = 1 — into `out[offset…]`; `size` names what F is in messages. */
function readValues(v: unknown, F: number, out: Float32Array | Float64Array, offset: number, at: string, size: string): void {
  if (typeof v === 'number' && F === 1) {
    if (!Number.isFinite(v)) throw new Error(`${at} is ${v}; values must be finite`);
    out[offset] = v;
    return;
  }
  if (!isArrayLike(v) || v.length !== F) {
    throw new Error(`${at} must hold ${F} number${F > 1 ? 's' : ''} (the model's ${size}), got ${isArrayLike(v) ? `${v.length}` : formatValue(v)}`);
  }
  for (let f = 0; f < F; f++) {
    const x = v[f];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${at}[${f}] is ${formatValue(x)}; values must be finite numbers`);
    out[offset + f] = x;
  }
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}
