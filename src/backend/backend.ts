/**
 * The kernel interface every backend implements.
 *
 * Kernels follow one convention: outputs first in the name's sense but
 * arrays are passed as `(array, offset)` pairs so the time loop can address
 * slices of preallocated workspaces without allocating views. Inputs are
 * never written unless the doc says "in place". Matrices are row-major.
 *
 * Memory: a backend also allocates buffers ({@link Backend.allocate}). The
 * reference backend returns ordinary typed arrays; the WebAssembly backend
 * returns float32 views of its own linear memory, which its kernels then
 * use in place instead of copying. Every kernel accepts any typed array of
 * the right precision, wherever it lives; an array from `allocate` is only
 * faster. {@link Backend.release} hands a buffer back when its lifetime is
 * known to be over.
 *
 * The plain TypeScript backend ({@link ./js.ts}) is the definition; faster
 * backends are tested against it with the same suite.
 */
import type { DType, FloatArray } from '../tensor.js';

/** The `slope` that selects tanh in {@link Backend.rnnForward} and `rnnBackward` (a rectifier's slope is in [0, 1)). */
export const ELMAN_TANH = -1;

/** Hyper-parameters of one {@link Backend.adamStep}, as in `torch.optim.Adam(W)`. */
export interface AdamStepOptions {
  /** Learning rate γ. */
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** λ: added to the gradient (Adam) or decoupled (AdamW). */
  readonly weightDecay: number;
  /** AdamW's decoupled decay `θ ← θ(1 − γλ)` instead of `g ← g + λθ`. */
  readonly decoupled: boolean;
  /** Step count t, 1 on the first step. */
  readonly step: number;
}

/** Hyper-parameters of one {@link Backend.sgdStep}, as in `torch.optim.SGD`. */
export interface SgdStepOptions {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** First momentum step: the buffer is set to the gradient instead of decayed. */
  readonly first: boolean;
}

export interface Backend {
  readonly name: string;

  /**
   * Whether `A·Bᵀ` (both operands read along k) is this backend's fastest
   * product, worth transposing a matrix once to get it — as the recurrent
   * backward pass does with W_hh for long batches. Absent means true; the
   * native backend, whose `A·B` reads B in place faster, says false.
   */
  readonly prefersNT?: boolean;

  /**
   * A zero-filled buffer of `n` elements. Float32 buffers of the
   * WebAssembly backend live in its memory, where its kernels use them
   * without copying; float64 and the reference backend give plain arrays.
   * Such a buffer stays valid until {@link release} (or until it is garbage,
   * if never released).
   */
  allocate(dtype: DType, n: number): FloatArray;

  /**
   * Returns a buffer from {@link allocate} whose lifetime is over: it (and
   * every view of it) must not be used afterwards. Arrays not obtained from
   * `allocate`, and second releases, are ignored.
   */
  release(a: FloatArray): void;

  /**
   * General matrix product: `C = alpha · op(A) · op(B) + beta · C`, where
   * `op(A)` is `m×k` (`A` is `k×m` when `transA`) and `op(B)` is `k×n`.
   * `lda`, `ldb`, `ldc` are row strides. With `beta = 0`, `C` is overwritten
   * (its old contents, even NaN, are ignored). Callers write products as
   * their equations with the views of ./matmul.ts (`addMatmulNT(be, out, x, w)`).
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: FloatArray, aOff: number, lda: number,
    b: FloatArray, bOff: number, ldb: number,
    beta: number, c: FloatArray, cOff: number, ldc: number,
  ): void;

  /** `out[r, :] += v` for `rows` rows of width `cols` (broadcast bias add). */
  addRowVector(rows: number, cols: number, v: FloatArray, vOff: number, out: FloatArray, outOff: number): void;

  /** `out += Σ_r a[r, :]` over `rows` rows of width `cols` (bias gradients). */
  sumRows(rows: number, cols: number, a: FloatArray, aOff: number, out: FloatArray, outOff: number): void;

  /**
   * The gate kernels take the cell clip `clip` (> 0, ∞ for none): every
   * pre-activation `a` enters its activation as `min(max(a, −clip), clip)`,
   * and the backward kernels give a clamped pre-activation a zero gradient,
   * telling it from the cached activation (equal to the activation of
   * ±clip). With `clip = ∞` results are those without the clip, bit for bit.
   *
   * LSTM gates, forward, for `rows` rows of hidden size `H`.
   * `gates` holds pre-activations `[i f g o]` (each `H` wide) and is overwritten
   * in place with the activations `σ(i), σ(f), tanh(g), σ(o)`; then
   * `c = f ⊙ cPrev + i ⊙ g` and `m = o ⊙ tanh(c)`.
   */
  lstmForward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, m: FloatArray, mOff: number,
  ): void;

  /**
   * LSTM gates, backward. Reads the activations left by {@link lstmForward},
   * `cPrev`, `c` and the gradient `dm` of `m`; `dc` holds the gradient of `c`
   * coming from the future and is replaced (in place) by the gradient of
   * `cPrev`. Writes the pre-activation gradients to `dGates` (overwriting).
   */
  lstmBackward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number,
    dm: FloatArray, dmOff: number, dc: FloatArray, dcOff: number, dGates: FloatArray, dgOff: number,
  ): void;

  /**
   * GRU gates, forward (PyTorch's reset-after form; for `resetAfter: false`
   * see {@link gruResetForward}). `xw` holds `W_ih x + b_ih`
   * as `[r z n]`, `hw` holds `W_hh h + b_hh`. Computes
   * `r = σ(xw_r + hw_r)`, `z = σ(xw_z + hw_z)`, `n = tanh(xw_n + r ⊙ hw_n)`,
   * `h = (1 − z) ⊙ n + z ⊙ hPrev`, and overwrites `xw` in place with `[r z n]`
   * (`hw` is left as is: its `n` part is needed by the backward pass).
   */
  gruForward(
    rows: number, H: number, clip: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, h: FloatArray, hOff: number,
  ): void;

  /**
   * GRU gates, backward. From the caches of {@link gruForward} and `dh`,
   * writes the gradients of the input-side pre-activations `dxw`, of the
   * hidden-side pre-activations `dhw`, and the direct part `z ⊙ dh` of the
   * gradient of `hPrev` to `dhPrev` (all overwriting).
   */
  gruBackward(
    rows: number, H: number, clip: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, dh: FloatArray, dhOff: number,
    dxw: FloatArray, dxwOff: number, dhw: FloatArray, dhwOff: number, dhPrev: FloatArray, dhPrevOff: number,
  ): void;

  /**
   * LSTM gates with peepholes (ONNX's `P`), forward: as {@link lstmForward},
   * with the diagonal weights `peep` `(3, H)` = `[p_i; p_f; p_o]` seeing the
   * cell state: `i = σ(a_i + p_i ⊙ cPrev)`, `f = σ(a_f + p_f ⊙ cPrev)`,
   * `g = tanh(a_g)`, `c = f ⊙ cPrev + i ⊙ g`, `o = σ(a_o + p_o ⊙ c)`,
   * `m = o ⊙ tanh(c)`; `gates` is overwritten with `[i f g o]`.
   */
  lstmPeepholeForward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number, peep: FloatArray, pOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, m: FloatArray, mOff: number,
  ): void;

  /**
   * LSTM gates with peepholes, backward: as {@link lstmBackward}, with the
   * peepholes' paths — through `o` into `c`, through `i` and `f` into `cPrev`.
   * `dc` (gradient of `c` from the future) is replaced by that of `cPrev`.
   */
  lstmPeepholeBackward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number, peep: FloatArray, pOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number,
    dm: FloatArray, dmOff: number, dc: FloatArray, dcOff: number, dGates: FloatArray, dgOff: number,
  ): void;

  /**
   * The peepholes' weight gradient over `rows` rows (all steps of a scan):
   * `dPeep[0] += Σ_r dGates_i ⊙ cPrev`, `dPeep[1] += Σ_r dGates_f ⊙ cPrev`,
   * `dPeep[2] += Σ_r dGates_o ⊙ c` (`dPeep` is `(3, H)`, summed in row order).
   */
  lstmPeepholeGrad(
    rows: number, H: number, dGates: FloatArray, dgOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, dPeep: FloatArray, dpOff: number,
  ): void;

  /**
   * GRU with the reset gate before the recurrent product (`resetAfter: false`),
   * first half of a step. `gates` holds the pre-activations `[r z n]` with the
   * `r` and `z` parts complete; `r = σ(·)` and `z = σ(·)` overwrite them in
   * place (`n` is left as is), and `rh = r ⊙ hPrev` is written.
   */
  gruResetForward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number,
    hPrev: FloatArray, hPrevOff: number, rh: FloatArray, rhOff: number,
  ): void;

  /**
   * Second half: with `gates` holding `[r z n_pre]` (`n_pre` complete:
   * `W_in x + b_in + W_hn (r ⊙ hPrev) + b_hn`), `n = tanh(n_pre)` overwrites it
   * and `h = (1 − z) ⊙ n + z ⊙ hPrev` is written.
   */
  gruCandidateForward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number,
    hPrev: FloatArray, hPrevOff: number, h: FloatArray, hOff: number,
  ): void;

  /**
   * Backward of {@link gruCandidateForward}: from `[r z n]` in `gates`, `hPrev`
   * and `dh`, writes the pre-activation gradients of `z` and `n` into their
   * blocks of `dGates` (the `r` block is left as is) and `z ⊙ dh` to `dhPrev`.
   */
  gruCandidateBackward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number, hPrev: FloatArray, hPrevOff: number,
    dh: FloatArray, dhOff: number, dGates: FloatArray, dgOff: number, dhPrev: FloatArray, dhPrevOff: number,
  ): void;

  /**
   * Backward of {@link gruResetForward}: from `[r z n]` in `gates`, `hPrev` and
   * the gradient `drh` of `r ⊙ hPrev`, writes the pre-activation gradient of
   * `r` into its block of `dGates` (the others are left as is) and adds
   * `r ⊙ drh` to `dhPrev`.
   */
  gruResetBackward(
    rows: number, H: number, clip: number, gates: FloatArray, gOff: number, hPrev: FloatArray, hPrevOff: number,
    drh: FloatArray, drhOff: number, dGates: FloatArray, dgOff: number, dhPrev: FloatArray, dhPrevOff: number,
  ): void;

  /**
   * Elman RNN activation, forward: `h = tanh(pre)` when `slope` is
   * {@link ELMAN_TANH}, else the rectifier `h = pre > 0 ? pre : slope·pre`
   * (`slope` in [0, 1): 0 is relu, above 0 leaky relu).
   */
  rnnForward(rows: number, H: number, slope: number, clip: number, pre: FloatArray, preOff: number, h: FloatArray, hOff: number): void;

  /**
   * Elman RNN activation, backward from the output (overwriting):
   * `dpre = dh ⊙ (1 − h²)` for tanh, `dpre = dh ⊙ (h > 0 ? 1 : slope)` for the rectifier.
   */
  rnnBackward(
    rows: number, H: number, slope: number, clip: number, h: FloatArray, hOff: number,
    dh: FloatArray, dhOff: number, dpre: FloatArray, dpreOff: number,
  ): void;

  /**
   * Adam / AdamW update of `n` parameters `p` from gradients `g`, in place
   * on `p`, the moments `m`, `v` and (AMSGrad) the running maximum `vMax`,
   * in PyTorch's operation order:
   *   `θ ← θ(1 − γλ)` (decoupled) or `g ← g + λθ` (λ ≠ 0);
   *   `m ← β₁m + (1 − β₁)g`;  `v ← β₂v + (1 − β₂)g²`;  `v̂ ← max(v̂, v)`;
   *   `θ ← θ − γ/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)`.
   */
  adamStep(n: number, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vMax: FloatArray | null, o: AdamStepOptions): void;

  /**
   * SGD update of `n` parameters in place, PyTorch's order: `d = g + λθ`;
   * with momentum μ ≠ 0, `b ← d` (first step) or `b ← μb + (1 − τ)d`, then
   * `d = d + μb` (Nesterov) or `d = b`; `θ ← θ − γd`. `buf` (null when μ = 0)
   * is the momentum buffer.
   */
  sgdStep(n: number, p: FloatArray, g: FloatArray, buf: FloatArray | null, o: SgdStepOptions): void;

  /**
   * `Σ a[i]²` over `n` values from `aOff`, accumulated in float64. The
   * reference sums in index order; other backends may reorder (rounding
   * differences only). Non-finite exactly when some value is, for float32.
   */
  sumSquares(n: number, a: FloatArray, aOff: number): number;

  /** `a[i] ← alpha · a[i]` on `n` values from `aOff` (the product rounded once). */
  scale(n: number, alpha: number, a: FloatArray, aOff: number): void;

  /**
   * Softmax cross-entropy, forward, for `rows` rows of `V` logits at
   * `z[zOff…]`: writes `probs[i, :] = softmax(z[i, :])` (from 0) and returns
   * `Σᵢ w[i] · (log Σₖ exp z[i,k] − z[i, t[i]])`. Rows with `w[i] = 0` add
   * nothing and their target is not read.
   */
  softmaxCrossEntropy(rows: number, V: number, z: FloatArray, zOff: number, t: Int32Array, w: Float64Array, probs: FloatArray): number;

  /**
   * Softmax cross-entropy, backward, in place over `probs` from
   * {@link softmaxCrossEntropy}: `probs[i, :] ← s·w[i] · (probs[i, :] − onehot(t[i]))`
   * (zeros where `w[i] = 0`).
   */
  softmaxCrossEntropyBackward(rows: number, V: number, s: number, t: Int32Array, w: Float64Array, probs: FloatArray): void;
}
