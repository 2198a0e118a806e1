/**
 * Gate statistics per time step: how open each gate is on average, and how
 * often it is saturated — pinned near a limit, where its derivative (and so
 * the gradient through it) nearly vanishes:
 *
 *   sigmoid gate a ∈ (0, 1):  saturated when a < θ or a > 1 − θ
 *   tanh candidate a ∈ (−1, 1):  saturated when |a| > 1 − θ
 *
 * over the rows active at the step and all H units (θ = 0.1 by default, the
 * thresholds of Karpathy, Johnson & Fei-Fei 2015). The activations are read
 * from the gate cache a forward scan leaves behind (LSTM i, f, g, o; GRU r,
 * z, n); the Elman cell has no gates.
 */
import type { GateName } from '../cells/cell.js';
import type { ScanCache } from '../layers/scan.js';

/** One gate's statistics over the steps of one scan. */
export interface GateStatistics {
  readonly gate: GateName;
  /** `(T)` mean activation at each step. */
  readonly mean: Float64Array;
  /** `(T)` fraction of saturated activations at each step, in [0, 1]. */
  readonly saturated: Float64Array;
}

/** The default saturation threshold θ. */
export const SATURATION_THRESHOLD = 0.1;

/** Whether a gate is a tanh candidate (g, n) rather than a sigmoid. */
export function isCandidate(gate: GateName): boolean {
  return gate === 'g' || gate === 'n';
}

/** Statistics of every gate of a scan that has run forward (its gate cache intact). */
export function gateStatistics(cache: ScanCache, threshold = SATURATION_THRESHOLD): GateStatistics[] {
  if (!(threshold > 0 && threshold < 0.5)) throw new Error(`gateStatistics: threshold must be in (0, 0.5), got ${String(threshold)}`);
  const { kind, T, B, H, lengths, xw } = cache;
  const G = kind.gates * H;
  return kind.gateNames.map((gate, k) => {
    const mean = new Float64Array(T);
    const saturated = new Float64Array(T);
    const candidate = isCandidate(gate);
    for (let t = 0; t < T; t++) {
      let sum = 0;
      let count = 0;
      let rows = 0;
      for (let b = 0; b < B; b++) {
        if (lengths && t >= (lengths[b] as number)) continue;
        rows++;
        const from = (t * B + b) * G + k * H;
        for (let j = 0; j < H; j++) {
          const a = xw[from + j] as number;
          sum += a;
          if (candidate ? Math.abs(a) > 1 - threshold : a < threshold || a > 1 - threshold) count++;
        }
      }
      const n = rows * H;
      mean[t] = n > 0 ? sum / n : NaN;
      saturated[t] = n > 0 ? count / n : NaN;
    }
    return { gate, mean, saturated };
  });
}
