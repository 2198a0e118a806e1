/**
 * Training diagnostics of a character model, summarised at each validation
 * over the optimisation steps since the previous one (the interval):
 *
 *   gradientNorm   ‖∇L‖₂ over all parameters before clipping: mean and max
 *   clipRate       fraction of the steps whose gradient was clipped
 *   clipFactor     mean factor min(1, clip / (‖∇L‖ + 1e-6)) of the clipped steps (1 when none was)
 *   saturation     per gate (LSTM i, f, g, o; GRU r, z, n; none for Elman):
 *                  the saturated fraction of its activations (a < 0.1 or
 *                  a > 0.9 for a sigmoid, |a| > 0.9 for tanh), mean over
 *                  layers, time steps and the interval's batches
 *   keepGate       mean activation of the gate that keeps the previous state —
 *                  LSTM's forget gate f (c_t = f ⊙ c_{t−1} + i ⊙ g), GRU's
 *                  update gate z (h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}) — over the
 *                  same; null for the Elman cell
 *   gradientStartToEnd   Σ‖∂L/∂h_0‖ / Σ‖∂L/∂h_{T−1}‖ of the first layer, sums over the interval's steps
 *
 * The last one is not the vanishing ratio (that needs a loss at the last step
 * only, as in `recurrent lab vanishing`). The loss here is at every step:
 * h_{T−1} gets only the gradient of its own prediction, h_0 the gradient of
 * its own plus all that still reaches it from the T − 1 later predictions.
 * Near 1, little arrives from further on (or the contributions cancel);
 * above 1, the start gathers gradient from far away. Local terms differ as
 * well (the first prediction has no context), so read its trend over the
 * run, not its value against 1.
 *
 * Measured with the insight tools (../insight/): {@link watch} on the
 * recurrent stack during each training step, {@link ClipStatistics} for the
 * norms. A trainer without diagnostics creates none of this.
 */
import type { CellType, GateName } from '../cells/cell.js';
import { ClipStatistics } from '../insight/gradient-norms.js';
import { type Probe, watch } from '../insight/probe.js';
import type { CharLM } from './model.js';

/** What the steps of one interval showed (see the module comment). */
export interface TrainingDiagnostics {
  /** Optimisation steps the interval covers. */
  steps: number;
  /** Global L2 norm of the gradient before clipping. */
  gradientNorm: { mean: number; max: number };
  clipRate: number;
  clipFactor: number;
  /** Saturated fraction per gate, in [0, 1]; empty for the Elman cell. */
  saturation: Partial<Record<GateName, number>>;
  /** Mean activation of LSTM's f or GRU's z, in [0, 1]; null for the Elman cell. */
  keepGate: number | null;
  /** Σ‖∂L/∂h_0‖ / Σ‖∂L/∂h_{T−1}‖ of layer 0 (NaN when the end's gradient is 0). */
  gradientStartToEnd: number;
}

/** The gate that keeps the previous state, for a cell type. */
export function keepGateOf(cell: CellType): GateName | null {
  return cell === 'lstm' ? 'f' : cell === 'gru' ? 'z' : null;
}

/** Collects {@link TrainingDiagnostics} step by step; one per interval. */
export class DiagnosticsRecorder {
  private readonly clip = new ClipStatistics();
  /** Per gate: Σ over (step, layer) of the scan's mean saturated fraction over t. */
  private readonly saturated = new Map<GateName, number>();
  private keepSum = 0;
  /** (step, layer) scans summed. */
  private scans = 0;
  private startSum = 0;
  private endSum = 0;
  private readonly keepGate: GateName | null;

  /** `maxNorm` is the clip's threshold (0 = no clipping). */
  constructor(readonly model: CharLM, readonly maxNorm: number) {
    this.keepGate = keepGateOf(model.config.cell);
  }

  /**
   * Runs one training step's forward and backward pass (`pass`, which
   * returns the global gradient norm before clipping) with the recurrent
   * stack watched, and records what it showed. Nothing is recorded if
   * `pass` throws; the stack is unwatched again either way.
   */
  observe<R extends { norm: number }>(pass: () => R): R {
    const probe = watch(this.model.rnn, { gradients: true, gates: true });
    try {
      const result = pass();
      this.add(probe, result.norm);
      return result;
    } finally {
      probe.detach();
    }
  }

  private add(probe: Probe, norm: number): void {
    this.clip.add(norm, this.maxNorm > 0 ? this.maxNorm : Infinity);
    for (const record of probe.records) {
      this.scans++;
      for (const g of record.gates) {
        this.saturated.set(g.gate, (this.saturated.get(g.gate) ?? 0) + meanOf(g.saturated));
        if (g.gate === this.keepGate) this.keepSum += meanOf(g.mean);
      }
      if (record.layer === 0 && record.gradH) {
        this.startSum += record.gradH[0] as number;
        this.endSum += record.gradH[record.T - 1] as number;
      }
    }
  }

  /** The interval's diagnostics, or null when it has no step. */
  summary(): TrainingDiagnostics | null {
    const c = this.clip.summary();
    if (c.steps === 0) return null;
    const saturation: Partial<Record<GateName, number>> = {};
    for (const [gate, sum] of this.saturated) saturation[gate] = sum / this.scans;
    return {
      steps: c.steps,
      gradientNorm: { mean: c.meanNorm, max: c.maxNorm },
      clipRate: c.clipRate,
      clipFactor: c.meanFactorWhenClipped,
      saturation,
      keepGate: this.keepGate ? this.keepSum / this.scans : null,
      gradientStartToEnd: this.endSum > 0 ? this.startSum / this.endSum : NaN,
    };
  }

  /** Starts the next interval. */
  reset(): void {
    this.clip.reset();
    this.saturated.clear();
    this.keepSum = this.scans = this.startSum = this.endSum = 0;
  }
}

function meanOf(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
