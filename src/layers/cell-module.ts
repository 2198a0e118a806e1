/**
 * A single recurrent step as a module (`torch.nn.RNNCell`, `LSTMCell`,
 * `GRUCell`): the cell's step run by the scan over one time step, with
 * PyTorch's parameter names `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
 *
 * Shapes: input (B, I) or (I) unbatched; h, c (B, H) or (H).
 * `forward`/`backward` work on tensors; `apply` is the same step as one
 * node of the autograd tape (for decoders built step by step).
 *
 * Memory as for the layers (see ../layers/stack.ts): the step's caches
 * live in the backend's memory until {@link CellModule.release} or garbage
 * collection; under `noGrad` nothing is kept and buffers are reused.
 */
import { cellClip } from './cell-clip.js';
import { isGradEnabled, record, type Variable } from '../autograd/variable.js';
import { defaultRecurrentInit } from '../init.js';
import { checkFinite, checkShape, checkTensor } from '../checks.js';
import {
  finalSlot, releaseScan, type ScanCache, type ScanWeights, scanBackward, scanForward, Workspace,
} from './scan.js';
import { Module, type ModuleOptions } from '../module.js';
import { allocate, dtypeOf, type FloatArray, type Tensor } from '../tensor.js';
import { type CellKind, otherCellName } from '../cells/cell.js';
import type { BackwardStepObserver, LayerObserver } from './observer.js';

export interface CellModuleOptions extends ModuleOptions {
  /** Features of the input `x` at one step (I). */
  inputSize: number;
  /** Features of the hidden state `h` (H). */
  hiddenSize: number;
  /** Whether the cell has `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** The cell clip: gate pre-activations clamped to [−clip, clip] (a positive number; default none). */
  clip?: number;
}

/** The saved step of a cell's forward call. */
export interface CellContext {
  readonly cache: ScanCache;
  readonly batched: boolean;
  /** Set once the caches are handed back; backward is then refused. */
  released: boolean;
  /** What the cell's observer asked to be told during backward, or null. */
  readonly observe?: BackwardStepObserver | null;
}

export interface CellOutput {
  /** `(B, H)` (or `(H)` unbatched): the next hidden state. */
  h: Tensor;
  /** Pass to `backward`. */
  ctx: CellContext;
}

export interface LSTMCellOutput extends CellOutput {
  /** `(B, H)` (or `(H)`): the next cell state. */
  c: Tensor;
}

export interface CellState {
  h0?: Tensor | null;
}

export interface LSTMCellState extends CellState {
  c0?: Tensor | null;
}

export interface CellGradients {
  dh?: Tensor | null;
}

export interface LSTMCellGradients extends CellGradients {
  dc?: Tensor | null;
}

export interface CellInputGradients {
  dInput: Tensor;
  dh0: Tensor;
}

export interface LSTMCellInputGradients extends CellInputGradients {
  dc0: Tensor;
}

/** Optional inputs of {@link CellModule.apply}: states as variables on the tape. */
export interface CellApplyState {
  h0?: Variable | null;
}

export interface LSTMCellApplyState extends CellApplyState {
  c0?: Variable | null;
}

/** Outputs of {@link CellModule.apply} as variables on the tape. */
export interface CellApplyOutput {
  h: Variable;
}

export interface LSTMCellApplyOutput extends CellApplyOutput {
  c: Variable;
}

/** The types of a cell module's inputs and results: an LSTM cell's carry `c`, the others' none. */
export interface CellSignature {
  state: CellState;
  output: CellOutput;
  gradients: CellGradients;
  inputGradients: CellInputGradients;
  applyState: CellApplyState;
  applyOutput: CellApplyOutput;
}

export interface LSTMCellSignature extends CellSignature {
  state: LSTMCellState;
  output: LSTMCellOutput;
  gradients: LSTMCellGradients;
  inputGradients: LSTMCellInputGradients;
  applyState: LSTMCellApplyState;
  applyOutput: LSTMCellApplyOutput;
}

/** A cell module whose cell is not known statically. */
export interface AnyCellModuleSignature extends CellSignature {
  state: LSTMCellState;
  output: CellOutput & Partial<Pick<LSTMCellOutput, 'c'>>;
  gradients: LSTMCellGradients;
  inputGradients: CellInputGradients & Partial<Pick<LSTMCellInputGradients, 'dc0'>>;
  applyState: LSTMCellApplyState;
  applyOutput: CellApplyOutput & Partial<Pick<LSTMCellApplyOutput, 'c'>>;
}

export class CellModule<S extends CellSignature = AnyCellModuleSignature> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  /** The cell clip (∞: none). */
  readonly clip: number;
  private readonly weights: ScanWeights;
  private inference: Workspace | null = null;
  private observer: LayerObserver | null = null;

  /** Whether the gates see the cell state (LSTMCell with peepholes). */
  readonly peepholes: boolean;

  /**
   * @param optionKeys option keys of the concrete cell besides inputSize, hiddenSize and bias.
   * @param peepholes whether the cell has peepholes `weight_peep` (3, H) (LSTM).
   */
  constructor(protected readonly kind: CellKind, moduleName: string, options: CellModuleOptions, optionKeys: readonly string[] = [], peepholes: unknown = false) {
    super(moduleName, options, ['inputSize', 'hiddenSize', 'bias', 'clip', ...optionKeys]);
    const m = moduleName;
    for (const key of ['inputSize', 'hiddenSize'] as const) {
      const v = options[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${m}: ${key} must be a positive integer, got ${String(v)}`);
    }
    this.inputSize = options.inputSize;
    this.hiddenSize = options.hiddenSize;
    this.bias = options.bias ?? true;
    this.clip = cellClip(m, options.clip);
    if (typeof peepholes !== 'boolean') throw new Error(`${m}: peepholes must be true or false, got ${String(peepholes)}`);
    this.peepholes = peepholes;
    const G = kind.gates * this.hiddenSize;
    this.weights = {
      wih: this.addParameter('weight_ih', [G, this.inputSize]),
      whh: this.addParameter('weight_hh', [G, this.hiddenSize]),
      bih: this.bias ? this.addParameter('bias_ih', [G]) : -1,
      bhh: this.bias ? this.addParameter('bias_hh', [G]) : -1,
      whr: -1,
      peep: peepholes ? this.addParameter('weight_peep', [3, this.hiddenSize]) : -1,
      clip: this.clip,
    };
    defaultRecurrentInit(this.params, this.rng, this.hiddenSize, this.parameterNames);
    this.params.placeIn(this.backend);
  }

  /** The cell this module steps. */
  get cell(): CellKind {
    return this.kind;
  }

  /**
   * Watches this cell (`insight/probe.ts` does it for you): every forward call
   * is then reported as a scan of one step, and its backward pass as that
   * step's state gradient. `null` stops watching; returns the observer it replaces.
   */
  observe(observer: LayerObserver | null): LayerObserver | null {
    const before = this.observer;
    this.observer = observer;
    return before;
  }

  /**
   * One step: `(h, c) = cell(input, (h0, c0))`; omitted states are zeros.
   * Under `noGrad` the returned `ctx` cannot be backpropagated.
   */
  forward(input: Tensor, state: S['state'] = {}): S['output'] {
    const m = this.moduleName;
    const I = this.inputSize;
    const H = this.hiddenSize;
    checkTensor(m, 'input', input);
    if (input.shape.length !== 1 && input.shape.length !== 2) {
      throw new Error(`${m}: Expected input to be 1D or 2D, got ${input.shape.length}D instead`);
    }
    const batched = input.shape.length === 2;
    const B = batched ? (input.shape[0] as number) : 1;
    checkShape(m, 'input', input, batched ? [B, I] : [I], batched ? '(B, inputSize)' : '(inputSize)');
    checkFinite(m, 'input', input);
    const stateOf = (arg: string, t: Tensor | null | undefined): FloatArray | null => {
      if (t == null) return null;
      checkTensor(m, arg, t);
      checkShape(m, arg, t, batched ? [B, H] : [H], batched ? '(B, hiddenSize)' : '(hiddenSize)');
      checkFinite(m, arg, t);
      return this.ownPrecision(t.data);
    };
    const h0 = stateOf('h0', state.h0);
    const c0State = (state as LSTMCellState).c0;
    const c0 = this.kind.hasCellState ? stateOf('c0', c0State) : null;
    if (!this.kind.hasCellState && c0State) throw new Error(`${m}: c0 is only for LSTMCell`);

    const keep = isGradEnabled();
    const be = this.backend;
    const ws = keep ? null : (this.inference ??= new Workspace(be));
    // Kept for backward: a copy in the backend's memory; for inference the input is only read.
    const x = keep ? be.allocate(this.dtype, B * I) : this.ownPrecision(input.data);
    if (keep) x.set(input.data);
    const cache = scanForward(this.kind, be, this.params.data, this.weights, 1, B, I, H, H, x, h0, 0, c0, 0, null, false, ws);
    const slot = finalSlot(cache);
    const shape = batched ? [B, H] : [H];
    const out: AnyCellModuleSignature['output'] = { h: { data: cache.hs.slice(slot * B * H, (slot + 1) * B * H), shape }, ctx: { cache, batched, released: !keep, observe: this.observer?.scanned({ layer: 0, direction: 0 }, cache) ?? null } };
    if (cache.cs) out.c = { data: cache.cs.slice(slot * B * H, (slot + 1) * B * H), shape };
    return out as S['output'];
  }

  /**
   * One step as a node of the autograd tape: `forward` now, `backward` when
   * the loss is backpropagated. Gradients reach `input`, `h0` and `c0` if
   * they are tracked, and the parameters' `grad` buffer always; the caches
   * are handed back right after the backward pass.
   */
  apply(input: Variable, state: S['applyState'] = {}): S['applyOutput'] {
    const { h0 } = state;
    const c0 = (state as LSTMCellApplyState).c0;
    const out: AnyCellModuleSignature['output'] = this.forward(input.value, { h0: h0?.value ?? null, c0: c0?.value ?? null } as S['state']);
    const inputs = [input, ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
    const vars = record(this.moduleName, inputs, [out.h, ...(out.c ? [out.c] : [])], ([dh, dc]) => {
      const g: AnyCellModuleSignature['inputGradients'] = this.backward(out.ctx, {
        dh: dh ? { data: dh, shape: out.h.shape } : null,
        dc: dc && out.c ? { data: dc, shape: out.c.shape } : null,
      } as S['gradients']);
      this.release(out.ctx);
      if (input.tracked) input.accumulateGrad(g.dInput.data);
      if (h0?.tracked) h0.accumulateGrad(g.dh0.data);
      if (c0?.tracked && g.dc0) c0.accumulateGrad(g.dc0.data);
    }, true);
    const result: AnyCellModuleSignature['applyOutput'] = { h: vars[0] as Variable };
    if (vars[1]) result.c = vars[1];
    return result as S['applyOutput'];
  }

  /** Hands a forward call's caches back to the backend now; `ctx` can no longer be backpropagated. */
  release(ctx: CellContext): void {
    if (ctx.released) return;
    ctx.released = true;
    releaseScan(ctx.cache);
    this.backend.release(ctx.cache.x);
  }

  /** `a` itself when it is a typed array of the module's precision (only read), else a copy. */
  private ownPrecision(a: ArrayLike<number>): FloatArray {
    return (a instanceof Float32Array || a instanceof Float64Array) && dtypeOf(a) === this.dtype ? a : this.copyIn(a);
  }

  /** Backward of one step: accumulates parameter gradients, returns input and state gradients. */
  backward(ctx: CellContext, grads: S['gradients'] = {}): S['inputGradients'] {
    const m = `${this.moduleName}.backward`;
    if (!ctx || typeof ctx !== 'object' || !ctx.cache || typeof ctx.cache !== 'object') {
      throw new TypeError(`${m}: ctx must be the ctx returned by forward`);
    }
    if (ctx.released) {
      throw new Error(`${m}: this ctx was released (forward ran under noGrad, or release() was called); run forward again`);
    }
    const { cache, batched } = ctx;
    const { B, H, I } = cache;
    const w = this.weights;
    const mismatch =
      cache.kind !== this.kind ? `it is ${otherCellName(cache.kind, this.kind)}, expected ${this.kind.name}`
      : H !== this.hiddenSize ? `hiddenSize ${H}, expected ${this.hiddenSize}`
      : I !== this.inputSize ? `input size ${I}, expected ${this.inputSize}`
      : cache.weights.wih !== w.wih || cache.weights.whh !== w.whh || cache.weights.bih !== w.bih || cache.weights.bhh !== w.bhh || cache.weights.peep !== w.peep
        ? 'it uses other parameters (bias, peepholes or prefix differ)'
      : null;
    if (mismatch) throw new Error(`${m}: ctx does not come from a forward call of this module (${mismatch})`);
    const shape = batched ? [B, H] : [H];
    const gradOf = (arg: string, t: Tensor | null | undefined): FloatArray | null => {
      if (t == null) return null;
      checkTensor(m, arg, t);
      checkShape(m, arg, t, shape, batched ? '(B, hiddenSize)' : '(hiddenSize)');
      checkFinite(m, arg, t);
      return this.ownPrecision(t.data);
    };
    const dh = gradOf('dh', grads.dh);
    const dc = gradOf('dc', (grads as LSTMCellGradients).dc);
    const dx = allocate(this.dtype, B * I);
    const dh0 = allocate(this.dtype, B * H);
    const dc0 = this.kind.hasCellState ? allocate(this.dtype, B * H) : null;
    scanBackward(cache, this.params.grad, null, H, 0, dh, 0, dc, 0, dx, dh0, 0, dc0, 0, ctx.observe ?? null);
    const out: AnyCellModuleSignature['inputGradients'] = { dInput: { data: dx, shape: batched ? [B, I] : [I] }, dh0: { data: dh0, shape } };
    if (dc0) out.dc0 = { data: dc0, shape };
    return out as S['inputGradients'];
  }

}
