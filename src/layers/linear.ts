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
import { allocate, formatShape } from '../tensor.js';

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
    const I = this.inFeatures;
    const O = this.outFeatures;
    if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== I) {
      throw new Error(`Linear: expected input of shape (…, ${I}), got ${formatShape(x.shape)}`);
    }
    this.checkDtype('input', x.data);
    const rows = x.data.length / I;
    const be = this.backend;
    const w = this.params.data;
    const y = allocate(this.dtype, rows * O);
    const X = mat(x.data, 0, rows, I);
    matmulNT(be, mat(y, 0, rows, O), X, mat(w, this.weight, O, I)); // y = x Wᵀ
    if (this.biasOffset >= 0) be.addRowVector(rows, O, w, this.biasOffset, y, 0); // + b
    const [out] = record('Linear', [x], [{ data: y, shape: [...x.shape.slice(0, -1), O] }], ([dy]) => {
      if (!dy) return;
      const g = this.params.grad;
      const dY = mat(dy, 0, rows, O);
      addMatmulTN(be, mat(g, this.weight, O, I), dY, X); // dW += dyᵀ x
      if (this.biasOffset >= 0) be.sumRows(rows, O, dy, 0, g, this.biasOffset); // db += Σ dy
      if (x.tracked) {
        const dx = allocate(this.dtype, rows * I);
        matmulNN(be, mat(dx, 0, rows, I), dY, mat(this.params.data, this.weight, O, I)); // dx = dy W
        x.accumulateGrad(dx);
      }
    }, true);
    return out as Variable;
  }
}
