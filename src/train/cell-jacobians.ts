/**
 * One step of a recurrent layer's cell in float64, and the products with its
 * one-step Jacobians that forward-mode learning needs (RTRL, UORO).
 *
 * A one-layer recurrent network is a state map s_t = F(x_t, s_{t−1}, θ) with
 * s = h for RNN and GRU and s = [h; c] for LSTM (S = H or 2H rows), and θ the
 * layer's weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh (G·H),
 * G = 1, 4 or 3 gates, and an LSTM's peepholes weight_peep (3, H), flattened
 * in that order (N = G·H·(I + H + 2) numbers, + 3H with peepholes).
 * Forward-mode methods need, per step,
 *
 *   J_t = ∂F/∂s_{t−1},   D_t = ∂F/∂θ|direct (s_{t−1} held fixed)
 *
 * through the products J V (tangents), J V + D (RTRL) and uᵀ D (UORO).
 *
 * ## Everything from the cell's own step
 *
 * The step is the cell's (`cellKinds[type].stepForward`, on the backend's gate
 * kernels) after the input projection a^x = W_ih x + b_ih; the cell adds the
 * hidden projection a^h = W_hh h₋ + b_hh (RNN and LSTM see only a = a^x + a^h;
 * GRU keeps a^h apart for its reset-after candidate). No cell formula is
 * repeated here. The cell's step is unit-wise: unit j of the new state (h_j, and
 * c_j for LSTM) depends only on the pre-activations (k, j) of the G gates k and
 * on unit j of the previous state. So every one-step derivative is fixed by a
 * few coefficients per unit, for each part σ of the state (h; c for LSTM):
 *
 *   Kˣ_σ[k, j] = ∂s^σ_j/∂a^x_kj,   Kʰ_σ[k, j] = ∂s^σ_j/∂a^h_kj,
 *   E_σσ'[j] = ∂s^σ_j/∂s^σ'_{t−1, j}   (the part not through W_hh)
 *
 * and these are what the cell's backward step returns for a unit upstream
 * gradient on s^σ (dh = 1 or dc = 1): dxw = Kˣ, dhw = Kʰ (the same array unless
 * GRU), and the direct previous-state gradients dhPrev and dc = E (with
 * peepholes, E_σc includes their paths: they are unit-wise too). Then
 *
 *   (J v)^σ_j = Σ_k Kʰ_σ[k, j] (W_hh v^h)_kj + Σ_σ' E_σσ'[j] v^σ'_j
 *   D^σ_j has, in the rows r = (k, j) of each block only,
 *     ∂/∂W_ih[r, m] = Kˣ_σ[k, j] x_m,   ∂/∂b_ih[r] = Kˣ_σ[k, j],
 *     ∂/∂W_hh[r, m] = Kʰ_σ[k, j] h₋_m,  ∂/∂b_hh[r] = Kʰ_σ[k, j]
 *   and, with peepholes, in unit j of each: ∂/∂p_i[j] = Kˣ_σ[i, j] c₋_j,
 *     ∂/∂p_f[j] = Kˣ_σ[f, j] c₋_j,  ∂/∂p_o[j] = Kˣ_σ[o, j] c_j
 *
 * and, with da^x, da^h the cell's backward for an upstream gradient u,
 *
 *   uᵀ D = [da^x xᵀ, da^h h₋ᵀ, da^x, da^h, (da_i ⊙ c₋, da_f ⊙ c₋, da_o ⊙ c)]
 *
 * (the BPTT weight gradients of one step).
 *
 * The GRU with the reset gate before the recurrent product (`resetAfter:
 * false`) is refused: its candidate's W_hn (r ⊙ h₋) makes unit j depend on
 * every unit's reset gate, so D is not confined to the rows of unit j and
 * J V needs a second product — the unit-wise structure above does not hold.
 *
 * W_hh V is one matrix product: G·H·H·C multiply-adds for C columns — for
 * RTRL (C = N) the O(n⁴) part of a step.
 *
 * Everything computes in float64 on the reference backend whatever the
 * layer's dtype: the parameters are copied from `layer.params.data` at every
 * step (so updates between steps are seen). All buffers are allocated by the
 * constructor; a step allocates nothing.
 */
import { jsBackend } from '../backend/js.js';
import { type Mat, mat, matmulNN, matmulNT, matmulTN } from '../backend/matmul.js';
import type { CellKind, CellType, ScanBuffers, ScanGradBuffers } from '../cells/cell.js';
import { cellKinds } from '../cells/index.js';
import { rnnLeakyReluKind } from '../cells/rnn.js';
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { FloatArray } from '../tensor.js';

/** A one-layer, one-direction recurrent layer without projection. */
export type ForwardModeLayer = RNN | LSTM | GRU;

export interface ForwardModeOptions {
  /** Number of sequences B processed side by side (default 1). */
  batchSize?: number;
}

const be = jsBackend;

/**
 * Workspaces of one call of the cell's backward step over the B rows. In:
 * the upstream gradients `dh` and (LSTM) `dc`. Out: the pre-activation
 * gradients `dxw`, `dhw` (the same array unless GRU), the direct part
 * `dhPrev` of the gradient of h₋, and `dc` overwritten with that of c₋. For a
 * unit upstream gradient on part σ of the state (h, or c) the outputs are
 * Kˣ_σ, Kʰ_σ, E_σh and E_σc.
 */
interface CellBackward {
  readonly dh: Float64Array;
  readonly dc: Float64Array | null;
  /** What `dc` is reset to before each linearisation (LSTM). */
  readonly dcSeed: Float64Array | null;
  readonly dxw: Float64Array;
  readonly dhw: Float64Array;
  readonly dhPrev: Float64Array;
  /** The same arrays, as the cell's backward step takes them. */
  readonly grads: ScanGradBuffers;
}

/**
 * A layer's cell stepped in float64 on B sequences, with its state
 * double-buffered in two slots, and the products J V, J V + D and uᵀ D of the
 * last step (see the file comment).
 */
export class CellJacobians {
  readonly type: CellType;
  readonly kind: CellKind;
  readonly B: number;
  readonly I: number;
  readonly H: number;
  /** Gates stacked in the weights: 1, 4 or 3. */
  readonly G: number;
  /** Rows of the state per sequence: H, or 2H for LSTM ([h; c]). */
  readonly S: number;
  /** Number of parameters N. */
  readonly N: number;
  /** Offsets of the blocks in the local parameter vector θ (−1 when absent). */
  readonly oWih: number;
  readonly oWhh: number;
  readonly oBih: number;
  readonly oBhh: number;
  readonly oPeep: number;
  /** `parameterIndex[p]` is the store index of local parameter p. */
  readonly parameterIndex: Int32Array;
  /** θ in float64, and the step's input x `(B, I)` in float64. */
  private readonly theta: Float64Array;
  private readonly x: Float64Array;
  /** The cell's step buffers over one time step: two state slots, the gate caches. */
  private readonly scan: ScanBuffers;
  /** Slot of the current state; the previous one is in the other slot. */
  private slot = 0;
  private readonly hSlots: [Float64Array, Float64Array];
  private readonly cSlots: [Float64Array, Float64Array];
  /** The coefficients Kˣ_σ, Kʰ_σ, E_σ of the last step, per part σ of the state: h, then c (LSTM). */
  private readonly coefficients: CellBackward[];
  /** The cell's backward for {@link parameterVjp}. */
  private readonly vjp: CellBackward;
  /** `(G·H, C)` W_hh V for up to `columns` columns. */
  private readonly hiddenTangent: Float64Array;
  /** Matrix views of the step's products, made once. */
  private readonly W_ih: Mat;
  private readonly W_hh: Mat;
  private readonly xRows: Mat;
  private readonly xwRows: Mat;
  /** Views of `propagate`'s products for C columns, made at the first call with each C. */
  private readonly tangentViews = new Map<number, { A: Mat; tangentIn: Mat | null; lastIn: Float64Array | null }>();
  /** Views of `parameterVjp`'s outer products: one row of dxw, dhw, x and h₋, and the blocks of `out` they fill. */
  private readonly vjpViews: { dxwRow: Mat; dhwRow: Mat; xRow: Mat; hPrevRow: Mat; out: Float64Array | null; dWih: Mat | null; dWhh: Mat | null };

  /** `columns`: the most tangent columns propagated at once, 'N' for one per parameter (RTRL). */
  constructor(readonly owner: string, readonly layer: ForwardModeLayer, batchSize: number, columns: number | 'N') {
    const m = owner;
    if (!(layer instanceof RNN || layer instanceof LSTM || layer instanceof GRU)) {
      throw new TypeError(`${m}: expected an RNN, LSTM or GRU layer, got ${describe(layer)}`);
    }
    if (layer.numLayers !== 1) throw new Error(`${m}: expected a layer with numLayers 1, got ${layer.numLayers}`);
    if (layer.bidirectional) throw new Error(`${m}: expected a unidirectional layer, got bidirectional`);
    if (layer.projSize !== 0) throw new Error(`${m}: LSTM projection is not supported, got projSize ${layer.projSize}`);
    if (layer.clip !== Infinity) throw new Error(`${m}: a cell clip is not supported (its one-step Jacobians assume no clamping), got clip ${layer.clip}; use BPTT`);
    if (layer instanceof GRU && !layer.resetAfter) {
      throw new Error(`${m}: a GRU with resetAfter false is not supported (its candidate's W_hn (r ⊙ h₋) couples the units, which forward mode's one-step Jacobians assume apart); use resetAfter true, or BPTT`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${m}: batchSize must be a positive integer, got ${String(batchSize)}`);
    this.type = layer instanceof LSTM ? 'lstm' : layer instanceof GRU ? 'gru' : `rnn_${layer.nonlinearity}`;
    const kind = layer instanceof RNN && layer.nonlinearity === 'leaky_relu' ? rnnLeakyReluKind(layer.negativeSlope) : cellKinds[this.type];
    this.kind = kind;
    const B = batchSize;
    const I = layer.inputSize;
    const H = layer.hiddenSize;
    const GH = kind.gates * H;
    this.B = B;
    this.I = I;
    this.H = H;
    this.G = kind.gates;
    this.S = kind.hasCellState ? 2 * H : H;

    const store = layer.params;
    const ref = (name: string): { offset: number; size: number } => store.ref(`${layer.prefix}${name}_l0`);
    const wih = ref('weight_ih');
    const whh = ref('weight_hh');
    const bih = layer.bias ? ref('bias_ih') : null;
    const bhh = layer.bias ? ref('bias_hh') : null;
    const peep = layer.peepholes ? ref('weight_peep') : null;
    this.oWih = 0;
    this.oWhh = GH * I;
    this.oBih = bih ? this.oWhh + GH * H : -1;
    this.oBhh = bih ? this.oBih + GH : -1;
    const weightsEnd = this.oWhh + GH * H + (bih ? 2 * GH : 0);
    this.oPeep = peep ? weightsEnd : -1;
    this.N = weightsEnd + (peep ? 3 * H : 0);
    this.parameterIndex = new Int32Array(this.N);
    const blocks: [number, number, number][] = [[this.oWih, wih.offset, wih.size], [this.oWhh, whh.offset, whh.size]];
    if (bih && bhh) blocks.push([this.oBih, bih.offset, bih.size], [this.oBhh, bhh.offset, bhh.size]);
    if (peep) blocks.push([this.oPeep, peep.offset, peep.size]);
    for (const [local, global, size] of blocks) for (let i = 0; i < size; i++) this.parameterIndex[local + i] = global + i;

    this.theta = new Float64Array(this.N);
    this.x = new Float64Array(B * I);
    const xw = new Float64Array(B * GH);
    const hs = new Float64Array(2 * B * H);
    const cs = kind.hasCellState ? new Float64Array(2 * B * H) : null;
    const hw = kind.separateHiddenPreactivations ? new Float64Array(B * GH) : xw;
    this.W_ih = mat(this.theta, this.oWih, GH, I);
    this.W_hh = mat(this.theta, this.oWhh, GH, H);
    this.xRows = mat(this.x, 0, B, I);
    this.xwRows = mat(xw, 0, B, GH);
    this.scan = {
      be, B, H, P: H, w: this.theta, bhh: this.oBhh, peep: this.oPeep, clip: Infinity, xw, hw, hs, cs, ms: null, rs: null,
      views: {
        W_hh: this.W_hh, W_hr: null, hw: mat(hw, 0, B, GH), hPrev: mat(hs, 0, B, H), h: mat(hs, 0, B, H), m: null,
        W_hrz: null, W_hn: null, rzPre: null, nPre: null, rs: null,
      },
    };
    this.hSlots = [hs.subarray(0, B * H), hs.subarray(B * H)];
    const c = cs ?? new Float64Array(B * H); // zeros for cells without c
    this.cSlots = [c.subarray(0, B * H), cs ? c.subarray(B * H) : c];

    const backward = (dhSeed: number): CellBackward => {
      const dxw = new Float64Array(B * GH);
      const dhw = kind.separateHiddenPreactivations ? new Float64Array(B * GH) : dxw;
      const dh = new Float64Array(B * H).fill(dhSeed);
      const dc = kind.hasCellState ? new Float64Array(B * H) : null;
      const dhPrev = new Float64Array(B * H);
      return {
        dh, dc, dcSeed: dc && new Float64Array(B * H).fill(1 - dhSeed), dxw, dhw, dhPrev,
        // (the weight gradients are formed here, not by the cell: `g` stays unused)
        grads: {
          g: new Float64Array(0), dxw, dhw, dh, dhPrev, dc, dm: null, dhAll: null, drs: null,
          views: { dh: mat(dh, 0, B, H), dhPrev: mat(dhPrev, 0, B, H), dm: null, dhw: mat(dhw, 0, B, GH), drs: null, dnPre: null },
        },
      };
    };
    this.coefficients = kind.hasCellState ? [backward(1), backward(0)] : [backward(1)];
    this.vjp = backward(0);
    this.hiddenTangent = new Float64Array(GH * (columns === 'N' ? this.N : columns));
    const vjp = this.vjp;
    this.vjpViews = {
      dxwRow: mat(vjp.dxw, 0, 1, GH), dhwRow: mat(vjp.dhw, 0, 1, GH), xRow: mat(this.x, 0, 1, I),
      hPrevRow: mat(hs, 0, 1, H), out: null, dWih: null, dWhh: null,
    };
  }

  /** The current hidden state (B, H); a live buffer, overwritten by the step after next. */
  get h(): Float64Array {
    return this.hSlot(this.slot);
  }

  /** The current cell state (B, H) (LSTM; zeros otherwise); live, like {@link h}. */
  get c(): Float64Array {
    return this.cSlot(this.slot);
  }

  /** The hidden state in slot 0 or 1. */
  private hSlot(slot: number): Float64Array {
    return slot === 0 ? this.hSlots[0] : this.hSlots[1];
  }

  /** The cell state in slot 0 or 1 (zeros for cells without c). */
  private cSlot(slot: number): Float64Array {
    return slot === 0 ? this.cSlots[0] : this.cSlots[1];
  }

  /** Sets the current state to h0, c0 (B, H) or zeros (sizes checked by the caller). */
  setState(h0: ArrayLike<number> | null | undefined, c0: ArrayLike<number> | null | undefined): void {
    const h = this.h;
    const c = this.c;
    for (let i = 0; i < h.length; i++) {
      h[i] = h0 ? (h0[i] as number) : 0;
      if (this.scan.cs) c[i] = c0 ? (c0[i] as number) : 0;
    }
  }

  /**
   * s_t = F(x_t, s_{t−1}) for every row (`x` is (B, I)), and the coefficients
   * Kˣ, Kʰ, E of this step for {@link propagate}.
   */
  step(x: ArrayLike<number>): void {
    const { B, I, N, kind, scan, theta } = this;
    const GH = kind.gates * this.H;
    const w = this.layer.params.data;
    for (let p = 0; p < N; p++) theta[p] = w[this.parameterIndex[p] as number] as number;
    for (let i = 0; i < B * I; i++) this.x[i] = x[i] as number;
    const before = this.slot;
    const after = 1 - before;
    // a^x = x W_ihᵀ + b_ih (+ b_hh where the cell sums them), then the cell's step
    matmulNT(be, this.xwRows, this.xRows, this.W_ih);
    if (this.oBih >= 0) be.addRowVector(B, GH, theta, this.oBih, scan.xw, 0);
    if (kind.foldsHiddenBias && this.oBhh >= 0) be.addRowVector(B, GH, theta, this.oBhh, scan.xw, 0);
    kind.stepForward(scan, 0, before, after);
    // The cell's backward for a unit gradient on h (and on c) gives Kˣ, Kʰ and E.
    for (const k of this.coefficients) {
      if (k.dc && k.dcSeed) k.dc.set(k.dcSeed);
      kind.stepBackward(scan, k.grads, 0, before, after);
    }
    this.slot = after;
  }

  /**
   * Tangents of row b through the last step, C columns at once:
   *   out = J · in            (direct = false; any C ≤ N)
   *   out = J · in + D        (direct = true; C = N, column p ↔ parameter p)
   * `in` and `out` are (S, C) row-major at the given offsets and must not
   * overlap; C is at most the constructor's `columns`.
   */
  propagate(b: number, tanIn: Float64Array, inOff: number, tanOut: Float64Array, outOff: number, C: number, direct: boolean): void {
    const { I, H, G } = this;
    const GH = G * H;
    const A = this.hiddenTangent;
    let views = this.tangentViews.get(C);
    if (!views) this.tangentViews.set(C, (views = { A: mat(A, 0, GH, C), tangentIn: null, lastIn: null }));
    if (views.lastIn !== tanIn) {
      views.tangentIn = mat(tanIn, inOff, H, C);
      views.lastIn = tanIn;
    }
    (views.tangentIn as Mat).offset = inOff;
    // A = W_hh · in^h   (G·H × C): for RTRL the O(n⁴) part
    matmulNN(be, views.A, this.W_hh, views.tangentIn as Mat);
    const x = this.x;
    const hPrev = this.hSlot(1 - this.slot);
    const cPrev = this.cSlot(1 - this.slot);
    const c = this.cSlot(this.slot);
    const G4 = G === 4;
    for (let sigma = 0; sigma < this.coefficients.length; sigma++) {
      const { dxw: kx, dhw: kh, dhPrev: eh, dc: ec } = this.coefficients[sigma] as CellBackward;
      for (let j = 0; j < H; j++) {
        const out = outOff + (sigma * H + j) * C;
        // through unit j of the previous state (direct) and through W_hh, gate by
        // gate, in one pass (with several gates, absent ones and c count with coefficient 0)
        const e = b * H + j;
        const dh = eh[e] as number;
        const dc = ec ? (ec[e] as number) : 0;
        const inH = inOff + j * C;
        const inC = ec ? inOff + (H + j) * C : inH;
        const g = b * GH + j;
        const k0 = kh[g] as number;
        const k1 = G > 1 ? (kh[g + H] as number) : 0;
        const k2 = G > 2 ? (kh[g + 2 * H] as number) : 0;
        const k3 = G4 ? (kh[g + 3 * H] as number) : 0;
        const a0 = j * C;
        const a1 = G > 1 ? a0 + H * C : a0;
        const a2 = G > 2 ? a0 + 2 * H * C : a0;
        const a3 = G4 ? a0 + 3 * H * C : a0;
        if (G === 1) {
          for (let p = 0; p < C; p++) tanOut[out + p] = dh * (tanIn[inH + p] as number) + k0 * (A[a0 + p] as number);
        } else {
          for (let p = 0; p < C; p++) {
            tanOut[out + p] = dh * (tanIn[inH + p] as number) + dc * (tanIn[inC + p] as number)
              + k0 * (A[a0 + p] as number) + k1 * (A[a1 + p] as number) + k2 * (A[a2 + p] as number) + k3 * (A[a3 + p] as number);
          }
        }
        if (!direct) continue;
        // + D: rows r = (k, j) of each block see x, h₋ and 1
        for (let k = 0; k < G; k++) {
          const r = k * H + j;
          const cx = kx[b * GH + r] as number;
          const ch = kh[b * GH + r] as number;
          const wi = out + this.oWih + r * I;
          for (let m = 0; m < I; m++) tanOut[wi + m] = (tanOut[wi + m] as number) + cx * (x[b * I + m] as number);
          const wh = out + this.oWhh + r * H;
          for (let m = 0; m < H; m++) tanOut[wh + m] = (tanOut[wh + m] as number) + ch * (hPrev[b * H + m] as number);
          if (this.oBih >= 0) {
            tanOut[out + this.oBih + r] = (tanOut[out + this.oBih + r] as number) + cx;
            tanOut[out + this.oBhh + r] = (tanOut[out + this.oBhh + r] as number) + ch;
          }
        }
        if (this.oPeep >= 0) {
          // p_i[j], p_f[j] see c₋_j; p_o[j] sees c_j
          const p = out + this.oPeep + j;
          const cp = cPrev[b * H + j] as number;
          tanOut[p] = (tanOut[p] as number) + (kx[b * GH + j] as number) * cp;
          tanOut[p + H] = (tanOut[p + H] as number) + (kx[b * GH + H + j] as number) * cp;
          tanOut[p + 2 * H] = (tanOut[p + 2 * H] as number) + (kx[b * GH + 3 * H + j] as number) * (c[b * H + j] as number);
        }
      }
    }
  }

  /**
   * out_b = u_bᵀ D for every row b of the last step: the parameter gradient of
   * the step for an upstream gradient u on the new state. `u` is (B, S)
   * (u^h, then u^c for LSTM), `out` is (B, N), overwritten.
   */
  parameterVjp(u: Float64Array, out: Float64Array): void {
    const { B, I, H, S, N, kind } = this;
    const GH = kind.gates * H;
    const { dh, dc, dxw, dhw, grads } = this.vjp;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        dh[b * H + j] = u[b * S + j] as number;
        if (dc) dc[b * H + j] = u[b * S + H + j] as number;
      }
    }
    const before = 1 - this.slot;
    kind.stepBackward(this.scan, grads, 0, before, this.slot);
    const v = this.vjpViews;
    if (v.out !== out) {
      v.out = out;
      v.dWih = mat(out, 0, GH, I);
      v.dWhh = mat(out, 0, GH, H);
    }
    const hPrevRow = v.hPrevRow;
    for (let b = 0; b < B; b++) {
      const o = b * N;
      // dW_ih = da^xᵀ x,  dW_hh = da^hᵀ h₋  (outer products of one row)
      v.dxwRow.offset = v.dhwRow.offset = b * GH;
      v.xRow.offset = b * I;
      hPrevRow.offset = before * B * H + b * H;
      (v.dWih as Mat).offset = o + this.oWih;
      (v.dWhh as Mat).offset = o + this.oWhh;
      matmulTN(be, v.dWih as Mat, v.dxwRow, v.xRow);
      matmulTN(be, v.dWhh as Mat, v.dhwRow, hPrevRow);
      if (this.oBih >= 0) {
        for (let r = 0; r < GH; r++) {
          out[o + this.oBih + r] = dxw[b * GH + r] as number;
          out[o + this.oBhh + r] = dhw[b * GH + r] as number;
        }
      }
      if (this.oPeep < 0) continue;
      // dp_i = da_i ⊙ c₋, dp_f = da_f ⊙ c₋, dp_o = da_o ⊙ c
      const cPrev = this.cSlot(before);
      const c = this.cSlot(this.slot);
      for (let j = 0; j < H; j++) {
        const cp = cPrev[b * H + j] as number;
        out[o + this.oPeep + j] = (dxw[b * GH + j] as number) * cp;
        out[o + this.oPeep + H + j] = (dxw[b * GH + H + j] as number) * cp;
        out[o + this.oPeep + 2 * H + j] = (dxw[b * GH + 3 * H + j] as number) * (c[b * H + j] as number);
      }
    }
  }
}

/**
 * What the forward-mode learners share: the layer's step and its Jacobians,
 * the sizes, the state, and checking and scattering gradients.
 */
export abstract class ForwardModeLearner {
  readonly cell: CellType;
  readonly batchSize: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Rows of the state per sequence: H, or 2H for LSTM ([h; c]). */
  readonly stateSize: number;
  /** Number of the layer's parameters N (columns of the sensitivity matrix). */
  readonly parameterCount: number;
  /**
   * `parameterIndex[p]` is the index in `layer.params.data`/`grad` of
   * column p (weight_ih, weight_hh, bias_ih, bias_hh, weight_peep, row-major).
   */
  readonly parameterIndex: Int32Array;
  protected readonly jacobians: CellJacobians;

  /** `columns`: the most tangent columns propagated at once (see {@link CellJacobians}). */
  protected constructor(readonly name: string, readonly layer: ForwardModeLayer, options: ForwardModeOptions, columns: number | 'N') {
    const j = new CellJacobians(name, layer, options.batchSize ?? 1, columns);
    this.jacobians = j;
    this.cell = j.type;
    this.batchSize = j.B;
    this.inputSize = j.I;
    this.hiddenSize = j.H;
    this.stateSize = j.S;
    this.parameterCount = j.N;
    this.parameterIndex = j.parameterIndex;
  }

  /** The current hidden state (B, H); a live buffer, overwritten by the step after next. */
  get h(): Float64Array {
    return this.jacobians.h;
  }

  /** The current cell state (B, H) (LSTM; zeros otherwise); live, like {@link h}. */
  get c(): Float64Array {
    return this.jacobians.c;
  }

  /** Sets the gradients of this layer's parameters (only) to zero. */
  zeroGrad(into: FloatArray = this.layer.params.grad): void {
    for (let p = 0; p < this.parameterCount; p++) into[this.parameterIndex[p] as number] = 0;
  }

  /** Sets the state to h0, c0 (B, H) or zeros, after checking their sizes. */
  protected resetState(h0: ArrayLike<number> | null | undefined, c0: ArrayLike<number> | null | undefined): void {
    const m = `${this.name}.reset`;
    if (h0 != null) checkMatrix(m, 'h0', h0, this.batchSize, this.hiddenSize, 'hiddenSize');
    if (c0 != null) {
      if (this.cell !== 'lstm') throw new Error(`${m}: c0 is only for LSTM`);
      checkMatrix(m, 'c0', c0, this.batchSize, this.hiddenSize, 'hiddenSize');
    }
    this.jacobians.setState(h0, c0);
  }

  /** Checks the gradients `dh`, `dc` (B, H) of the state given to `accumulate`. */
  protected checkStateGradients(m: string, dh: ArrayLike<number> | null, dc: ArrayLike<number> | null): void {
    if (dh != null) checkMatrix(m, 'dh', dh, this.batchSize, this.hiddenSize, 'hiddenSize');
    if (dc != null) {
      if (this.cell !== 'lstm') throw new Error(`${m}: dc is only for LSTM`);
      checkMatrix(m, 'dc', dc, this.batchSize, this.hiddenSize, 'hiddenSize');
    }
  }

  /** `into[parameterIndex[p]] += local[p]` for every local parameter p. */
  protected scatterAdd(local: Float64Array, into: FloatArray): void {
    for (let p = 0; p < this.parameterCount; p++) {
      const g = this.parameterIndex[p] as number;
      into[g] = (into[g] as number) + (local[p] as number);
    }
  }
}

/**
 * Checks that `v` holds a (B, width) matrix; the message is built only on
 * failure, so the check allocates nothing in the time loop.
 */
export function checkMatrix(m: string, arg: string, v: ArrayLike<number> | null | undefined, B: number, width: number, widthName: string): void {
  if (v != null && v.length === B * width) return;
  const expected = `${B * width} numbers (batchSize ${B} × ${widthName} ${width})`;
  if (v == null || typeof v.length !== 'number') throw new TypeError(`${m}: ${arg} must be an array of ${expected}, got ${String(v)}`);
  throw new Error(`${m}: ${arg} must hold ${expected}, got ${v.length}`);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return (v as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}
