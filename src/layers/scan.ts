/**
 * The scan: one layer in one direction over a whole sequence, and its exact
 * backpropagation through time.
 *
 * Forward:
 *   XW = X W_ihᵀ + b_ih (+ b_hh when the cell allows)   one product for all T steps
 *   for t in time order (reversed for the backward direction):
 *     state[after(t)] = cell(XW[t], state[before(t)])
 * Backward, for t in the opposite order:
 *   dh_t = dY[t] + dh_{t+1};  cell backward → dXW[t], dHW[t], dc
 *   dh_{t−1} = direct part + dHW[t] W_hh
 * then, once for the whole sequence:
 *   dW_ih += dXWᵀ X,  db_ih += Σ dXW,  dW_hh += dHWᵀ H₋,  db_hh += Σ dHW,  dX += dXW W_ih
 *   (GRU reset-before: dW_hn += dHW_nᵀ (R ⊙ H₋); LSTM peepholes: dp += Σ dA ⊙ C)
 *
 * Variable lengths follow PyTorch's PackedSequence: a row is active at step t
 * iff t < length. An inactive row keeps its state unchanged and emits zeros,
 * so a forward row's final state is its state at its last valid step, and a
 * reverse row starts from its initial state at its last valid step.
 *
 * Every buffer is allocated before the time loop; the loop itself allocates nothing.
 * Buffers come from the backend ({@link Backend.allocate}: its own memory for
 * the WebAssembly backend): the caches from {@link scanForward} are handed
 * back with {@link releaseScan} once the backward pass has run (or was never
 * wanted), and the backward pass's workspaces at its end. With a
 * {@link Workspace} (inference), the forward buffers are reused from one call
 * to the next instead.
 */
import type { Backend } from '../backend/backend.js';
import { addMatmulNN, addMatmulNT, addMatmulTN, at, mat, matmulNT } from '../backend/matmul.js';
import type { CellKind, ScanBuffers, ScanGradBuffers } from '../cells/cell.js';
import type { BackwardStepObserver } from './observer.js';
import { dtypeOf, type DType, type FloatArray } from '../tensor.js';

/**
 * Buffers kept from one call to the next (inference): slot `i` is reused
 * while its size and precision stay the same, else released and
 * reallocated. Contents are whatever the last call left.
 */
export class Workspace {
  private readonly bufs: (FloatArray | null)[] = [];

  constructor(private readonly be: Backend) {}

  get(slot: number, dtype: DType, n: number): FloatArray {
    const b = this.bufs[slot];
    if (b && b.length === n && dtypeOf(b) === dtype) return b;
    if (b) this.be.release(b);
    const fresh = this.be.allocate(dtype, n);
    this.bufs[slot] = fresh;
    return fresh;
  }
}

/** Offsets of one scan's parameters in the flat store (−1 when absent). */
export interface ScanWeights {
  readonly wih: number;
  readonly whh: number;
  readonly bih: number;
  readonly bhh: number;
  readonly whr: number;
  /** The LSTM's peepholes `(3, H)`. */
  readonly peep: number;
  /** The cell clip (∞ for none): not an offset, the bound itself. */
  readonly clip: number;
}

/** Everything the backward pass of one scan needs. */
export interface ScanCache extends ScanBuffers {
  readonly kind: CellKind;
  readonly T: number;
  readonly I: number;
  readonly reverse: boolean;
  readonly lengths: Int32Array | null;
  /** `(T, B, I)` the layer input (kept by reference). */
  readonly x: FloatArray;
  readonly weights: ScanWeights;
}

/** Slot read by step `t`: the state before it. */
function beforeSlot(t: number, reverse: boolean): number {
  return reverse ? t + 1 : t;
}

/** Slot written by step `t`: the state after it. */
export function afterSlot(t: number, reverse: boolean): number {
  return reverse ? t : t + 1;
}

/** Slot holding the final state: after the last step processed. */
export function finalSlot(cache: ScanCache): number {
  return cache.reverse ? 0 : cache.T;
}

/** Copies rows inactive at step `t` from slot `from` to slot `to` of a `(T+1, B, width)` buffer. */
function carryInactiveRows(buf: FloatArray, lengths: Int32Array, t: number, B: number, width: number, from: number, to: number): void {
  for (let b = 0; b < B; b++) {
    if (t < (lengths[b] as number)) continue;
    const src = (from * B + b) * width;
    buf.copyWithin((to * B + b) * width, src, src + width);
  }
}

/**
 * Runs one layer in one direction.
 * @param x `(T, B, I)` input, time-major.
 * @param h0 `(B, P)` initial hidden state at `h0Off`, or null for zeros.
 * @param c0 `(B, H)` initial cell state (LSTM), or null for zeros.
 * @param ws reuse these buffers (inference) instead of allocating; the
 *   cache then must not be released.
 */
export function scanForward(
  kind: CellKind, be: Backend, w: FloatArray, weights: ScanWeights,
  T: number, B: number, I: number, H: number, P: number,
  x: FloatArray, h0: FloatArray | null, h0Off: number, c0: FloatArray | null, c0Off: number,
  lengths: Int32Array | null, reverse: boolean, ws: Workspace | null = null,
): ScanCache {
  const dtype = dtypeOf(w);
  const G = kind.gates * H;
  const get = (slot: number, n: number): FloatArray => (ws ? ws.get(slot, dtype, n) : be.allocate(dtype, n));
  const xw = get(0, T * B * G);
  // Hoisted input projection for all steps: XW = X W_ihᵀ + b_ih (+ b_hh).
  matmulNT(be, mat(xw, 0, T * B, G), mat(x, 0, T * B, I), mat(w, weights.wih, G, I));
  if (weights.bih >= 0) be.addRowVector(T * B, G, w, weights.bih, xw, 0);
  if (kind.foldsHiddenBias && weights.bhh >= 0) be.addRowVector(T * B, G, w, weights.bhh, xw, 0);

  const hs = get(1, (T + 1) * B * P);
  const cs = kind.hasCellState ? get(2, (T + 1) * B * H) : null;
  const first = beforeSlot(reverse ? T - 1 : 0, reverse);
  if (h0) hs.set(h0.subarray(h0Off, h0Off + B * P), first * B * P);
  else if (ws) hs.fill(0, first * B * P, (first + 1) * B * P);
  if (cs && c0) cs.set(c0.subarray(c0Off, c0Off + B * H), first * B * H);
  else if (cs && ws) cs.fill(0, first * B * H, (first + 1) * B * H);

  const hw = kind.separateHiddenPreactivations ? get(3, T * B * G) : xw;
  const ms = weights.whr >= 0 ? get(4, T * B * H) : null;
  const GD = kind.directGates * H;
  const rs = GD < G ? get(5, T * B * H) : null;
  const cache: ScanCache = {
    kind, be, B, H, P, T, I, reverse, lengths, x, weights, w,
    bhh: weights.bhh, peep: weights.peep, clip: weights.clip, xw, hw, hs, cs, ms, rs,
    views: {
      W_hh: mat(w, weights.whh, G, P),
      W_hr: ms ? mat(w, weights.whr, P, H) : null,
      hw: mat(hw, 0, B, G),
      hPrev: mat(hs, 0, B, P),
      h: mat(hs, 0, B, P),
      m: ms ? mat(ms, 0, B, H) : null,
      W_hrz: rs ? mat(w, weights.whh, GD, P) : null,
      W_hn: rs ? mat(w, weights.whh + GD * P, G - GD, P) : null,
      rzPre: rs ? mat(xw, 0, B, GD, G) : null,
      nPre: rs ? mat(xw, GD, B, G - GD, G) : null,
      rs: rs ? mat(rs, 0, B, H) : null,
    },
  };
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const before = beforeSlot(t, reverse);
    const after = afterSlot(t, reverse);
    kind.stepForward(cache, t, before, after);
    if (lengths) {
      carryInactiveRows(hs, lengths, t, B, P, before, after);
      if (cs) carryInactiveRows(cs, lengths, t, B, H, before, after);
    }
  }
  return cache;
}

/** Hands the forward buffers of a scan (not its input `x`) back to the backend. */
export function releaseScan(cache: ScanCache): void {
  const { be } = cache;
  be.release(cache.xw);
  if (cache.hw !== cache.xw) be.release(cache.hw);
  be.release(cache.hs);
  if (cache.cs) be.release(cache.cs);
  if (cache.ms) be.release(cache.ms);
  if (cache.rs) be.release(cache.rs);
}

/**
 * Writes the emitted states into `y` viewed as `(T, B, stride)` at column
 * `col` (zeros past each sequence's length).
 */
export function emitOutputs(cache: ScanCache, y: FloatArray, stride: number, col: number): void {
  const { T, B, P, hs, lengths, reverse } = cache;
  if (!lengths && stride === P) {
    // The slots after(t), t = 0 … T−1, are one block: 1 … T forwards, 0 … T−1 reversed.
    const from = (reverse ? 0 : 1) * B * P;
    y.set(hs.subarray(from, from + T * B * P));
    return;
  }
  for (let t = 0; t < T; t++) {
    const slot = afterSlot(t, reverse);
    for (let b = 0; b < B; b++) {
      const dst = (t * B + b) * stride + col;
      if (lengths && t >= (lengths[b] as number)) {
        y.fill(0, dst, dst + P);
      } else {
        const src = (slot * B + b) * P;
        y.set(hs.subarray(src, src + P), dst);
      }
    }
  }
}

/**
 * Backpropagates through one scan, accumulating into the parameter gradients
 * `g` and into `dx` `(T, B, I)`.
 * @param dy gradient of the emitted states, viewed as `(T, B, stride)` at column `col`, or null.
 * @param dhN `(B, P)` gradient of the final hidden state at `dhNOff`, or null.
 * @param dcN `(B, H)` gradient of the final cell state, or null.
 * @param dx accumulates the gradient of the input `(T, B, I)`, or null when it is not wanted.
 * @param dh0 receives the gradient of the initial hidden state `(B, P)` at `dh0Off`.
 * @param dc0 receives the gradient of the initial cell state `(B, H)` at `dc0Off` (LSTM).
 * @param observe told each step's state gradient (see {@link BackwardStepObserver}), or null.
 */
export function scanBackward(
  cache: ScanCache, g: FloatArray,
  dy: FloatArray | null, stride: number, col: number,
  dhN: FloatArray | null, dhNOff: number, dcN: FloatArray | null, dcNOff: number,
  dx: FloatArray | null, dh0: FloatArray, dh0Off: number, dc0: FloatArray | null, dc0Off: number,
  observe: BackwardStepObserver | null = null,
): void {
  const { kind, be, T, B, H, P, I, lengths, reverse, weights, w } = cache;
  const dtype = dtypeOf(w);
  const G = kind.gates * H;
  const dxw = be.allocate(dtype, T * B * G);
  const dhw = kind.separateHiddenPreactivations ? be.allocate(dtype, T * B * G) : dxw;
  const dh = be.allocate(dtype, B * P);
  const dhPrev = be.allocate(dtype, B * P);
  const dm = cache.ms ? be.allocate(dtype, B * H) : null;
  const drs = cache.rs ? be.allocate(dtype, B * H) : null;
  const GD = kind.directGates * H;
  const d: ScanGradBuffers = {
    g, dxw, dhw, dh, dhPrev, dm, drs,
    dc: kind.hasCellState ? be.allocate(dtype, B * H) : null,
    dhAll: cache.ms ? be.allocate(dtype, T * B * P) : null,
    views: {
      dh: mat(dh, 0, B, P), dhPrev: mat(dhPrev, 0, B, P), dm: dm ? mat(dm, 0, B, H) : null, dhw: mat(dhw, 0, B, G),
      drs: drs ? mat(drs, 0, B, H) : null, dnPre: drs ? mat(dxw, GD, B, G - GD, G) : null,
    },
  };
  // The gradient carried into the last step processed: that of the final state.
  const carry = d.dhPrev;
  if (dhN) carry.set(dhN.subarray(dhNOff, dhNOff + B * P));
  if (d.dc && dcN) d.dc.set(dcN.subarray(dcNOff, dcNOff + B * H));
  const dcSaved = d.dc && lengths ? be.allocate(dtype, B * H) : null;
  // With many rows, W_hh transposed once makes each step's dHW[t] W_hh a product with
  // both operands read along k (A·Bᵀ), which the WebAssembly kernels prefer; same sums, same order.
  const whhT = B >= 4 && T * B >= 128 && be.prefersNT !== false ? transposeInto(be.allocate(dtype, G * P), w, weights.whh, G, P) : null;
  // Only the direct gates' rows of W_hh (their columns of the transpose): the others read r ⊙ h₋.
  const W_hhT = whhT ? mat(whhT, 0, P, GD, G) : null;
  const W_hhDirect = mat(w, weights.whh, GD, P);
  const dhwDirect = mat(dhw, 0, B, GD, G);

  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    // dh_t = (dY[t] where the row is active) + carry from the step after
    if (lengths) {
      for (let b = 0; b < B; b++) {
        const active = t < (lengths[b] as number);
        for (let j = 0; j < P; j++) {
          const fromOutput = dy && active ? (dy[(t * B + b) * stride + col + j] as number) : 0;
          d.dh[b * P + j] = (carry[b * P + j] as number) + fromOutput;
        }
      }
    } else {
      d.dh.set(carry.subarray(0, B * P));
      if (dy && stride === P) be.addRowVector(1, B * P, dy, t * B * P, d.dh, 0);
      else if (dy) for (let b = 0; b < B; b++) be.addRowVector(1, P, dy, (t * B + b) * stride + col, d.dh, b * P);
    }
    if (observe) observe(t, d.dh, d.dc);
    if (dcSaved && d.dc) dcSaved.set(d.dc);
    kind.stepBackward(cache, d, t, beforeSlot(t, reverse), afterSlot(t, reverse));
    if (lengths) {
      // Inactive rows did not step: their gradients pass straight through.
      const gOff = t * B * G;
      for (let b = 0; b < B; b++) {
        if (t < (lengths[b] as number)) continue;
        d.dxw.fill(0, gOff + b * G, gOff + (b + 1) * G);
        d.dhw.fill(0, gOff + b * G, gOff + (b + 1) * G);
        d.dhPrev.set(d.dh.subarray(b * P, (b + 1) * P), b * P);
        if (d.dc && dcSaved) d.dc.set(dcSaved.subarray(b * H, (b + 1) * H), b * H);
        if (d.dhAll) d.dhAll.fill(0, (t * B + b) * P, (t * B + b + 1) * P);
      }
    }
    // dh_{t−1} += dHW[t] W_hh (the direct gates' blocks)
    if (W_hhT) addMatmulNT(be, d.views.dhPrev, at(dhwDirect, t), W_hhT);
    else addMatmulNN(be, d.views.dhPrev, at(dhwDirect, t), W_hhDirect);
  }

  // Weight gradients for the whole sequence, one product each.
  const TB = T * B;
  const prevOff = (reverse ? 1 : 0) * B * P; // slots before(t) for t = 0..T−1 are contiguous
  const dXW = mat(d.dxw, 0, TB, G);
  addMatmulTN(be, mat(g, weights.wih, G, I), dXW, mat(cache.x, 0, TB, I)); // dW_ih += dXWᵀ X
  addMatmulTN(be, mat(g, weights.whh, GD, P), mat(d.dhw, 0, TB, GD, G), mat(cache.hs, prevOff, TB, P)); // dW_hh += dHWᵀ H₋
  if (cache.rs) addMatmulTN(be, mat(g, weights.whh + GD * P, G - GD, P), mat(d.dhw, GD, TB, G - GD, G), mat(cache.rs, 0, TB, H)); // dW_hn += dHW_nᵀ RS
  if (weights.bih >= 0) be.sumRows(TB, G, d.dxw, 0, g, weights.bih); // db_ih += Σ dXW
  if (weights.bhh >= 0) be.sumRows(TB, G, d.dhw, 0, g, weights.bhh); // db_hh += Σ dHW
  if (weights.peep >= 0 && cache.cs) {
    // dp_i += Σ dA_i ⊙ C₋, dp_f += Σ dA_f ⊙ C₋, dp_o += Σ dA_o ⊙ C (before(t) and after(t) slots are each contiguous)
    const before = (reverse ? 1 : 0) * B * H;
    const after = (reverse ? 0 : 1) * B * H;
    be.lstmPeepholeGrad(TB, H, d.dxw, 0, cache.cs, before, cache.cs, after, g, weights.peep);
  }
  if (cache.ms && d.dhAll) addMatmulTN(be, mat(g, weights.whr, P, H), mat(d.dhAll, 0, TB, P), mat(cache.ms, 0, TB, H)); // dW_hr += dHᵀ M
  if (dx) addMatmulNN(be, mat(dx, 0, TB, I), dXW, mat(w, weights.wih, G, I)); // dX += dXW W_ih

  dh0.set(carry.subarray(0, B * P), dh0Off);
  if (dc0 && d.dc) dc0.set(d.dc.subarray(0, B * H), dc0Off);
  be.release(d.dxw);
  if (d.dhw !== d.dxw) be.release(d.dhw);
  for (const buf of [d.dh, d.dhPrev, d.dc, d.dm, d.dhAll, d.drs, dcSaved, whhT]) if (buf) be.release(buf);
}

/** Writes the transpose of the `rows×cols` matrix at `src[off…]` into `dst` (`cols×rows`); returns `dst`. */
function transposeInto(dst: FloatArray, src: FloatArray, off: number, rows: number, cols: number): FloatArray {
  const S = 32; // square tiles, so both sides stay in cache
  for (let r0 = 0; r0 < rows; r0 += S) {
    const r1 = Math.min(rows, r0 + S);
    for (let c0 = 0; c0 < cols; c0 += S) {
      const c1 = Math.min(cols, c0 + S);
      for (let r = r0; r < r1; r++) {
        const from = off + r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[from + c] as number;
      }
    }
  }
  return dst;
}
