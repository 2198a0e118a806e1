/**
 * What a recurrent cell contributes to the scan: one time step, forward and
 * backward. The scan ({@link ../layers/scan.ts}) owns the time loop, the
 * hoisted input projection and the weight gradients; a cell only turns the
 * pre-activations of one step into the next state and back.
 */
import type { Backend } from '../backend/backend.js';
import type { Mat } from '../backend/matmul.js';
import type { FloatArray } from '../tensor.js';

/**
 * Matrix views of one scan's buffers for the products of a step: made with
 * the buffers, re-pointed by each step ({@link ../backend/matmul.ts `at`}).
 */
export interface StepViews {
  /** `W_hh` `(G, P)`, G = gates·H. */
  readonly W_hh: Mat;
  /** `W_hr` `(P, H)` (LSTM with projection), else null. */
  readonly W_hr: Mat | null;
  /** A step's `(B, G)` block of `hw`: what `h₋ W_hhᵀ` adds to (the input-side `xw` itself unless GRU). */
  readonly hw: Mat;
  /** A slot's `(B, P)` block of `hs`: the state a step reads, and the one it writes. */
  readonly hPrev: Mat;
  readonly h: Mat;
  /** A step's `(B, H)` block of `ms` (LSTM with projection), else null. */
  readonly m: Mat | null;
  /**
   * GRU with the reset gate before the recurrent product (else null): the
   * rows `W_hr; W_hz` `(2H, H)` and `W_hn` `(H, H)` of `W_hh`, a step's
   * `(B, 2H)` `r z` and `(B, H)` `n` columns of `xw`, and a step's block of `rs`.
   */
  readonly W_hrz: Mat | null;
  readonly W_hn: Mat | null;
  readonly rzPre: Mat | null;
  readonly nPre: Mat | null;
  readonly rs: Mat | null;
}

/** Matrix views of the backward workspaces (fixed, except `dhw`, re-pointed per step). */
export interface StepGradViews {
  /** `(B, P)` gradients of the step's state and of the state before it. */
  readonly dh: Mat;
  readonly dhPrev: Mat;
  /** `(B, H)` gradient of `m` (LSTM with projection), else null. */
  readonly dm: Mat | null;
  /** A step's `(B, G)` block of `dhw`. */
  readonly dhw: Mat;
  /** GRU reset-before (else null): `(B, H)` gradient of `r ⊙ h₋`, and a step's `(B, H)` `n` columns of `dxw`. */
  readonly drs: Mat | null;
  readonly dnPre: Mat | null;
}

/** Buffers of one scan (one layer, one direction), indexed by time. */
export interface ScanBuffers {
  readonly be: Backend;
  /** Batch size, hidden size, size of the emitted state (projection size, or H). */
  readonly B: number;
  readonly H: number;
  readonly P: number;
  /** Parameter values, and the offsets of `b_hh` and of the LSTM's peepholes `(3, H)` in them (−1 when absent). */
  readonly w: FloatArray;
  readonly bhh: number;
  readonly peep: number;
  /** The cell clip: every gate pre-activation is clamped to [−clip, clip] before its activation (∞ for none). */
  readonly clip: number;
  /** `(T, B, gates·H)`: input-side pre-activations, overwritten with the gate cache. */
  readonly xw: FloatArray;
  /** `(T, B, 3H)` hidden-side pre-activations (GRU reset-after only; otherwise the same array as `xw`). */
  readonly hw: FloatArray;
  /**
   * `(T+1, B, P)` hidden states by slot. Time step `t` reads slot `before(t)`
   * and writes slot `after(t)`: `t → t+1` forwards, `t+1 → t` in reverse.
   */
  readonly hs: FloatArray;
  /** `(T+1, B, H)` cell states by slot (LSTM only). */
  readonly cs: FloatArray | null;
  /** `(T, B, H)` pre-projection outputs `o ⊙ tanh(c)` (LSTM with projection only). */
  readonly ms: FloatArray | null;
  /** `(T, B, H)` the reset states `r ⊙ h₋` that `W_hn` multiplies (GRU reset-before only). */
  readonly rs: FloatArray | null;
  readonly views: StepViews;
}

/** Workspaces of the backward pass of one scan. */
export interface ScanGradBuffers {
  /** Gradient parameters buffer (accumulated into). */
  readonly g: FloatArray;
  /** `(T, B, gates·H)` gradients of the input-side pre-activations. */
  readonly dxw: FloatArray;
  /** `(T, B, gates·H)` gradients of the hidden-side pre-activations (same array as `dxw` unless GRU). */
  readonly dhw: FloatArray;
  /** `(B, P)` total gradient of this step's emitted state. */
  readonly dh: FloatArray;
  /** `(B, P)` gradient of the previous state; the cell writes its direct part. */
  readonly dhPrev: FloatArray;
  /** `(B, H)` cell-state gradient, carried backwards in place (LSTM only). */
  readonly dc: FloatArray | null;
  /** `(B, H)` gradient of the pre-projection output (LSTM with projection only). */
  readonly dm: FloatArray | null;
  /** `(T, B, P)` the step gradients kept for the projection's weight gradient. */
  readonly dhAll: FloatArray | null;
  /** `(B, H)` gradient of `r ⊙ h₋` (GRU reset-before only). */
  readonly drs: FloatArray | null;
  readonly views: StepGradViews;
}

/**
 * The one name of a cell type, used everywhere a cell is chosen by name
 * (layers, RTRL, the character LM, the command line). PyTorch's `mode` strings
 * in lower case: an Elman RNN with tanh or relu, an LSTM or a GRU; and
 * `rnn_leaky_relu`, the Elman RNN with leaky relu (by name alone its slope is
 * the default 0.01; `new RNN({ nonlinearity: 'leaky_relu', negativeSlope })`
 * chooses another).
 */
export type CellType = 'rnn_tanh' | 'rnn_relu' | 'rnn_leaky_relu' | 'lstm' | 'gru';

/**
 * A gate's name, in the order of the weight blocks: LSTM `i f g o`, GRU
 * `r z n` (g and n are tanh candidates, the others sigmoids).
 */
export type GateName = 'i' | 'f' | 'g' | 'o' | 'r' | 'z' | 'n';

export interface CellKind {
  /** Which cell this is. */
  readonly type: CellType;
  /** Module name used in messages: `LSTM`, `GRU`, `RNN`. */
  readonly name: string;
  /** Gates stacked in the weight matrices: 4 (i f g o), 3 (r z n) or 1. */
  readonly gates: number;
  /**
   * The gates whose activations a forward step leaves in `xw[t]` (block
   * `k` of each row holds gate `gateNames[k]`); none for the Elman cell,
   * whose single block is the pre-activation.
   */
  readonly gateNames: readonly GateName[];
  /** Whether the cell carries a cell state `c` (LSTM). */
  readonly hasCellState: boolean;
  /** Whether `b_hh` can be added to the hoisted input projection (false for GRU's reset-after candidate). */
  readonly foldsHiddenBias: boolean;
  /** Whether the hidden-side pre-activations need their own buffer (GRU reset-after). */
  readonly separateHiddenPreactivations: boolean;
  /**
   * The gate blocks, from the first, whose recurrent product reads h₋ itself:
   * all of them but in the GRU with the reset gate before the product (2: its
   * candidate's `W_hn` reads `r ⊙ h₋`, kept in `rs`). The scan backpropagates
   * these blocks through `W_hh` (`dh₋ += dHW W_hh`, `dW_hh += dHWᵀ H₋`); the
   * others' path to h₋ is the cell's, and their weight gradient `dHWᵀ RS`.
   */
  readonly directGates: number;
  /** One step forward: reads `xw[t]`, state slot `before`, writes slot `after` and the caches. */
  stepForward(s: ScanBuffers, t: number, before: number, after: number): void;
  /**
   * One step backward: reads `d.dh` (and `d.dc`), writes `dxw[t]`, `dhw[t]`,
   * the cell-state gradient of `before` into `d.dc`, and the part of the
   * gradient of state `before` that does not pass through the {@link directGates}'
   * rows of `W_hh` into `d.dhPrev`.
   */
  stepBackward(s: ScanBuffers, d: ScanGradBuffers, t: number, before: number, after: number): void;
}

/**
 * `kind` named for a message saying it is not `expected`: its module name, and
 * for the same name what differs (`GRU with the reset gate elsewhere`).
 */
export function otherCellName(kind: CellKind, expected: CellKind): string {
  if (kind.name !== expected.name) return kind.name;
  return `${kind.name} ${kind.type === 'gru' ? 'with the reset gate elsewhere' : 'with another nonlinearity'}`;
}
