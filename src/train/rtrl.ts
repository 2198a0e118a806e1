/**
 * Forward-mode gradient computation for recurrent layers: exact Real-Time
 * Recurrent Learning, an online learner built on it, and the unbiased
 * rank-one approximation UORO.
 *
 * - Williams & Zipser (1989), "A Learning Algorithm for Continually Running
 *   Fully Recurrent Neural Networks", Neural Computation 1(2) — RTRL.
 * - Tallec & Ollivier (2018), "Unbiased Online Recurrent Optimization",
 *   ICLR 2018 (arXiv:1702.05043, 2017) — UORO.
 *
 * ## The recursion
 *
 * A one-layer recurrent network is a state map s_t = F(x_t, s_{t−1}, θ) with
 * s = h for RNN and GRU and s = [h; c] for LSTM (S = H or 2H rows), and θ the
 * layer's parameters weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh
 * (G·H), G = 1, 4 or 3 gates, flattened in the order of the layer's
 * ParameterStore (N = G·H·(I + H + 2) entries). RTRL carries the sensitivity
 * matrix S_t = ∂s_t/∂θ (S × N) forward in time:
 *
 *   S_0 = 0,   S_t = J_t S_{t−1} + D_t,   J_t = ∂F/∂s_{t−1},   D_t = ∂F/∂θ|direct
 *
 * and the gradient of L = Σ_t ℓ_t(s_t) is ∂L/∂θ = Σ_t (∂ℓ_t/∂s_t) S_t, available
 * at every step without storing the past (unlike BPTT).
 *
 * ## Per-cell Jacobians
 *
 * Let a = W_ih x + b_ih + W_hh h₋ + b_hh be the stacked pre-activations of a
 * step (row r of the G·H rows). For a gate value u, u' is the derivative of its
 * activation: u(1 − u) for the sigmoids i, f, o, r, z and 1 − u² for the tanhs
 * g, n; tanh'(c) = 1 − tanh²(c). W_hi, W_hf, … W_hr, W_hz, W_hn denote the gate
 * blocks of W_hh (H rows each; W_hr here is GRU's reset block, not a projection).
 *
 * RNN, h = φ(a), φ = tanh or relu:
 *   J = diag(φ'(a)) W_hh
 *   D = diag(φ'(a)) ∂a/∂θ
 * where ∂a_r/∂θ has the entries ∂a_r/∂W_ih[r,k] = x_k, ∂a_r/∂W_hh[r,k] = h₋_k,
 * ∂a_r/∂b_ih[r] = ∂a_r/∂b_hh[r] = 1 and is zero elsewhere (row r of each
 * weight only). Both parts together: ∂h/∂θ = diag(φ'(a)) (W_hh S_{t−1} + ∂a/∂θ).
 *
 * LSTM, i f g o = σ(a_i) σ(a_f) tanh(a_g) σ(a_o), c = f⊙c₋ + i⊙g, h = o⊙tanh(c):
 *   ∂c/∂a_i = diag(i' g)  ∂c/∂a_f = diag(f' c₋)  ∂c/∂a_g = diag(i g')
 *   ∂h/∂a_o = diag(o' tanh c)  ∂h/∂c = diag(o tanh'(c))
 *   J = [ ∂h/∂h₋  ∂h/∂c₋ ]    ∂c/∂h₋ = diag(i' g) W_hi + diag(f' c₋) W_hf + diag(i g') W_hg
 *       [ ∂c/∂h₋  ∂c/∂c₋ ]    ∂c/∂c₋ = diag(f)
 *                             ∂h/∂h₋ = diag(o' tanh c) W_ho + diag(o tanh'(c)) ∂c/∂h₋
 *                             ∂h/∂c₋ = diag(o tanh'(c) f)
 * and D is the same chain applied to ∂a/∂θ. With A = W_hh S^h_{t−1} + ∂a/∂θ:
 *   S^c_t = diag(f' c₋) A_f + diag(f) S^c_{t−1} + diag(i' g) A_i + diag(i g') A_g
 *   S^h_t = diag(o' tanh c) A_o + diag(o tanh'(c)) S^c_t
 *
 * GRU (PyTorch's reset-after form), a^x = W_ih x + b_ih, a^h = W_hh h₋ + b_hh,
 * r = σ(a^x_r + a^h_r), z = σ(a^x_z + a^h_z), n = tanh(a^x_n + r ⊙ a^h_n),
 * h = (1 − z) ⊙ n + z ⊙ h₋:
 *   J = diag(z) + diag((h₋ − n) z') W_hz + diag((1 − z) n') [diag(r) W_hn + diag(a^h_n r') W_hr]
 * With A^h = W_hh S_{t−1} + ∂a^h/∂θ (rows r, z also receive ∂a^x/∂θ, since
 * only the sums matter there):
 *   S_t = diag(z) S_{t−1} + diag((h₋ − n) z') A_z + diag((1 − z) n') [diag(r) A^h_n + diag(a^h_n r') A_r + ∂a^x_n/∂θ]
 *
 * ## Cost
 *
 * Per step and sequence the product W_hh S_{t−1} costs G·H·H·N multiply-adds:
 * O(n⁴) for n hidden units (N = O(n²) parameters, each column pushed through
 * an n × n Jacobian), times B sequences, against O(n²) for a BPTT step. The
 * sensitivities take B·S·N numbers: O(n³) memory per sequence, independent of
 * the sequence length. RTRL is exact but practical only for small n (an LSTM
 * with n = 32, I = 8 has N = 5376 and takes tens of milliseconds per step
 * here); UORO costs O(n²) per step like BPTT.
 *
 * Everything here computes in float64 whatever the store's dtype, reading the
 * weights live from `layer.params.data` at every step (so optimiser updates
 * between steps are seen) and accumulating gradients into `layer.params.grad`
 * like `layer.backward`. All buffers are allocated by the constructors; the
 * time loop allocates nothing.
 */
import { GRU } from '../layers/gru.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import { ParameterStore } from '../params.js';
import { Random } from '../random.js';
import type { FloatArray } from '../tensor.js';

/** A one-layer, one-direction recurrent layer without projection. */
export type ForwardModeLayer = RNN | LSTM | GRU;

/** Which cell a layer runs. */
export type ForwardModeCell = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

export interface ForwardModeOptions {
  /** Number of sequences B processed side by side (default 1). */
  batchSize?: number;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * One step of a layer's cell in float64, with the three derivative products
 * forward-mode methods need: the forward step, the tangent propagation
 * `S_t = J S_{t−1} (+ D)` for any number of columns, and the parameter part of
 * a vector–Jacobian product `uᵀ ∂F/∂θ|direct`.
 */
class CellStep {
  readonly cell: ForwardModeCell;
  readonly B: number;
  readonly I: number;
  readonly H: number;
  /** Gates stacked in the weights: 1, 4 or 3. */
  readonly G: number;
  /** Rows of the state per sequence: H, or 2H for LSTM ([h; c]). */
  readonly S: number;
  /** Number of parameters N. */
  readonly N: number;
  /** Local offsets of the blocks in the flat parameter vector θ (−1 when absent). */
  readonly oWih: number;
  readonly oWhh: number;
  readonly oBih: number;
  readonly oBhh: number;
  /** `parameterIndex[p]` is the store index of local parameter p. */
  readonly parameterIndex: Int32Array;
  private readonly sWih: number;
  private readonly sWhh: number;
  private readonly sBih: number;
  private readonly sBhh: number;
  /** `(B, G·H)` gate activations; RNN: φ'(a). */
  private readonly gates: Float64Array;
  /** `(B, H)` LSTM: tanh(c); GRU: a^h_n. */
  private readonly extra: Float64Array;
  /** `(G·H)` input-side and hidden-side pre-activations of one row. */
  private readonly preX: Float64Array;
  private readonly preH: Float64Array;
  /** `(G·H, C)` pre-activation tangents, C up to N. */
  private readonly preTangent: Float64Array;

  constructor(readonly owner: string, readonly layer: ForwardModeLayer, batchSize: number) {
    const m = owner;
    if (!(layer instanceof RNN || layer instanceof LSTM || layer instanceof GRU)) {
      throw new TypeError(`${m}: expected an RNN, LSTM or GRU layer, got ${describe(layer)}`);
    }
    if (layer.numLayers !== 1) throw new Error(`${m}: expected a layer with numLayers 1, got ${layer.numLayers}`);
    if (layer.bidirectional) throw new Error(`${m}: expected a unidirectional layer, got bidirectional`);
    if (layer.projSize !== 0) throw new Error(`${m}: LSTM projection is not supported, got projSize ${layer.projSize}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${m}: batchSize must be a positive integer, got ${String(batchSize)}`);
    this.cell = layer instanceof LSTM ? 'lstm' : layer instanceof GRU ? 'gru' : layer.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh';
    this.B = batchSize;
    this.I = layer.inputSize;
    this.H = layer.hiddenSize;
    this.G = this.cell === 'lstm' ? 4 : this.cell === 'gru' ? 3 : 1;
    this.S = this.cell === 'lstm' ? 2 * this.H : this.H;
    const GH = this.G * this.H;
    const store = layer.params;
    const ref = (name: string): { offset: number; size: number } => store.ref(`${layer.prefix}${name}_l0`);
    const wih = ref('weight_ih');
    const whh = ref('weight_hh');
    const bih = layer.bias ? ref('bias_ih') : null;
    const bhh = layer.bias ? ref('bias_hh') : null;
    this.oWih = 0;
    this.oWhh = GH * this.I;
    this.oBih = bih ? this.oWhh + GH * this.H : -1;
    this.oBhh = bih ? this.oBih + GH : -1;
    this.N = this.oWhh + GH * this.H + (bih ? 2 * GH : 0);
    this.sWih = wih.offset;
    this.sWhh = whh.offset;
    this.sBih = bih ? bih.offset : -1;
    this.sBhh = bhh ? bhh.offset : -1;
    this.parameterIndex = new Int32Array(this.N);
    const blocks: [number, number, number][] = [[this.oWih, wih.offset, wih.size], [this.oWhh, whh.offset, whh.size]];
    if (bih && bhh) blocks.push([this.oBih, bih.offset, bih.size], [this.oBhh, bhh.offset, bhh.size]);
    for (const [local, global, size] of blocks) for (let i = 0; i < size; i++) this.parameterIndex[local + i] = global + i;

    this.gates = new Float64Array(this.B * GH);
    this.extra = new Float64Array(this.B * this.H);
    this.preX = new Float64Array(GH);
    this.preH = new Float64Array(GH);
    this.preTangent = new Float64Array(GH * this.N);
  }

  /**
   * s_t = F(x_t, s_{t−1}) for every row; caches what the derivatives need.
   * `x` is (B, I); h and c are (B, H).
   */
  forward(w: FloatArray, x: ArrayLike<number>, hPrev: Float64Array, cPrev: Float64Array, hNext: Float64Array, cNext: Float64Array): void {
    const { B, I, H } = this;
    const GH = this.G * H;
    const preX = this.preX;
    const preH = this.preH;
    for (let b = 0; b < B; b++) {
      // a^x = W_ih x + b_ih,  a^h = W_hh h₋ + b_hh
      for (let r = 0; r < GH; r++) {
        let ax = this.sBih >= 0 ? (w[this.sBih + r] as number) : 0;
        const wi = this.sWih + r * I;
        for (let k = 0; k < I; k++) ax += (w[wi + k] as number) * (x[b * I + k] as number);
        let ah = this.sBhh >= 0 ? (w[this.sBhh + r] as number) : 0;
        const wh = this.sWhh + r * H;
        for (let k = 0; k < H; k++) ah += (w[wh + k] as number) * (hPrev[b * H + k] as number);
        preX[r] = ax;
        preH[r] = ah;
      }
      const g0 = b * GH;
      const s0 = b * H;
      switch (this.cell) {
        case 'rnn_tanh':
          for (let j = 0; j < H; j++) {
            const h = Math.tanh((preX[j] as number) + (preH[j] as number));
            hNext[s0 + j] = h;
            this.gates[g0 + j] = 1 - h * h;
          }
          break;
        case 'rnn_relu':
          for (let j = 0; j < H; j++) {
            const a = (preX[j] as number) + (preH[j] as number);
            hNext[s0 + j] = a > 0 ? a : 0;
            this.gates[g0 + j] = a > 0 ? 1 : 0;
          }
          break;
        case 'lstm':
          for (let j = 0; j < H; j++) {
            const i = sigmoid((preX[j] as number) + (preH[j] as number));
            const f = sigmoid((preX[H + j] as number) + (preH[H + j] as number));
            const g = Math.tanh((preX[2 * H + j] as number) + (preH[2 * H + j] as number));
            const o = sigmoid((preX[3 * H + j] as number) + (preH[3 * H + j] as number));
            const c = f * (cPrev[s0 + j] as number) + i * g;
            const tc = Math.tanh(c);
            cNext[s0 + j] = c;
            hNext[s0 + j] = o * tc;
            this.gates[g0 + j] = i;
            this.gates[g0 + H + j] = f;
            this.gates[g0 + 2 * H + j] = g;
            this.gates[g0 + 3 * H + j] = o;
            this.extra[s0 + j] = tc;
          }
          break;
        case 'gru':
          for (let j = 0; j < H; j++) {
            const r = sigmoid((preX[j] as number) + (preH[j] as number));
            const z = sigmoid((preX[H + j] as number) + (preH[H + j] as number));
            const ahn = preH[2 * H + j] as number;
            const n = Math.tanh((preX[2 * H + j] as number) + r * ahn);
            hNext[s0 + j] = (1 - z) * n + z * (hPrev[s0 + j] as number);
            this.gates[g0 + j] = r;
            this.gates[g0 + H + j] = z;
            this.gates[g0 + 2 * H + j] = n;
            this.extra[s0 + j] = ahn;
          }
          break;
      }
    }
  }

  /**
   * Tangents of row b through the last forward step, C columns at once:
   *   out = J · in            (direct = false; any C ≤ N)
   *   out = J · in + D        (direct = true; C = N, column p ↔ parameter p)
   * `in` and `out` are (S, C) row-major at the given offsets and must not overlap.
   */
  propagate(
    w: FloatArray, b: number, x: ArrayLike<number>, hPrev: Float64Array, cPrev: Float64Array,
    tanIn: Float64Array, inOff: number, tanOut: Float64Array, outOff: number, C: number, direct: boolean,
  ): void {
    const { I, H } = this;
    const GH = this.G * H;
    const A = this.preTangent;
    // A = W_hh · in^h   (G·H × C): the O(n⁴) part
    // (four rows of `in` per pass over a row of A: half the memory traffic of one)
    A.fill(0, 0, GH * C);
    for (let r = 0; r < GH; r++) {
      const aRow = r * C;
      const wRow = this.sWhh + r * H;
      let k = 0;
      for (; k + 4 <= H; k += 4) {
        const w0 = w[wRow + k] as number;
        const w1 = w[wRow + k + 1] as number;
        const w2 = w[wRow + k + 2] as number;
        const w3 = w[wRow + k + 3] as number;
        const i0 = inOff + k * C;
        const i1 = i0 + C;
        const i2 = i1 + C;
        const i3 = i2 + C;
        for (let p = 0; p < C; p++) {
          A[aRow + p] = (A[aRow + p] as number) + w0 * (tanIn[i0 + p] as number) + w1 * (tanIn[i1 + p] as number)
            + w2 * (tanIn[i2 + p] as number) + w3 * (tanIn[i3 + p] as number);
        }
      }
      for (; k < H; k++) {
        const wk = w[wRow + k] as number;
        const inRow = inOff + k * C;
        for (let p = 0; p < C; p++) A[aRow + p] = (A[aRow + p] as number) + wk * (tanIn[inRow + p] as number);
      }
    }
    if (direct) {
      // A += ∂a/∂θ: row r of each weight block sees x, h₋ and 1.
      // (GRU: the candidate's input side a^x_n is added after the gate chain.)
      const inputRows = this.cell === 'gru' ? 2 * H : GH;
      for (let r = 0; r < GH; r++) {
        const aRow = r * C;
        if (r < inputRows) {
          const col = aRow + this.oWih + r * I;
          for (let k = 0; k < I; k++) A[col + k] = (A[col + k] as number) + (x[b * I + k] as number);
          if (this.oBih >= 0) A[aRow + this.oBih + r] = (A[aRow + this.oBih + r] as number) + 1;
        }
        const col = aRow + this.oWhh + r * H;
        for (let k = 0; k < H; k++) A[col + k] = (A[col + k] as number) + (hPrev[b * H + k] as number);
        if (this.oBhh >= 0) A[aRow + this.oBhh + r] = (A[aRow + this.oBhh + r] as number) + 1;
      }
    }
    const g0 = b * GH;
    const s0 = b * H;
    const gates = this.gates;
    switch (this.cell) {
      case 'rnn_tanh':
      case 'rnn_relu':
        // S_t = diag(φ') A
        for (let j = 0; j < H; j++) {
          const d = gates[g0 + j] as number;
          const out = outOff + j * C;
          const aj = j * C;
          for (let p = 0; p < C; p++) tanOut[out + p] = d * (A[aj + p] as number);
        }
        break;
      case 'lstm':
        for (let j = 0; j < H; j++) {
          const i = gates[g0 + j] as number;
          const f = gates[g0 + H + j] as number;
          const g = gates[g0 + 2 * H + j] as number;
          const o = gates[g0 + 3 * H + j] as number;
          const tc = this.extra[s0 + j] as number;
          const kI = i * (1 - i) * g; // ∂c/∂a_i
          const kF = f * (1 - f) * (cPrev[s0 + j] as number); // ∂c/∂a_f
          const kG = i * (1 - g * g); // ∂c/∂a_g
          const kO = o * (1 - o) * tc; // ∂h/∂a_o
          const kC = o * (1 - tc * tc); // ∂h/∂c
          const ai = j * C;
          const af = (H + j) * C;
          const ag = (2 * H + j) * C;
          const ao = (3 * H + j) * C;
          const cIn = inOff + (H + j) * C;
          const hOut = outOff + j * C;
          const cOut = outOff + (H + j) * C;
          for (let p = 0; p < C; p++) {
            const dc = kI * (A[ai + p] as number) + kF * (A[af + p] as number) + kG * (A[ag + p] as number) + f * (tanIn[cIn + p] as number);
            tanOut[cOut + p] = dc;
            tanOut[hOut + p] = kO * (A[ao + p] as number) + kC * dc;
          }
        }
        break;
      case 'gru':
        for (let j = 0; j < H; j++) {
          const r = gates[g0 + j] as number;
          const z = gates[g0 + H + j] as number;
          const n = gates[g0 + 2 * H + j] as number;
          const ahn = this.extra[s0 + j] as number;
          const kN = (1 - z) * (1 - n * n); // ∂h/∂(candidate pre-activation)
          const kNR = kN * r; // … through r ⊙ a^h_n, wrt a^h_n
          const kR = kN * ahn * r * (1 - r); // … wrt a_r
          const kZ = z * (1 - z) * ((hPrev[s0 + j] as number) - n); // ∂h/∂a_z
          const ar = j * C;
          const az = (H + j) * C;
          const an = (2 * H + j) * C;
          const hIn = inOff + j * C;
          const out = outOff + j * C;
          for (let p = 0; p < C; p++) {
            tanOut[out + p] = kNR * (A[an + p] as number) + kR * (A[ar + p] as number) + kZ * (A[az + p] as number) + z * (tanIn[hIn + p] as number);
          }
          if (direct) {
            // + (1 − z) n' ∂a^x_n/∂θ
            const col = out + this.oWih + (2 * H + j) * I;
            for (let k = 0; k < I; k++) tanOut[col + k] = (tanOut[col + k] as number) + kN * (x[b * I + k] as number);
            if (this.oBih >= 0) tanOut[out + this.oBih + 2 * H + j] = (tanOut[out + this.oBih + 2 * H + j] as number) + kN;
          }
        }
        break;
    }
  }

  /**
   * out = uᵀ ∂F/∂θ|direct for row b of the last forward step (N entries,
   * overwritten): the parameter gradient of one step with upstream gradient u
   * on the new state (u^h at `uOff`, u^c at `uOff + H` for LSTM).
   * `daX`, `daH` are (G·H) workspaces for the pre-activation gradients.
   */
  parameterVjp(
    b: number, x: ArrayLike<number>, hPrev: Float64Array, cPrev: Float64Array,
    u: Float64Array, uOff: number, out: Float64Array, daX: Float64Array, daH: Float64Array,
  ): void {
    const { I, H } = this;
    const GH = this.G * H;
    const g0 = b * GH;
    const s0 = b * H;
    const gates = this.gates;
    switch (this.cell) {
      case 'rnn_tanh':
      case 'rnn_relu':
        for (let j = 0; j < H; j++) daX[j] = daH[j] = (u[uOff + j] as number) * (gates[g0 + j] as number); // through φ
        break;
      case 'lstm':
        for (let j = 0; j < H; j++) {
          const i = gates[g0 + j] as number;
          const f = gates[g0 + H + j] as number;
          const g = gates[g0 + 2 * H + j] as number;
          const o = gates[g0 + 3 * H + j] as number;
          const tc = this.extra[s0 + j] as number;
          const dh = u[uOff + j] as number;
          const dc = (u[uOff + H + j] as number) + dh * o * (1 - tc * tc); // through h = o tanh(c)
          daX[j] = daH[j] = dc * g * i * (1 - i); // through c = … + i g, i = σ
          daX[H + j] = daH[H + j] = dc * (cPrev[s0 + j] as number) * f * (1 - f); // through f c₋, f = σ
          daX[2 * H + j] = daH[2 * H + j] = dc * i * (1 - g * g); // through i g, g = tanh
          daX[3 * H + j] = daH[3 * H + j] = dh * tc * o * (1 - o); // through o tanh(c), o = σ
        }
        break;
      case 'gru':
        for (let j = 0; j < H; j++) {
          const r = gates[g0 + j] as number;
          const z = gates[g0 + H + j] as number;
          const n = gates[g0 + 2 * H + j] as number;
          const dh = u[uOff + j] as number;
          const dnPre = dh * (1 - z) * (1 - n * n); // through (1 − z) n, n = tanh
          const dr = dnPre * (this.extra[s0 + j] as number) * r * (1 - r); // through r ⊙ a^h_n, r = σ
          const dz = dh * ((hPrev[s0 + j] as number) - n) * z * (1 - z); // through z (h₋ − n), z = σ
          daX[j] = daH[j] = dr;
          daX[H + j] = daH[H + j] = dz;
          daX[2 * H + j] = dnPre;
          daH[2 * H + j] = dnPre * r;
        }
        break;
    }
    // dW_ih[r,:] = da^x_r x,  dW_hh[r,:] = da^h_r h₋,  db_ih = da^x,  db_hh = da^h
    for (let r = 0; r < GH; r++) {
      const dx = daX[r] as number;
      const dh = daH[r] as number;
      const wi = this.oWih + r * I;
      for (let k = 0; k < I; k++) out[wi + k] = dx * (x[b * I + k] as number);
      const wh = this.oWhh + r * H;
      for (let k = 0; k < H; k++) out[wh + k] = dh * (hPrev[s0 + k] as number);
      if (this.oBih >= 0) {
        out[this.oBih + r] = dx;
        out[this.oBhh + r] = dh;
      }
    }
  }
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return (v as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}

/** The recurrent state of a forward-mode learner, double-buffered. */
class StateBuffers {
  h: Float64Array;
  c: Float64Array;
  hNext: Float64Array;
  cNext: Float64Array;
  constructor(size: number) {
    this.h = new Float64Array(size);
    this.c = new Float64Array(size);
    this.hNext = new Float64Array(size);
    this.cNext = new Float64Array(size);
  }
  swap(): void {
    const h = this.h;
    this.h = this.hNext;
    this.hNext = h;
    const c = this.c;
    this.c = this.cNext;
    this.cNext = c;
  }
}

/**
 * Checks that `v` holds a (B, width) matrix; the message is built only on
 * failure, so the check allocates nothing in the time loop.
 */
function checkMatrix(m: string, arg: string, v: ArrayLike<number> | null | undefined, B: number, width: number, widthName: string): void {
  if (v != null && v.length === B * width) return;
  const expected = `${B * width} numbers (batchSize ${B} × ${widthName} ${width})`;
  if (v == null || typeof v.length !== 'number') throw new TypeError(`${m}: ${arg} must be an array of ${expected}, got ${String(v)}`);
  throw new Error(`${m}: ${arg} must hold ${expected}, got ${v.length}`);
}

/**
 * Exact Real-Time Recurrent Learning (Williams & Zipser 1989) for a one-layer
 * RNN (tanh or relu), LSTM or GRU: carries S_t = ∂s_t/∂θ forward with the
 * step (see the file comment for the Jacobians), so the gradient of a loss on
 * the current state is available immediately. Over a sequence the sum of the
 * `accumulate` calls equals the BPTT gradient of `layer.backward`.
 *
 * Cost per step B·G·H²·N multiply-adds = O(B·n⁴), memory B·S·N = O(B·n³) numbers.
 *
 * Example:
 *   const rtrl = new RTRL(gru, { batchSize: 2 });
 *   rtrl.reset();
 *   for (const x of stream) { const h = rtrl.step(x); rtrl.accumulate(dLossDh(h)); }
 *   // gru.params.grad now holds Σ_t (∂ℓ_t/∂h_t) ∂h_t/∂θ
 */
/**
 * What RTRL and UORO share: the layer's one-step Jacobians, the double-buffered
 * state, its sizes, and resetting the state at the start of a sequence.
 */
abstract class ForwardModeLearner {
  readonly cell: ForwardModeCell;
  readonly batchSize: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Rows of the state per sequence: H, or 2H for LSTM ([h; c]). */
  readonly stateSize: number;
  /** Number of the layer's parameters N (columns of the sensitivity matrix). */
  readonly parameterCount: number;
  /**
   * `parameterIndex[p]` is the index in `layer.params.data`/`grad` of
   * sensitivity column p (weight_ih, weight_hh, bias_ih, bias_hh, row-major).
   */
  readonly parameterIndex: Int32Array;
  protected readonly step1: CellStep;
  protected readonly state: StateBuffers;

  protected constructor(readonly name: string, readonly layer: ForwardModeLayer, options: ForwardModeOptions) {
    this.step1 = new CellStep(name, layer, options.batchSize ?? 1);
    const c = this.step1;
    this.cell = c.cell;
    this.batchSize = c.B;
    this.inputSize = c.I;
    this.hiddenSize = c.H;
    this.stateSize = c.S;
    this.parameterCount = c.N;
    this.parameterIndex = c.parameterIndex;
    this.state = new StateBuffers(c.B * c.H);
  }

  /** The current hidden state (B, H); a live buffer, overwritten by the next step. */
  get h(): Float64Array {
    return this.state.h;
  }

  /** The current cell state (B, H) (LSTM; zeros otherwise); live, like {@link h}. */
  get c(): Float64Array {
    return this.state.c;
  }

  /** Sets the state to h0, c0 (B, H) or zeros, after checking their sizes. */
  protected resetState(h0: ArrayLike<number> | null | undefined, c0: ArrayLike<number> | null | undefined): void {
    const m = `${this.name}.reset`;
    const n = this.batchSize * this.hiddenSize;
    if (h0 != null) checkMatrix(m, 'h0', h0, this.batchSize, this.hiddenSize, 'hiddenSize');
    if (c0 != null) {
      if (this.cell !== 'lstm') throw new Error(`${m}: c0 is only for LSTM`);
      checkMatrix(m, 'c0', c0, this.batchSize, this.hiddenSize, 'hiddenSize');
    }
    for (let i = 0; i < n; i++) {
      this.state.h[i] = h0 ? (h0[i] as number) : 0;
      this.state.c[i] = c0 ? (c0[i] as number) : 0;
    }
  }
}

export class RTRL extends ForwardModeLearner {
  private sens: Float64Array;
  private sensNext: Float64Array;
  private steps = 0;

  constructor(layer: ForwardModeLayer, options: ForwardModeOptions = {}) {
    super('RTRL', layer, options);
    const c = this.step1;
    this.sens = new Float64Array(c.B * c.S * c.N);
    this.sensNext = new Float64Array(c.B * c.S * c.N);
  }

  /**
   * S_t = ∂s_t/∂θ, shape (B, S, N): row b·S + i is state entry i of sequence b
   * (h first, then c for LSTM), column p the parameter at `parameterIndex[p]`.
   * A live buffer, overwritten by the next step.
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
    const c = this.step1;
    checkMatrix('RTRL.step', 'x', x, c.B, c.I, 'inputSize');
    const w = this.layer.params.data;
    const st = this.state;
    c.forward(w, x, st.h, st.c, st.hNext, st.cNext);
    const rows = c.S * c.N;
    for (let b = 0; b < c.B; b++) c.propagate(w, b, x, st.h, st.c, this.sens, b * rows, this.sensNext, b * rows, c.N, true);
    st.swap();
    const sens = this.sens;
    this.sens = this.sensNext;
    this.sensNext = sens;
    this.steps++;
    return st.h;
  }

  /**
   * Adds (∂ℓ/∂h_t) S^h_t + (∂ℓ/∂c_t) S^c_t into `layer.params.grad` (or into
   * `into`, indexed like the store). `dh`, `dc` are (B, H); `dc` is LSTM only.
   */
  accumulate(dh: ArrayLike<number> | null, dc: ArrayLike<number> | null = null, into: FloatArray = this.layer.params.grad): void {
    const m = 'RTRL.accumulate';
    const { B, H, S, N } = this.step1;
    if (dh != null) checkMatrix(m, 'dh', dh, B, H, 'hiddenSize');
    if (dc != null) {
      if (this.cell !== 'lstm') throw new Error(`${m}: dc is only for LSTM`);
      checkMatrix(m, 'dc', dc, B, H, 'hiddenSize');
    }
    const idx = this.parameterIndex;
    const sens = this.sens;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < S; i++) {
        const u = i < H ? (dh ? (dh[b * H + i] as number) : 0) : dc ? (dc[b * H + i - H] as number) : 0;
        if (u === 0) continue;
        const row = (b * S + i) * N;
        for (let p = 0; p < N; p++) {
          const g = idx[p] as number;
          into[g] = (into[g] as number) + u * (sens[row + p] as number);
        }
      }
    }
  }

  /** Sets the gradients of this layer's parameters (only) to zero. */
  zeroGrad(into: FloatArray = this.layer.params.grad): void {
    for (let p = 0; p < this.parameterCount; p++) into[this.parameterIndex[p] as number] = 0;
  }
}

export interface OnlineRTRLOptions extends ForwardModeOptions {
  /** Size of the readout y = W_out h + b_out. */
  outputSize: number;
  /** SGD step size of the recurrent and readout parameters. */
  learningRate: number;
  /** Step size of the readout, when it should differ (default `learningRate`). */
  readoutLearningRate?: number;
  /** Seed of the readout initialisation U(−1/√H, 1/√H) (default 0). */
  seed?: number;
}

/**
 * Online learning with RTRL (Williams & Zipser 1989, §"real-time"): a layer
 * plus a linear readout y_t = W_out h_t + b_out, trained on a stream by one
 * plain SGD step after every time step on the squared error
 *
 *   ℓ_t = 1/(2B) Σ_b ‖y_t,b − target_t,b‖²
 *
 * The sensitivities are kept across the updates, so S_t mixes derivatives
 * taken at slightly different weights — the standard online approximation,
 * exact in the limit of small step sizes. The readout lives in its own
 * float64 store (`readout.params`, names `weight` (O, H) and `bias` (O), as in
 * `torch.nn.Linear`).
 *
 * Example:
 *   const learner = new OnlineRTRL(new RNN({ inputSize: 1, hiddenSize: 8, dtype: 'float64' }),
 *                                  { outputSize: 1, learningRate: 0.05 });
 *   learner.reset();
 *   for (const [x, y] of stream) loss = learner.step(x, y);
 */
export class OnlineRTRL {
  readonly rtrl: RTRL;
  readonly outputSize: number;
  learningRate: number;
  readoutLearningRate: number;
  /** The readout's parameters: `weight` (O, H), `bias` (O). */
  readonly readout: { readonly params: ParameterStore; readonly weight: number; readonly bias: number };
  private readonly prediction: Float64Array;
  private readonly dh: Float64Array;
  private lastLoss = Number.NaN;

  constructor(readonly layer: ForwardModeLayer, options: OnlineRTRLOptions) {
    const m = 'OnlineRTRL';
    const O = options?.outputSize;
    if (typeof O !== 'number' || !Number.isInteger(O) || O < 1) throw new Error(`${m}: outputSize must be a positive integer, got ${String(O)}`);
    for (const key of ['learningRate', 'readoutLearningRate'] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        throw new Error(`${m}: ${key} must be a finite non-negative number, got ${String(v)}`);
      }
    }
    if (options.learningRate === undefined) throw new Error(`${m}: learningRate is required`);
    this.rtrl = new RTRL(layer, options);
    this.outputSize = O;
    this.learningRate = options.learningRate;
    this.readoutLearningRate = options.readoutLearningRate ?? options.learningRate;
    const H = this.rtrl.hiddenSize;
    const params = new ParameterStore('float64', `${m}.readout`);
    const weight = params.add('weight', [O, H]).offset;
    const bias = params.add('bias', [O]).offset;
    const rng = new Random(options.seed ?? 0);
    const bound = 1 / Math.sqrt(H);
    for (let i = 0; i < params.size; i++) params.data[i] = rng.uniform(-bound, bound);
    this.readout = { params, weight, bias };
    this.prediction = new Float64Array(this.rtrl.batchSize * O);
    this.dh = new Float64Array(this.rtrl.batchSize * H);
  }

  /** The prediction y_t (B, O) of the last step, made before that step's update. */
  get output(): Float64Array {
    return this.prediction;
  }

  /** ℓ_t of the last step. */
  get loss(): number {
    return this.lastLoss;
  }

  /** Starts a new stream: state h0, c0 or zeros, sensitivities zero. Weights are kept. */
  reset(h0?: ArrayLike<number> | null, c0?: ArrayLike<number> | null): void {
    this.rtrl.reset(h0, c0);
  }

  /**
   * Consumes x_t (B, I), predicts y_t from h_t, and updates every parameter
   * by −lr·∂ℓ_t/∂θ (RTRL for the layer, exact for the readout). Returns ℓ_t.
   */
  step(x: ArrayLike<number>, target: ArrayLike<number>): number {
    const rtrl = this.rtrl;
    const B = rtrl.batchSize;
    const H = rtrl.hiddenSize;
    const O = this.outputSize;
    checkMatrix('OnlineRTRL.step', 'target', target, B, O, 'outputSize');
    const h = rtrl.step(x);
    const { params, weight, bias } = this.readout;
    const W = params.data;
    const gW = params.grad;
    const y = this.prediction;
    const dh = this.dh;
    dh.fill(0);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        let v = W[bias + o] as number;
        for (let j = 0; j < H; j++) v += (W[weight + o * H + j] as number) * (h[b * H + j] as number);
        y[b * O + o] = v;
        const e = v - (target[b * O + o] as number);
        loss += (0.5 * e * e) / B;
        const dy = e / B; // ∂ℓ/∂y
        gW[bias + o] = (gW[bias + o] as number) + dy;
        for (let j = 0; j < H; j++) {
          gW[weight + o * H + j] = (gW[weight + o * H + j] as number) + dy * (h[b * H + j] as number);
          dh[b * H + j] = (dh[b * H + j] as number) + dy * (W[weight + o * H + j] as number); // through W_out
        }
      }
    }
    // Layer gradient from the sensitivities, then one SGD step on everything.
    const store = this.layer.params;
    rtrl.accumulate(dh);
    const lr = this.learningRate;
    for (let p = 0; p < rtrl.parameterCount; p++) {
      const g = rtrl.parameterIndex[p] as number;
      store.data[g] = (store.data[g] as number) - lr * (store.grad[g] as number);
      store.grad[g] = 0;
    }
    const lrOut = this.readoutLearningRate;
    for (let i = 0; i < params.size; i++) {
      W[i] = (W[i] as number) - lrOut * (gW[i] as number);
      gW[i] = 0;
    }
    this.lastLoss = loss;
    return loss;
  }
}

export interface UOROOptions extends ForwardModeOptions {
  /** Seed of the random signs ν (default 0). */
  seed?: number;
  /** Random source for ν (overrides `seed`). */
  rng?: Random;
  /** The ε of the variance-reduction factors (default 1e-7, as in the paper). */
  epsilon?: number;
}

/**
 * Unbiased Online Recurrent Optimization (Tallec & Ollivier 2017/2018): a
 * rank-one, unbiased stochastic estimate S_t ≈ s̃_t θ̃_tᵀ of the RTRL
 * sensitivities at the cost of one forward tangent and one vector–Jacobian
 * product per step, O(n²) like BPTT, with memory S + N per sequence.
 *
 * Each step, with ν ∈ {−1, +1}^S independent uniform signs:
 *
 *   s̃' = J_t s̃_{t−1}                                 (forward-mode tangent)
 *   δθ = νᵀ D_t = νᵀ ∂F/∂θ|direct                      (reverse-mode, one step)
 *   ρ₀ = √(‖θ̃_{t−1}‖ / (‖s̃'‖ + ε)) + ε,  ρ₁ = √(‖δθ‖ / (‖ν‖ + ε)) + ε
 *   s̃_t = ρ₀ s̃' + ρ₁ ν,   θ̃_t = θ̃_{t−1} / ρ₀ + δθ / ρ₁
 *
 * so s̃_t θ̃_tᵀ = J s̃ θ̃ᵀ + ν νᵀ D + (ρ₀/ρ₁) J s̃ νᵀ D + (ρ₁/ρ₀) ν θ̃ᵀ. As
 * E[ννᵀ] = I and both cross terms are odd in ν (ρ₁ is even in ν), the
 * expectation given the past is J E[s̃θ̃ᵀ] + D: by induction E[s̃_t θ̃_tᵀ] = S_t
 * for fixed weights. ρ₀, ρ₁ balance the norms of the two factors, which
 * minimises the variance of the cross terms. The gradient estimate of
 * ℓ_t(s_t) is (∂ℓ_t/∂s_t · s̃_t) θ̃_t.
 */
export class UORO extends ForwardModeLearner {
  readonly rng: Random;
  readonly epsilon: number;
  /** (B, S) s̃ per sequence, and the tangent workspace. */
  private readonly stateTilde: Float64Array;
  private readonly tangent: Float64Array;
  /** (B, N) θ̃ per sequence, and the δθ workspace. */
  private readonly paramTilde: Float64Array;
  private readonly deltaTheta: Float64Array;
  /** (S) the signs ν of one row. */
  private readonly nu: Float64Array;
  private readonly daX: Float64Array;
  private readonly daH: Float64Array;

  constructor(layer: ForwardModeLayer, options: UOROOptions = {}) {
    super('UORO', layer, options);
    const c = this.step1;
    this.rng = options.rng ?? new Random(options.seed ?? 0);
    this.epsilon = options.epsilon ?? 1e-7;
    if (!(this.epsilon > 0)) throw new Error(`UORO: epsilon must be positive, got ${String(options.epsilon)}`);
    this.stateTilde = new Float64Array(c.B * c.S);
    this.tangent = new Float64Array(c.S);
    this.paramTilde = new Float64Array(c.B * c.N);
    this.deltaTheta = new Float64Array(c.N);
    this.nu = new Float64Array(c.S);
    this.daX = new Float64Array(c.G * c.H);
    this.daH = new Float64Array(c.G * c.H);
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
    const c = this.step1;
    const { B, S, N } = c;
    checkMatrix('UORO.step', 'x', x, B, c.I, 'inputSize');
    const w = this.layer.params.data;
    const st = this.state;
    const eps = this.epsilon;
    const nu = this.nu;
    const tangent = this.tangent;
    const dTheta = this.deltaTheta;
    c.forward(w, x, st.h, st.c, st.hNext, st.cNext);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < S; i++) nu[i] = (this.rng.nextUint32() & 1) === 0 ? -1 : 1;
      // s̃' = J s̃,  δθ = νᵀ ∂F/∂θ
      c.propagate(w, b, x, st.h, st.c, this.stateTilde, b * S, tangent, 0, 1, false);
      c.parameterVjp(b, x, st.h, st.c, nu, 0, dTheta, this.daX, this.daH);
      const rho0 = Math.sqrt(norm(this.paramTilde, b * N, N) / (norm(tangent, 0, S) + eps)) + eps;
      const rho1 = Math.sqrt(norm(dTheta, 0, N) / (Math.sqrt(S) + eps)) + eps;
      for (let i = 0; i < S; i++) this.stateTilde[b * S + i] = rho0 * (tangent[i] as number) + rho1 * (nu[i] as number);
      for (let p = 0; p < N; p++) {
        this.paramTilde[b * N + p] = (this.paramTilde[b * N + p] as number) / rho0 + (dTheta[p] as number) / rho1;
      }
    }
    st.swap();
    return st.h;
  }

  /**
   * Adds the estimate Σ_b (∂ℓ/∂s_t,b · s̃_b) θ̃_b into `layer.params.grad`
   * (or `into`, indexed like the store). `dh`, `dc` are (B, H); `dc` is LSTM only.
   */
  accumulate(dh: ArrayLike<number> | null, dc: ArrayLike<number> | null = null, into: FloatArray = this.layer.params.grad): void {
    const m = 'UORO.accumulate';
    const { B, H, S, N } = this.step1;
    if (dh != null) checkMatrix(m, 'dh', dh, B, H, 'hiddenSize');
    if (dc != null) {
      if (this.cell !== 'lstm') throw new Error(`${m}: dc is only for LSTM`);
      checkMatrix(m, 'dc', dc, B, H, 'hiddenSize');
    }
    for (let b = 0; b < B; b++) {
      let coef = 0;
      for (let i = 0; i < H; i++) {
        if (dh) coef += (dh[b * H + i] as number) * (this.stateTilde[b * S + i] as number);
        if (dc) coef += (dc[b * H + i] as number) * (this.stateTilde[b * S + H + i] as number);
      }
      if (coef === 0) continue;
      for (let p = 0; p < N; p++) {
        const g = this.parameterIndex[p] as number;
        into[g] = (into[g] as number) + coef * (this.paramTilde[b * N + p] as number);
      }
    }
  }

  /** Sets the gradients of this layer's parameters (only) to zero. */
  zeroGrad(into: FloatArray = this.layer.params.grad): void {
    for (let p = 0; p < this.parameterCount; p++) into[this.parameterIndex[p] as number] = 0;
  }
}

function norm(a: Float64Array, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[off + i] as number) ** 2;
  return Math.sqrt(s);
}
