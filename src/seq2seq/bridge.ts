/**
 * The bridge from the encoder's final states to the decoder's initial ones.
 *
 * One direction: the final states are passed on as they are, layer by
 * layer (h, and c for an LSTM):  s_0^l = h_N^l.
 * Bidirectional: each layer's two final states are joined and projected
 * (Bahdanau et al. 2015 initialise from the backward state alone; joining
 * both is the common variant):
 *
 *   s_0^l = tanh(W_h [h_fwd^l ; h_bwd^l] + b_h)        c_0^l = tanh(W_c [c_fwd^l ; c_bwd^l] + b_c)   (LSTM)
 *
 * Shapes: hN, cN (numLayers·2, B, H) in PyTorch's order (layer-major,
 * forward then backward) → h0, c0 (numLayers, B, H). The projection is
 * shared by the layers. Parameters (bidirectional only): `hidden.weight`
 * (H, 2H), `hidden.bias` (H), and for an LSTM `cell.weight`, `cell.bias` —
 * `nn.Linear(2H, H)` each, under the prefix given (`bridge.`).
 */
import { tanh } from '../autograd/activations.js';
import { concat, slice } from '../autograd/ops.js';
import type { Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import { Linear } from '../layers/linear.js';
import type { ParameterStore } from '../params.js';

export interface BridgeOptions {
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Whether there is a cell state to carry over (LSTM). */
  hasCellState: boolean;
  params: ParameterStore;
  prefix: string;
  /** The hidden projection is seeded with `seed`, the cell one with `seed + 1`. */
  seed: number;
  backend: Backend;
}

/** Initial decoder states: (numLayers, B, H) each. */
export interface BridgedState {
  h: Variable;
  c: Variable | null;
}

export class Bridge {
  /** The projections (bidirectional encoders only). */
  readonly hidden: Linear | null = null;
  readonly cell: Linear | null = null;

  constructor(private readonly o: BridgeOptions) {
    if (!o.bidirectional) return;
    const H = o.hiddenSize;
    const common = { inFeatures: 2 * H, outFeatures: H, params: o.params, backend: o.backend };
    this.hidden = new Linear({ ...common, prefix: `${o.prefix}hidden.`, seed: o.seed });
    if (o.hasCellState) this.cell = new Linear({ ...common, prefix: `${o.prefix}cell.`, seed: o.seed + 1 });
  }

  apply(hN: Variable, cN: Variable | null): BridgedState {
    if (!this.hidden) return { h: hN, c: cN };
    const h = tanh(this.hidden.apply(this.joinDirections(hN)));
    const c = this.cell && cN ? tanh(this.cell.apply(this.joinDirections(cN))) : null;
    return { h, c };
  }

  /** (L·2, B, H) → (L, B, 2H): each layer's forward and backward state side by side. */
  private joinDirections(states: Variable): Variable {
    const layers: Variable[] = [];
    for (let l = 0; l < this.o.numLayers; l++) {
      layers.push(concat([slice(states, 0, 2 * l, 2 * l + 1), slice(states, 0, 2 * l + 1, 2 * l + 2)], 2));
    }
    return layers.length === 1 ? (layers[0] as Variable) : concat(layers, 0);
  }
}
