/**
 * The stack: layers × directions of scans, with PyTorch's options, names and
 * shapes. {@link RNN}, {@link LSTM} and {@link GRU} are this class with a cell.
 *
 * Shapes (T = time, B = batch, D = 2 if bidirectional else 1,
 * P = projSize or hiddenSize):
 *   input   (T, B, inputSize), (B, T, inputSize) with batchFirst, or (T, inputSize) unbatched
 *   output  (T, B, D·P) / (B, T, D·P) / (T, D·P)
 *   h0, hN  (numLayers·D, B, P)   — (numLayers·D, P) unbatched
 *   c0, cN  (numLayers·D, B, H)   — LSTM only
 * Layer l > 0 takes layer l−1's output (D·P wide), after dropout in training.
 *
 * Memory: the caches a forward call keeps for backward (the scans' states
 * and gates, the layer inputs) are allocated by the backend — in its own
 * memory for the WebAssembly backend — and handed back after the backward
 * pass of {@link RecurrentLayer.apply}, or by {@link RecurrentLayer.release}
 * (else when the context is garbage-collected). Under `noGrad` a forward
 * call keeps nothing: it reuses the layer's inference buffers from one call
 * to the next (a batch-1 step allocates only its three small outputs) and
 * returns a context that cannot be backpropagated. Outputs and gradients
 * returned to the caller are ordinary arrays.
 *
 * Parameters per layer k and direction (suffix `_reverse` for the backward one):
 *   weight_ih_l{k} (g·H, in), weight_hh_l{k} (g·H, P), bias_ih_l{k}, bias_hh_l{k} (g·H), weight_hr_l{k} (P, H),
 *   weight_peep_l{k} (3, H) (LSTM with peepholes: rows p_i, p_f, p_o)
 */
import { isGradEnabled, record, type Variable } from '../autograd/variable.js';
import { cellClip } from './cell-clip.js';
import { type CellKind, otherCellName } from '../cells/cell.js';
import { defaultRecurrentInit } from '../init.js';
import { Module, type ModuleOptions } from '../module.js';
import { allocate, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';
import { checkFinite, checkLengths, checkShape, checkTensor } from '../checks.js';
import type { BackwardStepObserver, LayerObserver } from './observer.js';
import {
  emitOutputs, finalSlot, releaseScan, type ScanCache, type ScanWeights, scanBackward, scanForward, Workspace,
} from './scan.js';

export interface RecurrentOptions extends ModuleOptions {
  /** Features of the input at each time step (I): the last dimension of `input`. */
  inputSize: number;
  /** Features of the hidden state h (H), and of the cell state c of an LSTM. */
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Whether the layers have `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Input and output as (B, T, F) instead of (T, B, F) (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Run a second scan backwards in time and concatenate (default false). */
  bidirectional?: boolean;
  /** The cell clip: gate pre-activations clamped to [−clip, clip] (a positive number; default none). */
  clip?: number;
}

/** Parameters only some LSTMs have (see {@link RecurrentLayer}'s constructor). */
export interface LSTMParameters {
  /** Size of the projected hidden state (0: none). */
  projSize?: number;
  /** Whether the gates see the cell state through peepholes `weight_peep_l{k}` (3, H). */
  peepholes?: boolean;
}

/** The option keys of every recurrent layer (a concrete layer may add its own). */
const RECURRENT_OPTION_KEYS: readonly string[] = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'clip'];

/** Optional inputs of {@link RecurrentLayer.forward}. */
export interface RecurrentState {
  /** Initial hidden state `(numLayers·D, B, P)`; zeros when omitted. */
  h0?: Tensor | null;
  /** Per-sequence lengths in [1, T] (any order), PackedSequence semantics. */
  lengths?: ArrayLike<number> | null;
}

/** Optional inputs of {@link LSTM.forward}: also the initial cell state. */
export interface LSTMState extends RecurrentState {
  /** Initial cell state `(numLayers·D, B, H)`; zeros when omitted. */
  c0?: Tensor | null;
}

/** What {@link RecurrentLayer.backward} needs from a forward call. */
export interface RecurrentContext {
  readonly T: number;
  readonly B: number;
  readonly batched: boolean;
  readonly caches: ScanCache[];
  /** Dropout masks (scaled by 1/(1−p)) applied to layer l's output, per layer, or null. */
  readonly masks: (FloatArray | null)[];
  /** Layer inputs kept for backward (in the backend's memory), released with the caches. */
  readonly owned: FloatArray[];
  /** Set once the caches are handed back (see {@link RecurrentLayer.release}); backward is then refused. */
  released: boolean;
  /** Per scan, what the layer's observer asked to be told during backward (absent when unobserved). */
  readonly observers?: (BackwardStepObserver | null)[];
}

/** Optional inputs of {@link RecurrentLayer.apply}: states as variables on the tape. */
export interface RecurrentApplyState {
  h0?: Variable | null;
  lengths?: ArrayLike<number> | null;
}

export interface LSTMApplyState extends RecurrentApplyState {
  c0?: Variable | null;
}

/** Outputs of {@link RecurrentLayer.apply} as variables on the tape. */
export interface RecurrentApplyOutput {
  /** `(T, B, D·P)` (or `(B, T, D·P)` with batchFirst): the last layer's states at every step. */
  output: Variable;
  /** `(numLayers·D, B, P)`: every layer's final hidden state. */
  hN: Variable;
}

export interface LSTMApplyOutput extends RecurrentApplyOutput {
  /** `(numLayers·D, B, H)`: every layer's final cell state. */
  cN: Variable;
}

export interface RecurrentOutput {
  /** `(T, B, D·P)` (or `(B, T, D·P)` with batchFirst): the last layer's states at every step. */
  output: Tensor;
  /** `(numLayers·D, B, P)`: every layer's final hidden state. */
  hN: Tensor;
  /** Pass to `backward`. */
  ctx: RecurrentContext;
}

export interface LSTMOutput extends RecurrentOutput {
  /** `(numLayers·D, B, H)`: every layer's final cell state. */
  cN: Tensor;
}

/** Gradients flowing into {@link RecurrentLayer.backward}; omitted ones are zero. */
export interface RecurrentGradients {
  dOutput?: Tensor | null;
  dhN?: Tensor | null;
}

export interface LSTMGradients extends RecurrentGradients {
  dcN?: Tensor | null;
}

export interface RecurrentInputGradients {
  dInput: Tensor;
  dh0: Tensor;
}

export interface LSTMInputGradients extends RecurrentInputGradients {
  dc0: Tensor;
}

/**
 * The types of a layer's inputs and results, by cell: an LSTM's results carry
 * the cell state (`cN`, `dc0`), an RNN's or GRU's none.
 */
export interface LayerSignature {
  state: RecurrentState;
  output: RecurrentOutput;
  gradients: RecurrentGradients;
  inputGradients: RecurrentInputGradients;
  applyState: RecurrentApplyState;
  applyOutput: RecurrentApplyOutput;
}

/** {@link RNN} and {@link GRU}. */
export interface ElmanOrGRUSignature extends LayerSignature {}

/** {@link LSTM}. */
export interface LSTMSignature extends LayerSignature {
  state: LSTMState;
  output: LSTMOutput;
  gradients: LSTMGradients;
  inputGradients: LSTMInputGradients;
  applyState: LSTMApplyState;
  applyOutput: LSTMApplyOutput;
}

/** A layer whose cell is not known statically: the cell state is there for an LSTM only. */
export interface AnyCellSignature extends LayerSignature {
  state: LSTMState;
  output: RecurrentOutput & Partial<Pick<LSTMOutput, 'cN'>>;
  gradients: LSTMGradients;
  inputGradients: RecurrentInputGradients & Partial<Pick<LSTMInputGradients, 'dc0'>>;
  applyState: LSTMApplyState;
  applyOutput: RecurrentApplyOutput & Partial<Pick<LSTMApplyOutput, 'cN'>>;
}

type AnyOutput = AnyCellSignature['output'];
type AnyInputGradients = AnyCellSignature['inputGradients'];

export class RecurrentLayer<S extends LayerSignature = AnyCellSignature> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Emitted state size: projSize when set, else hiddenSize. */
  readonly outputSize: number;
  readonly projSize: number;
  /** Whether the gates see the cell state (LSTM with peepholes). */
  readonly peepholes: boolean;
  /** The cell clip (∞: none). */
  readonly clip: number;
  private readonly weights: ScanWeights[] = [];
  /** Buffers reused by forward calls under noGrad: the layer's own, and one set per scan. */
  private inference: Workspace | null = null;
  private readonly scanInference: Workspace[] = [];
  /** Told about every scan of every forward call, and their backward steps (see {@link observe}). */
  private observer: LayerObserver | null = null;

  constructor(
    protected readonly kind: CellKind,
    moduleName: string,
    options: RecurrentOptions,
    optionKeys: readonly string[] = [],
    { projSize = 0, peepholes = false }: LSTMParameters = {},
  ) {
    super(moduleName, options, [...RECURRENT_OPTION_KEYS, ...optionKeys]);
    const m = moduleName;
    const positiveInt = (name: string, v: unknown): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${m}: ${name} must be a positive integer, got ${String(v)}`);
      return v;
    };
    this.inputSize = positiveInt('inputSize', options.inputSize);
    this.hiddenSize = positiveInt('hiddenSize', options.hiddenSize);
    this.numLayers = positiveInt('numLayers', options.numLayers ?? 1);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    this.dropout = options.dropout ?? 0;
    this.clip = cellClip(m, options.clip);
    if (typeof this.dropout !== 'number' || !(this.dropout >= 0 && this.dropout <= 1)) {
      throw new Error(`${m}: dropout must be a probability in [0, 1], got ${String(options.dropout)}`);
    }
    if (!Number.isInteger(projSize) || projSize < 0) throw new Error(`${m}: projSize must be a non-negative integer, got ${projSize}`);
    if (projSize >= this.hiddenSize) throw new Error(`${m}: projSize (${projSize}) must be smaller than hiddenSize (${this.hiddenSize})`);
    this.projSize = projSize;
    if (typeof peepholes !== 'boolean') throw new Error(`${m}: peepholes must be true or false, got ${String(peepholes)}`);
    this.peepholes = peepholes;
    this.outputSize = projSize > 0 ? projSize : this.hiddenSize;

    const G = kind.gates * this.hiddenSize;
    const D = this.directions;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : D * this.outputSize;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = this.addParameter(`weight_ih${sfx}`, [G, inSize]);
        const whh = this.addParameter(`weight_hh${sfx}`, [G, this.outputSize]);
        const bih = this.bias ? this.addParameter(`bias_ih${sfx}`, [G]) : -1;
        const bhh = this.bias ? this.addParameter(`bias_hh${sfx}`, [G]) : -1;
        const whr = projSize > 0 ? this.addParameter(`weight_hr${sfx}`, [projSize, this.hiddenSize]) : -1;
        const peep = peepholes ? this.addParameter(`weight_peep${sfx}`, [3, this.hiddenSize]) : -1;
        this.weights.push({ wih, whh, bih, bhh, whr, peep, clip: this.clip });
      }
    }
    defaultRecurrentInit(this.params, this.rng, this.hiddenSize, this.parameterNames);
    // Weights in the backend's memory: its kernels then read them in place.
    this.params.placeIn(this.backend);
  }

  /** 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The cell this layer runs. */
  get cell(): CellKind {
    return this.kind;
  }

  /**
   * Watches this layer (`insight/probe.ts` does it for you): from now on
   * every forward call tells `observer` about each of its scans, and each
   * backward pass about each step's state gradient. `null` stops watching.
   * Returns the observer it replaces.
   */
  observe(observer: LayerObserver | null): LayerObserver | null {
    const before = this.observer;
    this.observer = observer;
    return before;
  }

  /**
   * Runs the whole stack over a sequence. Under `noGrad` the returned
   * `ctx` cannot be backpropagated (nothing was kept for it).
   */
  forward(input: Tensor, state: S['state'] = {}): S['output'] {
    const m = this.moduleName;
    const keep = isGradEnabled();
    const be = this.backend;
    const dtype = this.dtype;
    const ws = keep ? null : (this.inference ??= new Workspace(be));
    const { T, B, batched, x } = this.readInput(input, ws);
    const D = this.directions;
    const L = this.numLayers;
    const H = this.hiddenSize;
    const P = this.outputSize;
    const h0 = this.readState('h0', state.h0, B, P, batched);
    const c0State = (state as LSTMState).c0;
    const c0 = this.kind.hasCellState ? this.readState('c0', c0State, B, H, batched) : null;
    if (!this.kind.hasCellState && c0State) throw new Error(`${m}: c0 is only for LSTM`);
    const lengths = state.lengths == null ? null : checkLengths(m, state.lengths, B, T);

    const caches: ScanCache[] = [];
    const observer = this.observer;
    const observers: (BackwardStepObserver | null)[] = [];
    const masks: (FloatArray | null)[] = [];
    const owned: FloatArray[] = keep ? [x] : [];
    // Buffers of the layers' outputs that feed the next layer: the backend's (kept or reused).
    const internal = (slot: number, n: number): FloatArray => {
      if (ws) return ws.get(slot, dtype, n);
      const a = be.allocate(dtype, n);
      owned.push(a);
      return a;
    };
    let layerInput = x;
    let inSize = this.inputSize;
    let y = layerInput;
    for (let l = 0; l < L; l++) {
      // The last layer's output goes to the caller: an ordinary array.
      y = l === L - 1 ? allocate(dtype, T * B * D * P) : internal(1 + 2 * l, T * B * D * P);
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const cache = scanForward(
          this.kind, be, this.params.data, this.weights[k] as ScanWeights,
          T, B, inSize, H, P, layerInput, h0, k * B * P, c0, k * B * H, lengths, d === 1,
          ws ? (this.scanInference[k] ??= new Workspace(be)) : null,
        );
        emitOutputs(cache, y, D * P, d * P);
        caches.push(cache);
        if (observer) observers.push(observer.scanned({ layer: l, direction: d === 1 ? 1 : 0 }, cache));
      }
      const mask = l < L - 1 && this.training && this.dropout > 0 ? this.dropoutMask(T * B * D * P) : null;
      masks.push(mask);
      if (mask) {
        const dropped = internal(2 + 2 * l, y.length);
        for (let i = 0; i < y.length; i++) dropped[i] = (y[i] as number) * (mask[i] as number);
        layerInput = dropped;
      } else {
        layerInput = y;
      }
      inSize = D * P;
    }

    const hN = allocate(dtype, L * D * B * P);
    const cN = this.kind.hasCellState ? allocate(dtype, L * D * B * H) : null;
    caches.forEach((cache, k) => {
      const slot = finalSlot(cache);
      hN.set(cache.hs.subarray(slot * B * P, (slot + 1) * B * P), k * B * P);
      if (cN && cache.cs) cN.set(cache.cs.subarray(slot * B * H, (slot + 1) * B * H), k * B * H);
    });
    const stateShape = (width: number): number[] => (batched ? [L * D, B, width] : [L * D, width]);
    const ctx: RecurrentContext = keep
      ? { T, B, batched, caches, masks, owned, released: false, ...(observer ? { observers } : {}) }
      : { T, B, batched, caches: [], masks: [], owned: [], released: true };
    const result: AnyOutput = {
      output: this.writeSequence(y, T, B, D * P, batched),
      hN: { data: hN, shape: stateShape(P) },
      ctx,
    };
    if (cN) result.cN = { data: cN, shape: stateShape(H) };
    return result as S['output'];
  }

  /**
   * Hands the caches of a forward call back to the backend now, instead of
   * when `ctx` is garbage-collected; `ctx` can no longer be backpropagated.
   * (`apply` does this itself after its backward pass.)
   */
  release(ctx: RecurrentContext): void {
    if (ctx.released) return;
    ctx.released = true;
    for (const c of ctx.caches) releaseScan(c);
    for (const b of ctx.owned) this.backend.release(b);
  }

  /**
   * Backpropagation through time for a forward call: accumulates every
   * parameter's gradient into `params.grad` and returns the gradients of the
   * input and the initial states.
   */
  backward(ctx: RecurrentContext, grads: S['gradients'] = {}): S['inputGradients'] {
    return this.backprop(ctx, grads, true) as S['inputGradients'];
  }

  /** {@link backward}, skipping the input's gradient (`dInput` null) when `needInput` is false. */
  private backprop(ctx: RecurrentContext, grads: LSTMGradients, needInput: boolean): Omit<AnyInputGradients, 'dInput'> & { dInput: Tensor | null } {
    const m = this.moduleName;
    if (!ctx || typeof ctx !== 'object' || !Array.isArray(ctx.caches) || !Array.isArray(ctx.masks)) {
      throw new TypeError(`${m}.backward: ctx must be the ctx returned by forward`);
    }
    if (ctx.released) {
      throw new Error(`${m}.backward: this ctx was released (forward ran under noGrad, or its caches were handed back by release() or apply's backward pass); run forward again`);
    }
    const { T, B, batched, caches, masks } = ctx;
    const D = this.directions;
    const L = this.numLayers;
    const H = this.hiddenSize;
    const P = this.outputSize;
    const mismatch = this.ctxMismatch(ctx);
    if (mismatch) throw new Error(`${m}.backward: ctx does not come from a forward call of this module (${mismatch})`);
    const be = this.backend;
    const dtype = this.dtype;
    const stateShape = (width: number): number[] => (batched ? [L * D, B, width] : [L * D, width]);

    let dy: FloatArray | null = null;
    if (grads.dOutput) {
      const outShape = !batched ? [T, D * P] : this.batchFirst ? [B, T, D * P] : [T, B, D * P];
      dy = this.readSequence('dOutput', grads.dOutput, outShape, T, B, D * P, batched);
    }
    const dhN = grads.dhN ? this.readGrad('dhN', grads.dhN, stateShape(P)) : null;
    const dcN = grads.dcN ? this.readGrad('dcN', grads.dcN, stateShape(H)) : null;
    if (dcN && !this.kind.hasCellState) throw new Error(`${m}.backward: dcN is only for LSTM`);

    const dh0 = allocate(dtype, L * D * B * P);
    const dc0 = this.kind.hasCellState ? allocate(dtype, L * D * B * H) : null;
    let dx: FloatArray | null = null;
    for (let l = L - 1; l >= 0; l--) {
      const inSize = l === 0 ? this.inputSize : D * P;
      dx = l > 0 || needInput ? be.allocate(dtype, T * B * inSize) : null;
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        scanBackward(
          caches[k] as ScanCache, this.params.grad, dy, D * P, d * P,
          dhN, k * B * P, dcN, k * B * H, dx, dh0, k * B * P, dc0, k * B * H, ctx.observers?.[k] ?? null,
        );
      }
      const mask = l > 0 ? masks[l - 1] : null;
      if (mask && dx) for (let i = 0; i < dx.length; i++) dx[i] = (dx[i] as number) * (mask[i] as number);
      if (dy) be.release(dy); // this call's own copies (readSequence, then each layer's dx)
      dy = dx;
    }
    const dInput = dx ? this.writeSequence(dx, T, B, this.inputSize, batched, true) : null;
    if (dx) be.release(dx);
    const result: Omit<AnyInputGradients, 'dInput'> & { dInput: Tensor | null } = {
      dInput,
      dh0: { data: dh0, shape: stateShape(P) },
    };
    if (dc0) result.dc0 = { data: dc0, shape: stateShape(H) };
    return result;
  }

  /**
   * The layer as one node of the autograd tape: `forward` now, `backward`
   * when the loss is backpropagated. Gradients reach `x`, `h0` and `c0` if
   * they are tracked, and the parameters' `grad` buffer always. The caches
   * are handed back to the backend right after the backward pass.
   */
  apply(x: Variable, state: S['applyState'] = {}): S['applyOutput'] {
    const { h0 } = state;
    const c0 = (state as LSTMApplyState).c0;
    const out: AnyOutput = this.forward(x.value, { h0: h0?.value ?? null, c0: c0?.value ?? null, lengths: state.lengths ?? null } as S['state']);
    const inputs = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
    const outputs = [out.output, out.hN, ...(out.cN ? [out.cN] : [])];
    const vars = record(this.moduleName, inputs, outputs, ([dOutput, dhN, dcN]) => {
      const shaped = (g: FloatArray | null | undefined, like: Tensor): Tensor | null => (g ? { data: g, shape: like.shape } : null);
      const g = this.backprop(out.ctx, {
        dOutput: shaped(dOutput, out.output),
        dhN: shaped(dhN, out.hN),
        dcN: out.cN ? shaped(dcN, out.cN) : null,
      }, x.tracked);
      this.release(out.ctx);
      if (x.tracked && g.dInput) x.accumulateGrad(g.dInput.data);
      if (h0?.tracked) h0.accumulateGrad(g.dh0.data);
      if (c0?.tracked && g.dc0) c0.accumulateGrad(g.dc0.data);
    }, true);
    const result: AnyCellSignature['applyOutput'] = { output: vars[0] as Variable, hN: vars[1] as Variable };
    if (vars[2]) result.cN = vars[2];
    return result as S['applyOutput'];
  }

  /** Why `ctx` cannot come from this module's forward, or null when it can. */
  private ctxMismatch(ctx: RecurrentContext): string | null {
    const D = this.directions;
    const { caches, masks, T, B } = ctx;
    if (caches.length !== this.numLayers * D) return `${caches.length} scans, expected numLayers·D = ${this.numLayers * D}`;
    if (masks.length !== this.numLayers) return `${masks.length} layers, expected ${this.numLayers}`;
    for (let k = 0; k < caches.length; k++) {
      const c = caches[k] as ScanCache;
      const w = this.weights[k] as ScanWeights;
      const inSize = k < D ? this.inputSize : D * this.outputSize;
      if (c.kind !== this.kind) {
        return `scan ${k} is ${otherCellName(c.kind, this.kind)}, expected ${this.kind.name}`;
      }
      if (c.H !== this.hiddenSize) return `scan ${k} has hiddenSize ${c.H}, expected ${this.hiddenSize}`;
      if (c.P !== this.outputSize) return `scan ${k} has output size ${c.P}, expected ${this.outputSize}`;
      if (c.I !== inSize) return `scan ${k} has input size ${c.I}, expected ${inSize}`;
      if (c.T !== T || c.B !== B) return `scan ${k} covers (T, B) = (${c.T}, ${c.B}), ctx says (${T}, ${B})`;
      if (c.reverse !== (k % D === 1)) return `scan ${k} runs ${c.reverse ? 'backwards' : 'forwards'} in time`;
      if (c.weights.wih !== w.wih || c.weights.whh !== w.whh || c.weights.bih !== w.bih || c.weights.bhh !== w.bhh || c.weights.whr !== w.whr || c.weights.peep !== w.peep) {
        return `scan ${k} uses other parameters (bias, peepholes or prefix differ)`;
      }
    }
    return null;
  }

  /** Bernoulli(1−p) keep mask scaled by 1/(1−p) (inverted dropout). */
  private dropoutMask(n: number): FloatArray {
    const mask = allocate(this.dtype, n);
    const p = this.dropout;
    const scale = p < 1 ? 1 / (1 - p) : 0;
    for (let i = 0; i < n; i++) mask[i] = this.rng.next() >= p ? scale : 0;
    return mask;
  }

  /**
   * Validates the input and returns it time-major `(T, B, I)` in the
   * module's precision: a copy in the backend's memory (kept for backward),
   * or for inference (`ws`) the caller's array itself when it already is
   * that, else a copy in `ws`.
   */
  private readInput(input: Tensor, ws: Workspace | null): { T: number; B: number; batched: boolean; x: FloatArray } {
    const m = this.moduleName;
    checkTensor(m, 'input', input);
    const I = this.inputSize;
    const rank = input.shape.length;
    if (rank !== 2 && rank !== 3) {
      throw new Error(`${m}: expected input to be 2D (T, ${I}) or 3D (${this.batchFirst ? `B, T, ${I}` : `T, B, ${I}`}), got ${rank}D instead`);
    }
    if (input.shape[rank - 1] !== I) {
      throw new Error(`${m}: input.size(-1) must be equal to inputSize. Expected ${I}, got ${input.shape[rank - 1]}`);
    }
    const batched = rank === 3;
    const T = (batched && this.batchFirst ? input.shape[1] : input.shape[0]) as number;
    const B = batched ? ((this.batchFirst ? input.shape[0] : input.shape[1]) as number) : 1;
    if (T < 1 || B < 1) throw new Error(`${m}: input must have at least one time step and one sequence, got shape [${input.shape.join(', ')}]`);
    checkFinite(m, 'input', input);
    const timeMajor = !batched || !this.batchFirst;
    if (ws && timeMajor && this.isOwnPrecision(input.data)) return { T, B, batched, x: input.data as FloatArray };
    const out = ws ? ws.get(0, this.dtype, T * B * I) : this.backend.allocate(this.dtype, T * B * I);
    return { T, B, batched, x: this.toTimeMajor(input.data, T, B, I, batched, out) };
  }

  /** Validates a gradient shaped like a sequence and returns it time-major, copied into the backend's memory. */
  private readSequence(arg: string, t: Tensor, expected: number[], T: number, B: number, F: number, batched: boolean): FloatArray {
    const m = `${this.moduleName}.backward`;
    checkTensor(m, arg, t);
    checkShape(m, arg, t, expected, batched ? (this.batchFirst ? '(B, T, F)' : '(T, B, F)') : '(T, F)');
    checkFinite(m, arg, t);
    return this.toTimeMajor(t.data, T, B, F, batched, this.backend.allocate(this.dtype, T * B * F));
  }

  private readGrad(arg: string, t: Tensor, expected: number[]): FloatArray {
    const m = `${this.moduleName}.backward`;
    checkTensor(m, arg, t);
    checkShape(m, arg, t, expected, expected.length === 3 ? '(numLayers·D, B, width)' : '(numLayers·D, width)');
    checkFinite(m, arg, t);
    return this.ownPrecision(t.data);
  }

  private readState(arg: string, t: Tensor | null | undefined, B: number, width: number, batched: boolean): FloatArray | null {
    if (t == null) return null;
    const m = this.moduleName;
    checkTensor(m, arg, t);
    const LD = this.numLayers * this.directions;
    const expected = batched ? [LD, B, width] : [LD, width];
    const w = width === this.hiddenSize ? 'hiddenSize' : 'projSize';
    checkShape(m, arg, t, expected, batched ? `(numLayers·D, B, ${w})` : `(numLayers·D, ${w})`);
    checkFinite(m, arg, t);
    return this.ownPrecision(t.data);
  }

  private isOwnPrecision(a: ArrayLike<number>): boolean {
    return (a instanceof Float32Array || a instanceof Float64Array) && dtypeOf(a) === this.dtype;
  }

  /** `a` itself when it is a typed array of the module's precision (only read), else a copy. */
  private ownPrecision(a: ArrayLike<number>): FloatArray {
    return this.isOwnPrecision(a) ? (a as FloatArray) : this.copyIn(a);
  }

  /** Copies a (T,B,F), (B,T,F) or (T,F) buffer into `out`, time-major. */
  private toTimeMajor(src: ArrayLike<number>, T: number, B: number, F: number, batched: boolean, out: FloatArray): FloatArray {
    if (!batched || !this.batchFirst) {
      if (src instanceof Float32Array || src instanceof Float64Array) out.set(src.subarray(0, T * B * F));
      else for (let i = 0; i < T * B * F; i++) out[i] = src[i] as number;
      return out;
    }
    const s = src as FloatArray;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(s.subarray((b * T + t) * F, (b * T + t + 1) * F), (t * B + b) * F);
    }
    return out;
  }

  /**
   * Turns a time-major buffer into a tensor in the caller's layout: `src`
   * itself when it already is that (and not `copy`), else an ordinary copy.
   */
  private writeSequence(src: FloatArray, T: number, B: number, F: number, batched: boolean, copy = false): Tensor {
    if (!batched || !this.batchFirst) {
      const data = copy ? allocate(this.dtype, src.length) : src;
      if (copy) data.set(src);
      return { data, shape: batched ? [T, B, F] : [T, F] };
    }
    const out = allocate(this.dtype, T * B * F);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(src.subarray((t * B + b) * F, (t * B + b + 1) * F), (b * T + t) * F);
    }
    return { data: out, shape: [B, T, F] };
  }
}
