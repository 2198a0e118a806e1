/**
 * Exact Real-Time Recurrent Learning (Williams & Zipser 1989, "A Learning
 * Algorithm for Continually Running Fully Recurrent Neural Networks", Neural
 * Computation 1(2)) for a one-layer RNN (tanh, relu or leaky relu), LSTM or GRU.
 *
 * For the state map s_t = F(x_t, s_{t−1}, θ) (s = h, or [h; c] for LSTM; S
 * rows, N parameters), RTRL carries the sensitivity matrix S_t = ∂s_t/∂θ
 * (S × N) forward in time:
 *
 *   S_0 = 0,   S_t = J_t S_{t−1} + D_t,   J_t = ∂F/∂s_{t−1},   D_t = ∂F/∂θ|direct
 *
 * and the gradient of L = Σ_t ℓ_t(s_t) is ∂L/∂θ = Σ_t (∂ℓ_t/∂s_t) S_t,
 * available at every step without storing the past. Over a sequence the sum
 * of the {@link RTRL.accumulate} calls equals the BPTT gradient of
 * `layer.backward`. J_t and D_t come from the cell's own step
 * ({@link ./cell-jacobians.ts}).
 *
 * Cost per step and sequence: the product W_hh S_{t−1}, G·H·H·N multiply-adds
 * = O(n⁴) for n hidden units (N = O(n²)), against O(n²) for a BPTT step;
 * memory B·S·N = O(B·n³) numbers, independent of the sequence length. Exact
 * but practical only for small n (an LSTM with n = 32, I = 8 has N = 5376).
 *
 * Example:
 *   const rtrl = new RTRL(gru, { batchSize: 2 });
 *   rtrl.reset();
 *   for (const x of stream) { const h = rtrl.step(x); rtrl.accumulate(dLossDh(h)); }
 *   // gru.params.grad now holds Σ_t (∂ℓ_t/∂h_t) ∂h_t/∂θ
 */
import { jsBackend } from '../backend/js.js';
import { type Mat, mat, matmulNN } from '../backend/matmul.js';
import type { FloatArray } from '../tensor.js';
import { checkMatrix, ForwardModeLearner, type ForwardModeLayer, type ForwardModeOptions } from './cell-jacobians.js';

export class RTRL extends ForwardModeLearner {
  private sens: Float64Array;
  private sensNext: Float64Array;
  private steps = 0;
  /** (B, S) the gradient of the state, and (N) its product with the sensitivities. */
  private readonly stateGrad: Float64Array;
  private readonly paramGrad: Float64Array;
  /** Views for `paramGrad = u · S_t` (1 × B·S times B·S × N), one per sensitivity buffer. */
  private readonly products: { u: Mat; gradient: Mat; sens: Mat; sensNext: Mat };

  constructor(layer: ForwardModeLayer, options: ForwardModeOptions = {}) {
    super('RTRL', layer, options, 'N');
    const { B, S, N } = this.jacobians;
    this.sens = new Float64Array(B * S * N);
    this.sensNext = new Float64Array(B * S * N);
    this.stateGrad = new Float64Array(B * S);
    this.paramGrad = new Float64Array(N);
    this.products = {
      u: mat(this.stateGrad, 0, 1, B * S), gradient: mat(this.paramGrad, 0, 1, N),
      sens: mat(this.sens, 0, B * S, N), sensNext: mat(this.sensNext, 0, B * S, N),
    };
  }

  /**
   * S_t = ∂s_t/∂θ, shape (B, S, N): row b·S + i is state entry i of sequence b
   * (h first, then c for LSTM), column p the parameter at `parameterIndex[p]`.
   * A live buffer, overwritten by the step after next.
   */
  get sensitivities(): Float64Array {
    return this.sens;
  }

  /** Steps taken since the last reset. */
  get time(): number {
    return this.steps;
  }

  /** Starts a new sequence: state h0, c0 (B, H) or zeros, sensitivities zero. */
  reset(h0?: ArrayLike<number> | null, c0?: ArrayLike<number> | null): void {
    this.resetState(h0, c0);
    this.sens.fill(0);
    this.steps = 0;
  }

  /**
   * One time step: s_t = F(x_t, s_{t−1}), S_t = J_t S_{t−1} + D_t.
   * `x` is (B, I) row-major (or (I) when B = 1). Returns h_t (B, H), a live buffer.
   */
  step(x: ArrayLike<number>): Float64Array {
    const j = this.jacobians;
    checkMatrix('RTRL.step', 'x', x, j.B, j.I, 'inputSize');
    j.step(x);
    const rows = j.S * j.N;
    for (let b = 0; b < j.B; b++) j.propagate(b, this.sens, b * rows, this.sensNext, b * rows, j.N, true);
    const sens = this.sens;
    this.sens = this.sensNext;
    this.sensNext = sens;
    const view = this.products.sens;
    this.products.sens = this.products.sensNext;
    this.products.sensNext = view;
    this.steps++;
    return j.h;
  }

  /**
   * Adds Σ_b (∂ℓ/∂h_t,b) S^h_t,b + (∂ℓ/∂c_t,b) S^c_t,b into `layer.params.grad`
   * (or into `into`, indexed like the store). `dh`, `dc` are (B, H); `dc` is LSTM only.
   */
  accumulate(dh: ArrayLike<number> | null, dc: ArrayLike<number> | null = null, into: FloatArray = this.layer.params.grad): void {
    this.checkStateGradients('RTRL.accumulate', dh, dc);
    const { B, H, S } = this.jacobians;
    const u = this.stateGrad;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H; i++) {
        u[b * S + i] = dh ? (dh[b * H + i] as number) : 0;
        if (S > H) u[b * S + H + i] = dc ? (dc[b * H + i] as number) : 0;
      }
    }
    // (1 × B·S) · (B·S × N): every sequence's row of S_t at once
    matmulNN(jsBackend, this.products.gradient, this.products.u, this.products.sens);
    this.scatterAdd(this.paramGrad, into);
  }
}
