/**
 * Singular values of the recurrent weights. The gradient through one step of
 * an Elman RNN is ∂h_t/∂h_{t−1} = diag(act′) W_hh, so ‖∂h_t/∂h_{t−k}‖ ≤
 * (γ σ₁)^k with σ₁ = ‖W_hh‖₂ and γ the bound of act′: σ₁ < 1/γ is sufficient
 * for vanishing gradients, σ₁ > 1/γ necessary for exploding ones (Pascanu,
 * Mikolov & Bengio 2013). For gated cells each gate's block of `weight_hh`
 * is reported on its own.
 *
 * Computed in float64 by one-sided Jacobi rotations (Hestenes 1958): the
 * columns of A are rotated pairwise until orthogonal; their norms are then
 * the singular values.
 */
import type { GateName } from '../cells/cell.js';
import type { CellModule } from '../layers/cell-module.js';
import type { RecurrentLayer } from '../layers/stack.js';

/** The singular values of one block of a recurrent weight matrix. */
export interface WeightSpectrum {
  /** The parameter's name in its store, e.g. `weight_hh_l0_reverse` or `rnn.weight_hh_l1`. */
  readonly parameter: string;
  readonly layer: number;
  readonly direction: 0 | 1;
  /** The gate whose rows these are, or null for the Elman cell's single block. */
  readonly gate: GateName | null;
  /** Descending. */
  readonly singularValues: Float64Array;
}

/**
 * Singular values of the `rows × cols` row-major matrix at `a[offset…]`,
 * descending, in float64 (min(rows, cols) of them).
 */
export function singularValues(a: ArrayLike<number>, rows: number, cols: number, offset = 0): Float64Array {
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
    throw new Error(`singularValues: expected positive integer sizes, got ${rows} × ${cols}`);
  }
  if (a.length < offset + rows * cols) throw new Error(`singularValues: expected ${rows * cols} values at offset ${offset}, the array holds ${a.length}`);
  // Work on the columns of the taller orientation: n = min(rows, cols) columns of length m.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const transpose = rows < cols;
  const col = new Float64Array(n * m); // column j at [j·m, (j+1)·m)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = a[offset + r * cols + c] as number;
      if (!Number.isFinite(v)) throw new Error(`singularValues: element (${r}, ${c}) is ${v}`);
      if (transpose) col[r * m + c] = v;
      else col[c * m + r] = v;
    }
  }
  const eps = 1e-15;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const P = p * m;
        const Q = q * m;
        for (let i = 0; i < m; i++) {
          const x = col[P + i] as number;
          const y = col[Q + i] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that makes columns p and q orthogonal.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = col[P + i] as number;
          const y = col[Q + i] as number;
          col[P + i] = c * x - s * y;
          col[Q + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += (col[j * m + i] as number) ** 2;
    out[j] = Math.sqrt(ss);
  }
  return out.sort().reverse();
}

/** The largest singular value, ‖A‖₂. */
export function spectralNorm(a: ArrayLike<number>, rows: number, cols: number, offset = 0): number {
  return singularValues(a, rows, cols, offset)[0] as number;
}

/**
 * The singular values of each gate block of every `weight_hh` of a layer (or
 * of a cell's `weight_hh`): per layer, direction and gate, in that order.
 */
export function recurrentSpectra(module: RecurrentLayer | CellModule): WeightSpectrum[] {
  const kind = module.cell;
  const H = module.hiddenSize;
  const stack = 'numLayers' in module;
  const layers = stack ? module.numLayers : 1;
  const directions = stack ? module.directions : 1;
  const P = stack ? module.outputSize : H;
  const out: WeightSpectrum[] = [];
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < directions; d++) {
      const parameter = `${module.prefix}weight_hh${stack ? `_l${l}${d === 1 ? '_reverse' : ''}` : ''}`;
      const w = module.params.value(parameter).data;
      for (let k = 0; k < kind.gates; k++) {
        out.push({
          parameter, layer: l, direction: d === 1 ? 1 : 0,
          gate: kind.gateNames[k] ?? null,
          singularValues: singularValues(w, H, P, k * H * P),
        });
      }
    }
  }
  return out;
}
