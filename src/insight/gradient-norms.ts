/**
 * Gradient norms per parameter, and what clipping did to them.
 *
 *   ‖∇_W L‖₂ = √(Σᵢ gᵢ²) for each parameter W,   the global norm √(Σ_W ‖∇_W L‖₂²)
 *
 * {@link ClipStatistics} collects, over training steps, the global norm before
 * clipping by the global L2 norm and how often and how much the clip cut it:
 * the factor min(1, maxNorm / (‖g‖ + 1e-6)) of `clipGradNorm`.
 */
import type { ParameterStore } from '../params.js';

/** One parameter's gradient norm. */
export interface ParameterGradientNorm {
  readonly name: string;
  readonly norm: number;
}

/** Gradient norms of every parameter of a store (or of a model's store), and the global norm. Sums in float64. */
export function gradientNorms(source: ParameterStore | { readonly params: ParameterStore }): { parameters: ParameterGradientNorm[]; global: number } {
  const store = 'params' in source ? source.params : source;
  const g = store.grad;
  let total = 0;
  const parameters = store.names().map((name) => {
    const r = store.ref(name);
    let ss = 0;
    for (let i = r.offset; i < r.offset + r.size; i++) ss += (g[i] as number) ** 2;
    total += ss;
    return { name, norm: Math.sqrt(ss) };
  });
  return { parameters, global: Math.sqrt(total) };
}

/** What {@link ClipStatistics.summary} reports for the steps since the last reset. */
export interface ClipSummary {
  /** Steps recorded. */
  readonly steps: number;
  /** Steps whose global norm was cut. */
  readonly clipped: number;
  /** clipped / steps (NaN with no steps). */
  readonly clipRate: number;
  /** Mean and largest global norm before clipping. */
  readonly meanNorm: number;
  readonly maxNorm: number;
  /** Mean factor the gradient was multiplied by on the steps that were cut (1 when none was). */
  readonly meanFactorWhenClipped: number;
}

/** Collects the global gradient norm before clipping, step by step. */
export class ClipStatistics {
  private steps = 0;
  private clipped = 0;
  private sumNorm = 0;
  private largest = 0;
  private sumFactor = 0;

  /**
   * Records one step: `norm` is the global norm before clipping (what
   * `clipGradNorm` returns), `maxNorm` the clip's threshold (Infinity: none).
   */
  add(norm: number, maxNorm = Infinity): void {
    this.steps++;
    this.sumNorm += norm;
    if (norm > this.largest || norm !== norm) this.largest = norm;
    const factor = maxNorm / (norm + 1e-6);
    if (factor < 1) {
      this.clipped++;
      this.sumFactor += factor;
    }
  }

  summary(): ClipSummary {
    const { steps, clipped } = this;
    return {
      steps, clipped,
      clipRate: steps > 0 ? clipped / steps : NaN,
      meanNorm: steps > 0 ? this.sumNorm / steps : NaN,
      maxNorm: steps > 0 ? this.largest : NaN,
      meanFactorWhenClipped: clipped > 0 ? this.sumFactor / clipped : 1,
    };
  }

  /** Starts a new window. */
  reset(): void {
    this.steps = this.clipped = this.sumNorm = this.largest = this.sumFactor = 0;
  }
}
