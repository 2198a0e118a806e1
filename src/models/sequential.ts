/**
 * A stack of layers applied one after the other, like `torch.nn.Sequential`
 * or a Keras `Sequential` model, built from plain layer specs
 * ({@link LayerSpec}; what flows between them is in `layer-spec.ts`).
 *
 * All parameters live in one {@link ParameterStore} under PyTorch's
 * `nn.Sequential` names: the layer's index, a dot, the module's own name —
 * `0.weight` (embedding), `1.weight_ih_l0`, `1.bias_hh_l0_reverse` (LSTM),
 * `3.weight`, `3.bias` (linear). Layers without parameters (takeLast,
 * activation, dropout) keep their index, so the names match PyTorch's.
 * Layer i is seeded with `seed + i`.
 *
 * Sequences are batch first: token ids (B, T) or features (B, T, F), with
 * optional per-sequence `lengths` (PackedSequence semantics in the
 * recurrent layers, the last valid step in takeLast).
 *
 * Example:
 *   const model = new Sequential([
 *     { type: 'embedding', numEmbeddings: 100, embeddingDim: 16 },
 *     { type: 'lstm', hiddenSize: 32 },
 *     { type: 'takeLast' },
 *     { type: 'linear', outFeatures: 2 },
 *   ]);
 *   const logits = model.apply({ data: ids, shape: [B, T] }, { lengths });   // (B, 2)
 */
import { type ActivationName, type LayerSpec, type ModelSignature, resolveLayers, type SequentialConfig } from './layer-spec.js';
import { logSoftmax, relu, sigmoid, softmax, tanh } from '../autograd/activations.js';
import { lastStep } from '../autograd/last-step.js';
import { dropout } from '../autograd/ops.js';
import { constant, Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import { checkLengths, checkTensor } from '../checks.js';
import { Embedding, type TokenIds } from '../layers/embedding.js';
import { GRU } from '../layers/gru.js';
import { Linear } from '../layers/linear.js';
import { LSTM } from '../layers/lstm.js';
import { RNN } from '../layers/rnn.js';
import type { Module } from '../module.js';
import { ParameterStore, type TensorLike } from '../params.js';
import { Random } from '../random.js';
import { type DType, dtypeOf, formatShape, type Tensor } from '../tensor.js';

export interface SequentialOptions {
  /** Seed of initialisation and dropout; layer i uses seed + i (default 0). */
  seed?: number;
  /** Precision of the parameters (default 'float32'). */
  dtype?: DType;
  /** Kernels to run on (default: the reference TypeScript backend). */
  backend?: Backend;
}

/** Optional inputs of {@link Sequential.apply}. */
export interface SequentialApplyOptions {
  /** Per-sequence lengths in [1, T] (default: every sequence spans T steps). */
  lengths?: ArrayLike<number> | null;
}

const ACTIVATION: Readonly<Record<ActivationName, (x: Variable) => Variable>> = { tanh, sigmoid, relu, softmax, logSoftmax };

export class Sequential {
  readonly params: ParameterStore;
  /** The completed configuration (every default and size written out): what `saveModel` stores. */
  readonly config: SequentialConfig;
  /** What the model takes and gives. */
  readonly signature: ModelSignature;
  /** The modules that own parameters, by layer index. */
  readonly modules: ReadonlyMap<number, Module>;
  /** The kernels the modules run on. */
  readonly backend: Backend;
  /** Dropout and similar are active only in training mode (the default, as in PyTorch). */
  training = true;
  /** The first layer when it is an embedding (it reads token ids, not a variable). */
  private readonly embedding: Embedding | null = null;
  /** Every other layer, in order, as a function on the tape. */
  private readonly steps: ((x: Variable, lengths: Int32Array | null) => Variable)[] = [];

  constructor(layers: readonly LayerSpec[], options: SequentialOptions = {}) {
    const where = 'Sequential';
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new Error(`${where}: seed must be an integer, got ${String(seed)}`);
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${where}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
    const { layers: specs, signature } = resolveLayers(layers, where);
    this.config = { layers: specs, dtype, seed };
    this.signature = signature;
    this.backend = options.backend ?? jsBackend;
    this.params = new ParameterStore(dtype, where);
    const modules = new Map<number, Module>();
    this.modules = modules;

    for (const [i, spec] of specs.entries()) {
      const shared = { params: this.params, prefix: `${i}.`, seed: seed + i, backend: this.backend };
      switch (spec.type) {
        case 'embedding': {
          const { type: _, ...o } = spec;
          this.embedding = new Embedding({ ...o, ...shared });
          modules.set(i, this.embedding);
          break;
        }
        case 'rnn':
        case 'lstm':
        case 'gru': {
          const { type, ...o } = spec;
          const common = { ...o, inputSize: o.inputSize as number, batchFirst: true, ...shared };
          const m = type === 'lstm' ? new LSTM(common) : type === 'gru' ? new GRU(common) : new RNN(common);
          modules.set(i, m);
          this.steps.push((x, lengths) => m.apply(x, { lengths }).output);
          break;
        }
        case 'takeLast': {
          const bidirectional = signature.bidirectionalInput[i] as boolean;
          this.steps.push((x, lengths) => lastStep(x, { lengths, bidirectional, batchFirst: true }));
          break;
        }
        case 'linear': {
          const m = new Linear({ inFeatures: spec.inFeatures as number, outFeatures: spec.outFeatures, bias: spec.bias ?? true, ...shared });
          modules.set(i, m);
          this.steps.push((x) => m.apply(x));
          break;
        }
        case 'activation': {
          const f = ACTIVATION[spec.activation];
          this.steps.push((x) => f(x));
          break;
        }
        case 'dropout': {
          const rng = new Random(seed + i);
          const p = spec.p;
          this.steps.push((x) => dropout(x, p, rng, this.training));
          break;
        }
      }
    }
  }

  get dtype(): DType {
    return this.params.dtype;
  }

  /**
   * Runs the layers on a batch: token ids (B, T) for a model that starts
   * with an embedding, features (B, T, inputSize) for another sequence
   * model, vectors (B, inputSize) for a model without recurrent layers —
   * the latter two also as a variable, to backpropagate into. Returns (B, T, outputSize) or (B, outputSize) on the tape.
   */
  apply(input: Tensor | TokenIds | Variable, options: SequentialApplyOptions = {}): Variable {
    const sig = this.signature;
    const where = 'Sequential.apply';
    let x: Variable;
    let B: number;
    let T = 0;
    if (sig.input === 'ids') {
      if (input instanceof Variable) throw new Error(`${where}: this model starts with an embedding and takes token ids, not a variable`);
      if (!input || !Array.isArray(input.shape) || input.shape.length !== 2) {
        throw new Error(`${where}: expected token ids of shape (B, T), got ${input && Array.isArray(input.shape) ? formatShape(input.shape) : String(input)}`);
      }
      [B, T] = input.shape as [number, number];
      x = (this.embedding as Embedding).apply(input);
    } else {
      const value = input instanceof Variable ? input.value : input;
      checkTensor(where, 'input', value);
      const expected = sig.input === 'sequence' ? `(B, T, ${sig.inputSize})` : `(B, ${sig.inputSize})`;
      const rank = sig.input === 'sequence' ? 3 : 2;
      if (value.shape.length !== rank || value.shape[rank - 1] !== sig.inputSize) {
        throw new Error(`${where}: expected input of shape ${expected}, got ${formatShape(value.shape)}`);
      }
      if (dtypeOf(value.data) !== this.dtype) throw new Error(`${where}: input is ${dtypeOf(value.data)} but the parameters are ${this.dtype}`);
      B = value.shape[0] as number;
      T = value.shape[1] as number;
      x = input instanceof Variable ? input : constant(value);
    }
    let lengths: Int32Array | null = null;
    if (options.lengths != null) {
      if (sig.input === 'vector') throw new Error(`${where}: lengths are for sequences, and this model takes one vector per example`);
      lengths = checkLengths(where, options.lengths, B, T);
    }
    for (const step of this.steps) x = step(x, lengths);
    return x;
  }

  /** Training mode turns dropout on; evaluation mode off. Returns this. */
  train(on = true): this {
    this.training = on;
    for (const m of this.modules.values()) m.train(on);
    return this;
  }

  /** Evaluation mode: same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Live views of every parameter under its PyTorch name (`1.weight_ih_l0`, …). */
  stateDict(): Record<string, Tensor> {
    return this.params.stateDict();
  }

  /** Loads PyTorch-named weights; every key is checked before any is written. */
  loadStateDict(dict: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>): void {
    this.params.loadStateDict(dict);
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.params.zeroGrad();
  }
}
