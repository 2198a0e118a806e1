/**
 * How fast a gradient fades with distance: given g(k) = ‖∂L_T/∂h_{T−k}‖ for
 * k = 0, 1, …, fit ln g(k) = a + k ln ρ by least squares. ρ is the decay per
 * step (ρ < 1 vanishes, ρ > 1 explodes): after k steps the gradient is about
 * ρ^k of what it was. Points where g is 0 or not finite (underflow, overflow)
 * are left out.
 */

export interface DecayFit {
  /** ln ρ, the slope of ln g against distance. */
  readonly logRate: number;
  /** ρ = e^{slope}: the factor per step. */
  readonly rate: number;
  /** a: the fitted ln g(0). */
  readonly intercept: number;
  /** Points used by the fit. */
  readonly points: number;
}

/**
 * Least-squares fit of ln g(k) against k over `g[from…to)` (default the
 * whole array).
 * @throws when fewer than two points are usable.
 */
export function fitDecay(g: ArrayLike<number>, from = 0, to = g.length): DecayFit {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let k = from; k < to; k++) {
    const v = g[k] as number;
    if (!(v > 0 && Number.isFinite(v))) continue;
    const y = Math.log(v);
    n++;
    sx += k;
    sy += y;
    sxx += k * k;
    sxy += k * y;
  }
  if (n < 2) throw new Error(`fitDecay: needs at least two positive finite norms, got ${n}`);
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  return { logRate: slope, rate: Math.exp(slope), intercept, points: n };
}

/**
 * The norms by distance from the end, g(k) = norms[T−1−k], of a per-step
 * series (e.g. a probe's gradH for a forward scan with the loss at the last step).
 */
export function byDistanceFromEnd(norms: ArrayLike<number>): Float64Array {
  const T = norms.length;
  const out = new Float64Array(T);
  for (let k = 0; k < T; k++) out[k] = norms[T - 1 - k] as number;
  return out;
}
