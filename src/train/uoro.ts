/**
 * Unbiased Online Recurrent Optimization (Tallec & Ollivier 2017, "Unbiased
 * Online Recurrent Optimization", arXiv:1702.05043; ICLR 2018) for a one-layer
 * RNN, LSTM or GRU: a rank-one, unbiased stochastic estimate
 * S_t ≈ s̃_t θ̃_tᵀ of the RTRL sensitivities ({@link ./rtrl.ts}) at the cost of
 * one forward tangent J s̃ and one vector–Jacobian product νᵀ D per step —
 * O(n²) like BPTT — with memory S + N per sequence.
 *
 * Each step, with ν ∈ {−1, +1}^S independent uniform signs:
 *
 *   s̃' = J_t s̃_{t−1}                                 (forward-mode tangent)
 *   δθ = νᵀ D_t = νᵀ ∂F/∂θ|direct                      (reverse mode, one step)
 *   ρ₀ = √(‖θ̃_{t−1}‖ / (‖s̃'‖ + ε)) + ε,  ρ₁ = √(‖δθ‖ / (‖ν‖ + ε)) + ε
 *   s̃_t = ρ₀ s̃' + ρ₁ ν,   θ̃_t = θ̃_{t−1} / ρ₀ + δθ / ρ₁
 *
 * so s̃_t θ̃_tᵀ = J s̃ θ̃ᵀ + ν νᵀ D + (ρ₀/ρ₁) J s̃ νᵀ D + (ρ₁/ρ₀) ν θ̃ᵀ. As
 * E[ννᵀ] = I and both cross terms are odd in ν (ρ₁ is even in ν), the
 * expectation given the past is J E[s̃θ̃ᵀ] + D: by induction E[s̃_t θ̃_tᵀ] = S_t
 * for fixed weights. ρ₀, ρ₁ balance the norms of the two factors, which
 * minimises the variance of the cross terms. The gradient estimate of
 * ℓ_t(s_t) is (∂ℓ_t/∂s_t · s̃_t) θ̃_t.
 *
 * J and D come from the cell's own step ({@link ./cell-jacobians.ts}); all
 * arithmetic is float64, and a step allocates nothing.
 */
import { Random } from '../random.js';
import type { FloatArray } from '../tensor.js';
import { checkMatrix, ForwardModeLearner, type ForwardModeLayer, type ForwardModeOptions } from './cell-jacobians.js';

export interface UOROOptions extends ForwardModeOptions {
  /** Seed of the random signs ν (default 0). */
  seed?: number;
  /** Random source for ν (overrides `seed`). */
  rng?: Random;
  /** The ε of the variance-reduction factors (default 1e-7, as in the paper). */
  epsilon?: number;
}

export class UORO extends ForwardModeLearner {
  readonly rng: Random;
  readonly epsilon: number;
  /** (B, S) s̃ per sequence, and the tangent J s̃ of one sequence. */
  private readonly stateTilde: Float64Array;
  private readonly tangent: Float64Array;
  /** (B, N) θ̃ per sequence, and δθ per sequence. */
  private readonly paramTilde: Float64Array;
  private readonly deltaTheta: Float64Array;
  /** (B, S) the signs ν. */
  private readonly nu: Float64Array;
  /** (N) the gradient estimate before it is scattered into the store's indices. */
  private readonly paramGrad: Float64Array;

  constructor(layer: ForwardModeLayer, options: UOROOptions = {}) {
    super('UORO', layer, options, 1);
    const { B, S, N } = this.jacobians;
    this.rng = options.rng ?? new Random(options.seed ?? 0);
    this.epsilon = options.epsilon ?? 1e-7;
    if (!(this.epsilon > 0)) throw new Error(`UORO: epsilon must be positive, got ${String(options.epsilon)}`);
    this.stateTilde = new Float64Array(B * S);
    this.tangent = new Float64Array(S);
    this.paramTilde = new Float64Array(B * N);
    this.deltaTheta = new Float64Array(B * N);
    this.nu = new Float64Array(B * S);
    this.paramGrad = new Float64Array(N);
  }

  /** s̃ (B, S): the state-side factor, per sequence. */
  get stateFactor(): Float64Array {
    return this.stateTilde;
  }

  /** θ̃ (B, N): the parameter-side factor, per sequence. */
  get parameterFactor(): Float64Array {
    return this.paramTilde;
  }

  /** Starts a new sequence: state h0, c0 or zeros; s̃ = 0, θ̃ = 0. */
  reset(h0?: ArrayLike<number> | null, c0?: ArrayLike<number> | null): void {
    this.resetState(h0, c0);
    this.stateTilde.fill(0);
    this.paramTilde.fill(0);
  }

  /** One time step; returns h_t (B, H), a live buffer. */
  step(x: ArrayLike<number>): Float64Array {
    const j = this.jacobians;
    const { B, S, N } = j;
    checkMatrix('UORO.step', 'x', x, B, j.I, 'inputSize');
    const eps = this.epsilon;
    const nu = this.nu;
    const tangent = this.tangent;
    const dTheta = this.deltaTheta;
    j.step(x);
    for (let i = 0; i < B * S; i++) nu[i] = (this.rng.nextUint32() & 1) === 0 ? -1 : 1;
    j.parameterVjp(nu, dTheta); // δθ = νᵀ D
    const nuNorm = Math.sqrt(S);
    for (let b = 0; b < B; b++) {
      j.propagate(b, this.stateTilde, b * S, tangent, 0, 1, false); // s̃' = J s̃
      const rho0 = Math.sqrt(norm(this.paramTilde, b * N, N) / (norm(tangent, 0, S) + eps)) + eps;
      const rho1 = Math.sqrt(norm(dTheta, b * N, N) / (nuNorm + eps)) + eps;
      for (let i = 0; i < S; i++) this.stateTilde[b * S + i] = rho0 * (tangent[i] as number) + rho1 * (nu[b * S + i] as number);
      for (let p = 0; p < N; p++) {
        this.paramTilde[b * N + p] = (this.paramTilde[b * N + p] as number) / rho0 + (dTheta[b * N + p] as number) / rho1;
      }
    }
    return j.h;
  }

  /**
   * Adds the estimate Σ_b (∂ℓ/∂s_t,b · s̃_b) θ̃_b into `layer.params.grad`
   * (or `into`, indexed like the store). `dh`, `dc` are (B, H); `dc` is LSTM only.
   */
  accumulate(dh: ArrayLike<number> | null, dc: ArrayLike<number> | null = null, into: FloatArray = this.layer.params.grad): void {
    this.checkStateGradients('UORO.accumulate', dh, dc);
    const { B, H, S, N } = this.jacobians;
    const g = this.paramGrad;
    g.fill(0);
    for (let b = 0; b < B; b++) {
      let coef = 0;
      for (let i = 0; i < H; i++) {
        if (dh) coef += (dh[b * H + i] as number) * (this.stateTilde[b * S + i] as number);
        if (dc) coef += (dc[b * H + i] as number) * (this.stateTilde[b * S + H + i] as number);
      }
      for (let p = 0; p < N; p++) g[p] = (g[p] as number) + coef * (this.paramTilde[b * N + p] as number);
    }
    this.scatterAdd(g, into);
  }
}

function norm(a: Float64Array, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[off + i] as number) ** 2;
  return Math.sqrt(s);
}
