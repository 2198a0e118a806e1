/**
 * Affine map over the last dimension, like `torch.nn.Linear`:
 *
 *   y = x Wᵀ + b,   W (out, in), b (out)
 *
 * Backward: dx = dy W,  dW += dyᵀ x,  db += Σ dy.
 * Init (PyTorch's): W, b ~ U(−1/√in, 1/√in).
 *
 * Example: `const head = new Linear({ inFeatures: 256, outFeatures: 65 });
 * const logits = head.apply(h);   // h: (…, 256) → (…, 65)`
 */
import { record, type Variable } from '../autograd/variable.js';
import { addMatmulTN, mat, matmulNN, matmulNT } from '../backend/matmul.js';
import { uniformInit } from '../init.js';
import { Module, type ModuleOptions } from '../module.js';
import type { Backend } from '../backend/backend.js';
import type { ParameterStore } from '../params.js';
import { allocate, dtypeOf, formatShape } from '../tensor.js';

export interface LinearOptions extends ModuleOptions {
  /** Size of the last dimension of the input. */
  inFeatures: number;
  /** Size of the last dimension of the output. */
  outFeatures: number;
  /** Whether there is a bias `b` (default true). */
  bias?: boolean;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly weight: number;
  private readonly biasOffset: number;

  constructor(options: LinearOptions) {
    super('Linear', options, ['inFeatures', 'outFeatures', 'bias']);
    for (const key of ['inFeatures', 'outFeatures'] as const) {
      const v = options[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`Linear: ${key} must be a positive integer, got ${String(v)}`);
    }
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    this.weight = this.addParameter('weight', [this.outFeatures, this.inFeatures]);
    this.biasOffset = options.bias ?? true ? this.addParameter('bias', [this.outFeatures]) : -1;
    uniformInit(this.params, this.rng, 1 / Math.sqrt(this.inFeatures), this.parameterNames);
  }

  /** `x` (…, inFeatures) → (…, outFeatures). */
  apply(x: Variable): Variable {
    return affine('Linear', x, this.params, this.weight, this.biasOffset, this.inFeatures, this.outFeatures, this.backend);
  }
}

/**
 * `y = x Wᵀ (+ b)` on the tape for a weight `W (out, in)` and an optional
 * bias `b (out)` (offset −1: none) held in `params` at the given offsets;
 * backward adds `dW`, `db` into `params.grad`. {@link Linear} is this with
 * parameters of its own; modules that own a projection among other
 * parameters (attention) call it directly.
 */
export function affine(
  op: string, x: Variable, params: ParameterStore, weight: number, bias: number,
  inFeatures: number, outFeatures: number, be: Backend,
): Variable {
  const I = inFeatures;
  const O = outFeatures;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== I) {
    throw new Error(`${op}: expected input of shape (…, ${I}), got ${formatShape(x.shape)}`);
  }
  if (dtypeOf(x.data) !== params.dtype) throw new Error(`${op}: input is ${dtypeOf(x.data)} but the parameters are ${params.dtype}`);
  const rows = x.data.length / I;
  const y = allocate(params.dtype, rows * O);
  const X = mat(x.data, 0, rows, I);
  const W = mat(params.data, weight, O, I);
  matmulNT(be, mat(y, 0, rows, O), X, W); // y = x Wᵀ
  if (bias >= 0) be.addRowVector(rows, O, params.data, bias, y, 0); // + b
  const [out] = record(op, [x], [{ data: y, shape: [...x.shape.slice(0, -1), O] }], ([dy]) => {
    if (!dy) return;
    const g = params.grad;
    const dY = mat(dy, 0, rows, O);
    addMatmulTN(be, mat(g, weight, O, I), dY, X); // dW += dyᵀ x
    if (bias >= 0) be.sumRows(rows, O, dy, 0, g, bias); // db += Σ dy
    if (x.tracked) {
      const dx = allocate(params.dtype, rows * I);
      matmulNN(be, mat(dx, 0, rows, I), dY, W); // dx = dy W
      x.accumulateGrad(dx);
    }
  }, true);
  return out as Variable;
}
