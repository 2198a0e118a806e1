/**
 * A Keras / TensorFlow.js LayersModel (model.json + weight bytes) as the
 * equivalent {@link Sequential}, weights converted at the boundary to
 * PyTorch's names, layouts and gate orders. Bytes and JSON in, so it runs in
 * any host; `loadKerasModel` (./keras-file.ts) reads the files on Node.
 *
 * Layers (Keras → library spec; H = units, I = input features):
 *   Embedding              → embedding      embeddings (V, E) = weight
 *   SimpleRNN (tanh|relu)  → rnn            kernel (I, H) = W_ihᵀ, recurrent_kernel (H, H) = W_hhᵀ,
 *                                           bias (H) = b_ih, b_hh = 0
 *   LSTM                   → lstm           kernel (I, 4H) = W_ihᵀ, recurrent_kernel (H, 4H) = W_hhᵀ,
 *                                           bias (4H) = b_ih, b_hh = 0; Keras columns i,f,c,o = PyTorch i,f,g,o
 *   GRU                    → gru            Keras columns z,r,h → PyTorch rows r,z,n;
 *                                           reset_after=true: bias (2, 3H) = [b_ih; b_hh] (resetAfter: true),
 *                                           reset_after=false: bias (3H) = b_ih, b_hh = 0 (resetAfter: false)
 *   Bidirectional(concat)  → bidirectional  forward_… weights → `_l0`, backward_… → `_l0_reverse`
 *   Dense                  → linear         kernel (I, O) = weightᵀ, bias (O); then its activation
 *   Activation             → activation     tanh, sigmoid, relu, softmax (linear: nothing)
 *   Dropout                → dropout        (the model is returned in evaluation mode)
 * A recurrent layer with return_sequences=false is followed by takeLast;
 * after a bidirectional one that is [forward at the last step | backward at
 * step 0], which is what Keras concatenates. Keras inputs are batch major,
 * (B, T, F) or ids (B, T), as the library's Sequential.
 *
 * Refused, with the layer named: any other layer class, a functional
 * (non-Sequential) model, hard_sigmoid gates (TensorFlow.js's default for
 * LSTM and GRU: save with recurrentActivation 'sigmoid'), return_state,
 * go_backwards, stateful, mask_zero, other merge modes and activations,
 * weights other than float32. Every weight is checked (present, shape, used)
 * before the model is built, so a failure leaves nothing half-loaded.
 */
import type { Backend } from '../backend/backend.js';
import { formatValue, type ActivationName, type LayerSpec, type RecurrentType } from '../models/layer-spec.js';
import { Sequential } from '../models/sequential.js';
import type { TensorLike } from '../params.js';
import type { DType } from '../tensor.js';

/** The weight bytes: one buffer, or the manifest's files in order. */
export type KerasWeightData = ArrayBuffer | ArrayBufferView | readonly (ArrayBuffer | ArrayBufferView)[];

export interface KerasModelOptions {
  /** Precision of the parameters (default 'float32'). */
  dtype?: DType;
  /** Kernels to run on (default: the reference TypeScript backend). */
  backend?: Backend;
  /** Starts error messages (default 'fromKerasModel'). */
  where?: string;
}

/** A weight of the manifest: its name without Keras's `:0`, shape and values. */
interface KerasWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

type Json = Record<string, unknown>;

const RECURRENT: Readonly<Record<string, RecurrentType>> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const GATES: Readonly<Record<RecurrentType, number>> = { rnn: 1, lstm: 4, gru: 3 };
/** PyTorch gate block j = Keras block ORDER[j]: LSTM i,f,g,o ← i,f,c,o; GRU r,z,n ← z,r,h. */
const KERAS_GATE_ORDER: Readonly<Record<RecurrentType, readonly number[]>> = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] };
const ACTIVATIONS: Readonly<Record<string, ActivationName | null>> = { linear: null, tanh: 'tanh', sigmoid: 'sigmoid', relu: 'relu', softmax: 'softmax' };

/**
 * Builds the {@link Sequential} a Keras model.json describes and loads its
 * weights. `modelJson` is the file's text or its parsed object (with
 * `modelTopology` and `weightsManifest`); `weightData` the bytes of the
 * manifest's files, in the order they are listed. The model is returned in
 * evaluation mode.
 */
export function fromKerasModel(modelJson: string | object, weightData: KerasWeightData, options: KerasModelOptions = {}): Sequential {
  const where = options.where ?? 'fromKerasModel';
  const json = parseModelJson(modelJson, where);
  const weights = readWeights(json, weightData, where);
  const layers = sequentialLayers(json.modelTopology, where);

  const specs: LayerSpec[] = [];
  const state: Record<string, TensorLike> = {};
  const used = new Set<string>();
  /** Features flowing out of the last layer (before the first: those declared by batch_input_shape, else 0). */
  let width = 0;

  for (const [k, layer] of layers.entries()) {
    const className = layer.class_name;
    const config = (isObject(layer.config) ? layer.config : {}) as Json;
    const name = typeof config.name === 'string' ? config.name : `layer${k}`;
    const at = `${where}: layer ${k} '${name}' (${String(className)})`;
    const own = weightsOf(weights, name);
    /** The layer's weight whose name ends in `suffix` (within `part`), of the shape expected. */
    const take = (suffix: string, shape: readonly (number | null)[], part = ''): KerasWeight => {
      const w = own.find((x) => x.name.endsWith(`/${suffix}`) && x.name.includes(part));
      if (!w) throw new Error(`${at}: missing weight '${name}/${part ? `${part.slice(1)}…/` : ''}${suffix}' in the weightsManifest`);
      if (w.shape.length !== shape.length || shape.some((d, i) => d !== null && d !== w.shape[i])) {
        throw new Error(`${at}: weight '${w.name}' has shape [${w.shape.join(', ')}] but the layer needs [${shape.map((d) => d ?? '?').join(', ')}]`);
      }
      used.add(w.name);
      return w;
    };
    const activation = (value: unknown): void => {
      const a = ACTIVATIONS[value === undefined || value === null ? 'linear' : String(value)];
      if (a === undefined) throw new Error(`${at}: activation ${formatValue(value)} is not supported (linear, ${Object.keys(ACTIVATIONS).slice(1).join(', ')})`);
      if (a !== null) specs.push({ type: 'activation', activation: a });
    };
    const i = specs.length;
    if (specs.length === 0 && width === 0) width = declaredFeatures(config);

    switch (className) {
      case 'InputLayer':
        width = declaredFeatures(config);
        break;
      case 'Embedding': {
        if (k !== firstLayerIndex(layers)) throw new Error(`${at}: an Embedding must be the model's first layer`);
        if (config.mask_zero === true) throw new Error(`${at}: mask_zero is not supported (pass per-sequence lengths to the model instead)`);
        const V = positiveInt(config.input_dim, `${at}: input_dim`);
        const E = positiveInt(config.output_dim, `${at}: output_dim`);
        const w = take('embeddings', [V, E]);
        specs.push({ type: 'embedding', numEmbeddings: V, embeddingDim: E });
        state[`${i}.weight`] = { data: w.data, shape: [V, E] };
        width = E;
        break;
      }
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU':
      case 'Bidirectional': {
        let cell = config;
        let cellClass: unknown = className;
        let bidirectional = false;
        if (className === 'Bidirectional') {
          if ((config.merge_mode ?? 'concat') !== 'concat') throw new Error(`${at}: merge_mode ${formatValue(config.merge_mode)} is not supported (only 'concat')`);
          const inner = config.layer;
          if (!isObject(inner) || !isObject(inner.config)) throw new Error(`${at}: config.layer must be the wrapped layer { class_name, config }`);
          cell = inner.config;
          cellClass = inner.class_name;
          bidirectional = true;
        }
        const type = typeof cellClass === 'string' ? RECURRENT[cellClass] : undefined;
        if (!type) throw new Error(`${at}: cannot wrap ${formatValue(cellClass)} (SimpleRNN, LSTM or GRU)`);
        for (const flag of ['return_state', 'go_backwards', 'stateful'] as const) {
          if (cell[flag] === true) throw new Error(`${at}: ${flag}=true is not supported`);
        }
        const H = positiveInt(cell.units, `${at}: units`);
        const gates = GATES[type];
        const nonlinearity = cell.activation ?? 'tanh';
        if (type === 'rnn' ? nonlinearity !== 'tanh' && nonlinearity !== 'relu' : nonlinearity !== 'tanh') {
          throw new Error(`${at}: activation ${formatValue(nonlinearity)} is not supported (${type === 'rnn' ? "'tanh' or 'relu'" : "'tanh'"})`);
        }
        if (type !== 'rnn' && cell.recurrent_activation !== 'sigmoid') {
          throw new Error(`${at}: recurrent_activation ${formatValue(cell.recurrent_activation ?? 'hard_sigmoid')} is not supported: the gates must be 'sigmoid' (TensorFlow.js defaults to hard sigmoid; build the layer with recurrentActivation: 'sigmoid')`);
        }
        const bias = cell.use_bias !== false;
        const resetAfter = type === 'gru' ? cell.reset_after === true : undefined;
        const firstKernel = own.find((w) => w.name.endsWith('/kernel'));
        const I = width || (firstKernel?.shape[0] ?? 0);
        const spec: LayerSpec = { type, inputSize: I, hiddenSize: H, bidirectional, bias };
        if (type === 'rnn') spec.nonlinearity = nonlinearity as 'tanh' | 'relu';
        if (resetAfter !== undefined) spec.resetAfter = resetAfter;
        const order = KERAS_GATE_ORDER[type];
        for (const [part, suffix] of (bidirectional ? [['/forward_', '_l0'], ['/backward_', '_l0_reverse']] : [['', '_l0']]) as [string, string][]) {
          const kernel = take('kernel', [I, gates * H], part);
          const recurrent = take('recurrent_kernel', [H, gates * H], part);
          state[`${i}.weight_ih${suffix}`] = { data: transposeGates(kernel.data, I, H, order), shape: [gates * H, I] };
          state[`${i}.weight_hh${suffix}`] = { data: transposeGates(recurrent.data, H, H, order), shape: [gates * H, H] };
          if (bias) {
            const b = take('bias', resetAfter ? [2, gates * H] : [gates * H], part);
            const G = gates * H;
            state[`${i}.bias_ih${suffix}`] = { data: transposeGates(b.data.subarray(0, G), 1, H, order), shape: [G] };
            state[`${i}.bias_hh${suffix}`] = { data: resetAfter ? transposeGates(b.data.subarray(G), 1, H, order) : new Float32Array(G), shape: [G] };
          }
        }
        specs.push(spec);
        width = (bidirectional ? 2 : 1) * H;
        if (cell.return_sequences !== true) specs.push({ type: 'takeLast' });
        break;
      }
      case 'Dense': {
        const O = positiveInt(config.units, `${at}: units`);
        const firstKernel = own.find((w) => w.name.endsWith('/kernel'));
        const I = width || (firstKernel?.shape[0] ?? 0);
        const kernel = take('kernel', [I, O]);
        const bias = config.use_bias !== false;
        specs.push({ type: 'linear', inFeatures: I, outFeatures: O, bias });
        state[`${i}.weight`] = { data: transposeGates(kernel.data, I, O, [0]), shape: [O, I] };
        if (bias) state[`${i}.bias`] = { data: take('bias', [O]).data, shape: [O] };
        activation(config.activation);
        width = O;
        break;
      }
      case 'Activation':
        activation(config.activation);
        break;
      case 'Dropout': {
        const rate = config.rate;
        if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${at}: rate must be in [0, 1), got ${formatValue(rate)}`);
        specs.push({ type: 'dropout', p: rate });
        break;
      }
      default:
        throw new Error(`${at}: layer class ${formatValue(className)} is not supported (Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Dense, Activation, Dropout, InputLayer)`);
    }
  }
  const unused = [...weights.keys()].filter((n) => !used.has(n));
  if (unused.length) throw new Error(`${where}: weights not used by any layer: ${unused.join(', ')}`);
  if (specs.length === 0) throw new Error(`${where}: the model has no layers`);

  const model = new Sequential(specs, { dtype: options.dtype, backend: options.backend });
  model.loadStateDict(state);
  return model.eval();
}

/** The parsed model.json: its topology and weights manifest. */
function parseModelJson(modelJson: string | object, where: string): { modelTopology: unknown; weightsManifest: unknown } {
  let json: unknown = modelJson;
  if (typeof modelJson === 'string') {
    try {
      json = JSON.parse(modelJson);
    } catch (e) {
      throw new Error(`${where}: model.json is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!isObject(json) || !isObject(json.modelTopology) || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${where}: model.json must be an object with modelTopology and weightsManifest (a TensorFlow.js LayersModel), got ${formatValue(json)}`);
  }
  return { modelTopology: json.modelTopology, weightsManifest: json.weightsManifest };
}

/** The layers of a Sequential topology (also the older form where config is the list). */
function sequentialLayers(topology: unknown, where: string): Json[] {
  const t = (isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology) as Json;
  if (t.class_name !== 'Sequential') throw new Error(`${where}: only Sequential models are supported, got model class ${formatValue(t.class_name)}`);
  const layers = Array.isArray(t.config) ? t.config : isObject(t.config) ? t.config.layers : undefined;
  if (!Array.isArray(layers)) throw new Error(`${where}: modelTopology.config.layers must be the list of layers`);
  return layers.map((l: unknown, k: number) => {
    if (!isObject(l)) throw new Error(`${where}: layer ${k} must be { class_name, config }, got ${formatValue(l)}`);
    return l;
  });
}

/** The manifest's weights cut out of the bytes (float32, little endian), every size checked. */
function readWeights(json: { weightsManifest: unknown }, weightData: KerasWeightData, where: string): Map<string, KerasWeight> {
  const buffers = (Array.isArray(weightData) ? weightData : [weightData]) as (ArrayBuffer | ArrayBufferView)[];
  const bytes = concatBytes(buffers, where);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, KerasWeight>();
  let offset = 0;
  for (const [g, group] of (json.weightsManifest as unknown[]).entries()) {
    if (!isObject(group) || !Array.isArray(group.weights)) throw new Error(`${where}: weightsManifest[${g}] must have a weights list`);
    for (const spec of group.weights as unknown[]) {
      if (!isObject(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new Error(`${where}: weightsManifest[${g}] has a weight that is not { name, shape, dtype }: ${formatValue(spec)}`);
      }
      const name = spec.name.replace(/:0$/, '');
      if (spec.dtype !== 'float32' || spec.quantization !== undefined) {
        throw new Error(`${where}: weight '${name}' is ${formatValue(spec.dtype)}${spec.quantization !== undefined ? ' quantized' : ''}; only float32 weights are supported`);
      }
      if (weights.has(name)) throw new Error(`${where}: weight '${name}' appears twice in the weightsManifest`);
      const shape = spec.shape as number[];
      const n = shape.reduce((a, d) => a * d, 1);
      if (offset + 4 * n > bytes.byteLength) {
        throw new Error(`${where}: weight '${name}' ends at byte ${offset + 4 * n} but the weight data has ${bytes.byteLength} bytes (truncated or the wrong file)`);
      }
      const data = new Float32Array(n);
      for (let j = 0; j < n; j++) data[j] = view.getFloat32(offset + 4 * j, true);
      weights.set(name, { name, shape, data });
      offset += 4 * n;
    }
  }
  if (offset !== bytes.byteLength) throw new Error(`${where}: the weightsManifest describes ${offset} bytes but the weight data has ${bytes.byteLength}`);
  return weights;
}

function concatBytes(buffers: readonly (ArrayBuffer | ArrayBufferView)[], where: string): Uint8Array {
  const parts = buffers.map((b, k) => {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw new Error(`${where}: weight data ${k} must be an ArrayBuffer or a typed array, got ${formatValue(b)}`);
  });
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The weights under a layer's name: `name/…`. */
function weightsOf(weights: ReadonlyMap<string, KerasWeight>, layerName: string): KerasWeight[] {
  return [...weights.values()].filter((w) => w.name.startsWith(`${layerName}/`));
}

/**
 * Keras's (rows, G·H) matrix with gate blocks of H columns → PyTorch's
 * (G·H, rows) with block j = Keras block order[j]:
 *   out[(j·H + u)·rows + r] = src[r·G·H + order[j]·H + u]
 */
function transposeGates(src: Float32Array, rows: number, H: number, order: readonly number[]): Float32Array {
  const cols = order.length * H;
  const out = new Float32Array(cols * rows);
  order.forEach((from, j) => {
    for (let u = 0; u < H; u++) {
      for (let r = 0; r < rows; r++) out[(j * H + u) * rows + r] = src[r * cols + from * H + u] as number;
    }
  });
  return out;
}

/** The last entry of a layer's batch_input_shape (the features of a (B, T, F) input), or 0. */
function declaredFeatures(config: Json): number {
  const shape = config.batch_input_shape;
  const last = Array.isArray(shape) && shape.length === 3 ? shape[2] : undefined;
  return typeof last === 'number' && Number.isInteger(last) && last > 0 ? last : 0;
}

function firstLayerIndex(layers: readonly Json[]): number {
  return layers.findIndex((l) => l.class_name !== 'InputLayer');
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be an integer ≥ 1, got ${formatValue(v)}`);
  return v;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
