/**
 * How a layer can be watched: an observer is told about every scan a forward
 * call runs (its cache then holds the states and the gate activations of all
 * steps) and may ask to be told, during that scan's backward pass, the
 * gradient of each step's state. A layer without an observer makes no call
 * and keeps nothing more: watching costs nothing when it is off.
 *
 * The observer lives above the layers (`insight/probe.ts` implements it);
 * this file is the only thing the layers know of it.
 */
import type { FloatArray } from '../tensor.js';
import type { ScanCache } from './scan.js';

/** Which scan of a layer: its layer index in the stack and its direction. */
export interface ScanPosition {
  /** The layer's index in its stack (0 for a cell). */
  readonly layer: number;
  /** 0 forwards in time, 1 backwards (the `_reverse` parameters). */
  readonly direction: 0 | 1;
}

/**
 * Called by the backward scan at step `t`, after the step's total state
 * gradient is assembled and before the cell's backward runs:
 * @param dh `(B, P)` ∂L/∂h_t, the total gradient of the state step `t` emitted.
 * @param dcCarry `(B, H)` the cell-state gradient carried from the step after
 *   (LSTM; ∂L/∂c_t minus what reaches c_t through h_t), else null.
 * Both buffers are reused: read them now.
 */
export type BackwardStepObserver = (t: number, dh: FloatArray, dcCarry: FloatArray | null) => void;

export interface LayerObserver {
  /**
   * One scan of a forward call has run. Read what is wanted from `cache` now
   * (under `noGrad` its buffers are reused by the next call). Returns the
   * observer of that scan's backward steps, or null.
   */
  scanned(position: ScanPosition, cache: ScanCache): BackwardStepObserver | null;
}
