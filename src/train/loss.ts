/**
 * Losses, fused with their gradients.
 *
 * Softmax cross-entropy over the last dimension, per row i with logits z_i and
 * target class y_i:
 *   ℓ_i = log Σ_k exp(z_ik) − z_iy            (computed with the max subtracted)
 *   ∂ℓ_i/∂z_ik = softmax(z_i)_k − [k = y_i]
 * Reduction 'mean' divides by the total weight of the counted rows (rows with
 * `ignoreIndex` count 0, a `mask` weights rows), 'sum' does not — PyTorch's
 * `cross_entropy` semantics.
 *
 * Both passes are kernels of the backend (`options.backend`).
 *
 * Mean squared error: ℓ = mean((x − y)²), ∂ℓ/∂x = 2(x − y)/N.
 */
import { record, type Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import type { TokenIds } from '../layers/embedding.js';
import { allocate, dtypeOf, formatShape, numel, type Tensor } from '../tensor.js';

export interface CrossEntropyOptions {
  /** Target id that contributes neither loss nor gradient (default none). */
  ignoreIndex?: number;
  /** Per-row weights, e.g. 1 for real tokens and 0 for padding (default all 1). */
  mask?: ArrayLike<number>;
  /** 'mean' (default) or 'sum'. */
  reduction?: 'mean' | 'sum';
  /** Kernels to run on (default: the reference backend); pass the model's backend. */
  backend?: Backend;
}

/** Softmax cross-entropy of `logits` (…, V) against integer `targets` (…); a scalar. */
export function crossEntropy(logits: Variable, targets: TokenIds, options: CrossEntropyOptions = {}): Variable {
  const V = logits.shape[logits.shape.length - 1] as number;
  const rows = V > 0 ? logits.data.length / V : 0;
  if (logits.shape.length < 1 || V < 1) throw new Error(`crossEntropy: logits must have a class dimension, got shape ${formatShape(logits.shape)}`);
  if (!targets || targets.data == null || targets.data.length !== rows || numel(targets.shape) !== rows) {
    throw new Error(`crossEntropy: expected ${rows} targets (shape ${formatShape(logits.shape.slice(0, -1))}) for logits of shape ${formatShape(logits.shape)}, got ${targets?.data?.length ?? 'none'}`);
  }
  const ignore = options.ignoreIndex ?? Number.NaN;
  const mask = options.mask;
  if (mask && mask.length !== rows) throw new Error(`crossEntropy: mask has ${mask.length} entries, expected ${rows} (one per target)`);
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`crossEntropy: reduction must be 'mean' or 'sum', got '${String(reduction)}'`);

  const z = logits.data;
  const weights = new Float64Array(rows);
  const ids = new Int32Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const y = targets.data[i] as number;
    if (y === ignore) continue;
    if (!Number.isInteger(y) || y < 0 || y >= V) {
      throw new Error(`crossEntropy: target ${y} at position ${i} is out of range; targets must be integers in [0, ${V})${Number.isNaN(ignore) ? '' : ` or the ignore index ${ignore}`}`);
    }
    const m = mask ? (mask[i] as number) : 1;
    if (!(m >= 0) || !Number.isFinite(m)) throw new Error(`crossEntropy: mask[${i}] = ${m}; mask weights must be finite and ≥ 0`);
    weights[i] = m;
    ids[i] = y;
    total += m;
  }
  if (reduction === 'mean' && total === 0) throw new Error('crossEntropy: every target is ignored or masked out, so the mean is undefined');
  const scale = reduction === 'mean' ? 1 / total : 1;

  // Forward, keeping the softmax for the backward pass.
  const be = options.backend ?? jsBackend;
  const probs = be.allocate(dtypeOf(z), rows * V);
  const loss = be.softmaxCrossEntropy(rows, V, z, 0, ids, weights, probs);
  const out = allocate(dtypeOf(z), 1);
  out[0] = loss * scale;
  const [result] = record('crossEntropy', [logits], [{ data: out, shape: [] }], ([dOut]) => {
    if (!dOut) return;
    be.softmaxCrossEntropyBackward(rows, V, (dOut[0] as number) * scale, ids, weights, probs); // in place: the graph is freed after this
    logits.accumulateGrad(probs);
    be.release(probs);
  });
  if (!result?.creator) be.release(probs); // nothing will backpropagate through it
  return result as Variable;
}

/** Mean (or summed) squared error between `input` and a fixed `target` of the same shape; a scalar. */
export function mse(input: Variable, target: Tensor, reduction: 'mean' | 'sum' = 'mean'): Variable {
  if (input.data.length !== target.data.length) {
    throw new Error(`mse: target of shape ${formatShape(target.shape)} does not match input of shape ${formatShape(input.shape)}`);
  }
  const n = input.data.length;
  const scale = reduction === 'mean' ? 1 / n : 1;
  const diff = allocate(dtypeOf(input.data), n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = (input.data[i] as number) - (target.data[i] as number);
    diff[i] = d;
    sum += d * d;
  }
  const out = allocate(dtypeOf(input.data), 1);
  out[0] = sum * scale;
  const [result] = record('mse', [input], [{ data: out, shape: [] }], ([dOut]) => {
    if (!dOut) return;
    const s = 2 * scale * (dOut[0] as number);
    for (let i = 0; i < n; i++) diff[i] = (diff[i] as number) * s; // ∂/∂x (x − y)² = 2(x − y)
    input.accumulateGrad(diff);
  });
  return result as Variable;
}

/** Throws if a loss value is NaN or infinite, naming where and at which step. */
export function assertFiniteLoss(value: number, step: number, where = 'training'): void {
  if (!Number.isFinite(value)) {
    throw new Error(`${where}: the loss became ${value} at step ${step}; stopping before the parameters are updated (lower the learning rate or clip gradients)`);
  }
}
