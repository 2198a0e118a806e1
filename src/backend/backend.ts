/**
 * The kernel interface every backend implements.
 *
 * Kernels follow one convention: outputs first in the name's sense but
 * arrays are passed as `(array, offset)` pairs so the time loop can address
 * slices of preallocated workspaces without allocating views. Inputs are
 * never written unless the doc says "in place". Matrices are row-major.
 *
 * The plain TypeScript backend ({@link ./js.ts}) is the definition; faster
 * backends are tested against it with the same suite.
 */
import type { FloatArray } from '../tensor.js';

export interface Backend {
  readonly name: string;

  /**
   * General matrix product: `C = alpha · op(A) · op(B) + beta · C`, where
   * `op(A)` is `m×k` (`A` is `k×m` when `transA`) and `op(B)` is `k×n`.
   * `lda`, `ldb`, `ldc` are row strides. With `beta = 0`, `C` is overwritten
   * (its old contents, even NaN, are ignored).
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
   * LSTM gates, forward, for `rows` rows of hidden size `H`.
   * `gates` holds pre-activations `[i f g o]` (each `H` wide) and is overwritten
   * in place with the activations `σ(i), σ(f), tanh(g), σ(o)`; then
   * `c = f ⊙ cPrev + i ⊙ g` and `m = o ⊙ tanh(c)`.
   */
  lstmForward(
    rows: number, H: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number, m: FloatArray, mOff: number,
  ): void;

  /**
   * LSTM gates, backward. Reads the activations left by {@link lstmForward},
   * `cPrev`, `c` and the gradient `dm` of `m`; `dc` holds the gradient of `c`
   * coming from the future and is replaced (in place) by the gradient of
   * `cPrev`. Writes the pre-activation gradients to `dGates` (overwriting).
   */
  lstmBackward(
    rows: number, H: number, gates: FloatArray, gOff: number,
    cPrev: FloatArray, cPrevOff: number, c: FloatArray, cOff: number,
    dm: FloatArray, dmOff: number, dc: FloatArray, dcOff: number, dGates: FloatArray, dgOff: number,
  ): void;

  /**
   * GRU gates, forward (PyTorch's reset-after form). `xw` holds `W_ih x + b_ih`
   * as `[r z n]`, `hw` holds `W_hh h + b_hh`. Computes
   * `r = σ(xw_r + hw_r)`, `z = σ(xw_z + hw_z)`, `n = tanh(xw_n + r ⊙ hw_n)`,
   * `h = (1 − z) ⊙ n + z ⊙ hPrev`, and overwrites `xw` in place with `[r z n]`
   * (`hw` is left as is: its `n` part is needed by the backward pass).
   */
  gruForward(
    rows: number, H: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, h: FloatArray, hOff: number,
  ): void;

  /**
   * GRU gates, backward. From the caches of {@link gruForward} and `dh`,
   * writes the gradients of the input-side pre-activations `dxw`, of the
   * hidden-side pre-activations `dhw`, and the direct part `z ⊙ dh` of the
   * gradient of `hPrev` to `dhPrev` (all overwriting).
   */
  gruBackward(
    rows: number, H: number, xw: FloatArray, xwOff: number, hw: FloatArray, hwOff: number,
    hPrev: FloatArray, hPrevOff: number, dh: FloatArray, dhOff: number,
    dxw: FloatArray, dxwOff: number, dhw: FloatArray, dhwOff: number, dhPrev: FloatArray, dhPrevOff: number,
  ): void;

  /** Elman RNN activation, forward: `h = tanh(pre)` or `relu(pre)`. */
  rnnForward(rows: number, H: number, relu: boolean, pre: FloatArray, preOff: number, h: FloatArray, hOff: number): void;

  /** Elman RNN activation, backward from the output: `dpre = dh ⊙ act'(h)` (overwriting). */
  rnnBackward(
    rows: number, H: number, relu: boolean, h: FloatArray, hOff: number,
    dh: FloatArray, dhOff: number, dpre: FloatArray, dpreOff: number,
  ): void;
}
