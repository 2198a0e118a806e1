/**
 * Layer specifications of a {@link Sequential} model: plain JSON objects,
 * checked and completed here, so the same code validates a model being built
 * and a configuration read back from a file.
 *
 * What flows between layers (B = batch, T = time, batch first):
 *   token ids (B, T)        → embedding →        sequence (B, T, E)
 *   sequence (B, T, F)      → rnn | lstm | gru → sequence (B, T, D·P)
 *   sequence (B, T, F)      → takeLast →         vector (B, F)
 *   sequence or vector (…, F) → linear →         (…, outFeatures)
 *   anything                → activation | dropout → the same shape
 * The first layer declares the model's input: an embedding (token ids), a
 * recurrent layer with `inputSize`, or a linear layer with `inFeatures`.
 * Every later size is inferred from the layer before (and checked if given).
 * The model's input is a sequence when it has an embedding or a recurrent
 * layer, else one vector per example.
 */
import type { DType } from '../tensor.js';

/** Elementwise (tanh, sigmoid, relu) or over the last dimension (softmax, logSoftmax). */
export type ActivationName = 'tanh' | 'sigmoid' | 'relu' | 'softmax' | 'logSoftmax';

/** The recurrent layers: Elman RNN, LSTM, GRU. */
export type RecurrentType = 'rnn' | 'lstm' | 'gru';

/** `torch.nn.Embedding`: token ids (B, T) → (B, T, embeddingDim). Only as the first layer. */
export interface EmbeddingSpec {
  type: 'embedding';
  numEmbeddings: number;
  embeddingDim: number;
  /** An id whose vector stays zero (default none). */
  paddingIdx?: number;
}

/** `torch.nn.RNN` / `LSTM` / `GRU` over the whole sequence, batch first, respecting the lengths. */
export interface RecurrentSpec {
  type: RecurrentType;
  hiddenSize: number;
  /** Features per step (inferred after the first layer). */
  inputSize?: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** A second scan backwards in time; outputs are [forward | backward] (default false). */
  bidirectional?: boolean;
  /** Dropout between stacked layers, in training (default 0). */
  dropout?: number;
  /** Whether there are bias vectors (default true). */
  bias?: boolean;
  /** RNN only: 'tanh' (default), 'relu' or 'leaky_relu'. */
  nonlinearity?: 'tanh' | 'relu' | 'leaky_relu';
  /** RNN with 'leaky_relu' only: the slope for negative inputs, in [0, 1) (default 0.01). */
  negativeSlope?: number;
  /** LSTM only: size of the projected hidden state (default 0 = none). */
  projSize?: number;
  /** LSTM only: whether the gates see the cell state through peepholes (default false). */
  peepholes?: boolean;
  /** GRU only: whether the reset gate acts after the recurrent product, as in PyTorch (default true), or before it. */
  resetAfter?: boolean;
}

/**
 * Many-to-one: each sequence's output at its last valid step (B, T, F) → (B, F).
 * After a bidirectional layer: the forward half at the last valid step and
 * the backward half at step 0, i.e. the final states of both directions.
 */
export interface TakeLastSpec {
  type: 'takeLast';
}

/** `torch.nn.Linear` over the last dimension. */
export interface LinearSpec {
  type: 'linear';
  outFeatures: number;
  /** Input features (inferred after the first layer). */
  inFeatures?: number;
  /** Whether there is a bias (default true). */
  bias?: boolean;
}

export interface ActivationSpec {
  type: 'activation';
  activation: ActivationName;
}

/** Inverted dropout with probability p, in training only. */
export interface DropoutSpec {
  type: 'dropout';
  p: number;
}

export type LayerSpec = EmbeddingSpec | RecurrentSpec | TakeLastSpec | LinearSpec | ActivationSpec | DropoutSpec;

/** The configuration a model is rebuilt from: its completed layer specs, precision and seed. */
export interface SequentialConfig {
  layers: LayerSpec[];
  dtype: DType;
  seed: number;
}

/** What a model takes and gives, derived from its layers. */
export interface ModelSignature {
  /** Token ids (embedding first), a sequence of feature vectors, or one vector per example. */
  input: 'ids' | 'sequence' | 'vector';
  /** Vocabulary size for ids, else features per step or per vector. */
  inputSize: number;
  /** Whether the output has a time dimension (B, T, F) rather than (B, F). */
  outputSequence: boolean;
  /** Features of the output's last dimension. */
  outputSize: number;
  /** Per layer: for takeLast, whether its input holds two directions. */
  bidirectionalInput: boolean[];
}

const RECURRENT_TYPES: readonly string[] = ['rnn', 'lstm', 'gru'];
const ACTIVATIONS: readonly string[] = ['tanh', 'sigmoid', 'relu', 'softmax', 'logSoftmax'];

/** The fields each layer type accepts. */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  embedding: ['type', 'numEmbeddings', 'embeddingDim', 'paddingIdx'],
  rnn: ['type', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'bias', 'nonlinearity', 'negativeSlope'],
  lstm: ['type', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'bias', 'projSize', 'peepholes'],
  gru: ['type', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'bias', 'resetAfter'],
  takeLast: ['type'],
  linear: ['type', 'inFeatures', 'outFeatures', 'bias'],
  activation: ['type', 'activation'],
  dropout: ['type', 'p'],
};

/**
 * Checks a list of layer specs and completes them: every default written
 * out, every size filled in. `where` starts the messages, which name the
 * layer and the field (`layers[2].hiddenSize must be …`).
 */
export function resolveLayers(layers: unknown, where: string): { layers: LayerSpec[]; signature: ModelSignature } {
  if (!Array.isArray(layers) || layers.length === 0) throw new Error(`${where}: layers must be a non-empty array of layer specs, got ${formatValue(layers)}`);
  const sequenceInput = layers.some((l: unknown) => isObject(l) && (l.type === 'embedding' || RECURRENT_TYPES.includes(l.type as string)));
  const out: LayerSpec[] = [];
  const bidirectionalInput: boolean[] = [];
  let flow: 'ids' | 'sequence' | 'vector' = 'vector';
  let width = 0;
  let directions = 1;
  let inputSize = 0;
  let input: ModelSignature['input'] = 'vector';

  for (const [i, raw] of (layers as unknown[]).entries()) {
    const at = `${where}: layers[${i}]`;
    if (!isObject(raw)) throw new Error(`${at} must be an object like { type: 'lstm', hiddenSize: 32 }, got ${formatValue(raw)}`);
    const type = raw.type;
    const fields = typeof type === 'string' ? FIELDS[type] : undefined;
    if (!fields) throw new Error(`${at}.type must be one of ${Object.keys(FIELDS).join(', ')}, got ${formatValue(type)}`);
    const unknown = Object.keys(raw).filter((k) => !fields.includes(k) && raw[k] !== undefined);
    if (unknown.length) throw new Error(`${at} (${type}): unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a ${type} layer takes ${fields.slice(1).join(', ')})`);
    const int = (key: string, min: number, fallback?: number): number => {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        throw new Error(`${at}.${key} must be an integer ≥ ${min}, got ${formatValue(raw[key])}`);
      }
      return v;
    };
    const bool = (key: string, fallback: boolean): boolean => {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'boolean') throw new Error(`${at}.${key} must be true or false, got ${formatValue(v)}`);
      return v;
    };
    const probability = (key: string, fallback?: number): number => {
      const v = raw[key] ?? fallback;
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${at}.${key} must be a probability in [0, 1), got ${formatValue(raw[key])}`);
      return v;
    };
    /** The input size declared by the first layer, or checked against the one inferred. */
    const inSize = (key: string): number => {
      if (i === 0) {
        if (raw[key] === undefined) throw new Error(`${at} (${type}): the first layer must declare ${key}, the size of the model's input`);
        return int(key, 1);
      }
      if (raw[key] !== undefined && raw[key] !== width) {
        throw new Error(`${at}.${key} is ${formatValue(raw[key])} but layers[${i - 1}] gives ${width} features`);
      }
      return width;
    };
    const needSequence = (): void => {
      if (flow !== 'sequence') {
        throw new Error(`${at} (${type}) needs a sequence (B, T, F), but ${i === 0 ? 'the model has no sequence input' : `layers[${i - 1}] gives one vector per example`}`);
      }
    };
    if (i === 0) {
      if (type === 'embedding') flow = 'ids';
      else if (RECURRENT_TYPES.includes(type as string) || type === 'linear') flow = sequenceInput ? 'sequence' : 'vector';
      else throw new Error(`${at}: the first layer must be embedding, rnn, lstm, gru or linear (it declares the model's input), got ${type}`);
      input = flow;
    }
    bidirectionalInput.push(type === 'takeLast' && directions === 2);

    switch (type) {
      case 'embedding': {
        if (i !== 0) throw new Error(`${at}: an embedding takes token ids, so it can only be the first layer`);
        const spec: EmbeddingSpec = { type, numEmbeddings: int('numEmbeddings', 1), embeddingDim: int('embeddingDim', 1) };
        if (raw.paddingIdx !== undefined) {
          spec.paddingIdx = int('paddingIdx', 0);
          if (spec.paddingIdx >= spec.numEmbeddings) throw new Error(`${at}.paddingIdx must be an id in [0, ${spec.numEmbeddings}), got ${spec.paddingIdx}`);
        }
        inputSize = spec.numEmbeddings;
        out.push(spec);
        flow = 'sequence';
        width = spec.embeddingDim;
        directions = 1;
        break;
      }
      case 'rnn':
      case 'lstm':
      case 'gru': {
        const inputs = inSize('inputSize');
        if (i === 0) inputSize = inputs;
        needSequence();
        const spec: RecurrentSpec = {
          type, inputSize: inputs, hiddenSize: int('hiddenSize', 1), numLayers: int('numLayers', 1, 1),
          bidirectional: bool('bidirectional', false), dropout: probability('dropout', 0), bias: bool('bias', true),
        };
        if (type === 'rnn') {
          const nl = raw.nonlinearity ?? 'tanh';
          if (nl !== 'tanh' && nl !== 'relu' && nl !== 'leaky_relu') throw new Error(`${at}.nonlinearity must be 'tanh', 'relu' or 'leaky_relu', got ${formatValue(nl)}`);
          spec.nonlinearity = nl;
          if (raw.negativeSlope !== undefined && nl !== 'leaky_relu') throw new Error(`${at}.negativeSlope is only for nonlinearity 'leaky_relu', got nonlinearity '${nl}'`);
          if (nl === 'leaky_relu') {
            const slope = raw.negativeSlope ?? 0.01;
            if (typeof slope !== 'number' || !(slope >= 0 && slope < 1)) throw new Error(`${at}.negativeSlope must be a number in [0, 1), got ${formatValue(raw.negativeSlope)}`);
            spec.negativeSlope = slope;
          }
        }
        if (type === 'lstm') {
          spec.projSize = int('projSize', 0, 0);
          if (spec.projSize >= spec.hiddenSize) throw new Error(`${at}.projSize (${spec.projSize}) must be smaller than hiddenSize (${spec.hiddenSize})`);
          spec.peepholes = bool('peepholes', false);
        }
        if (type === 'gru') spec.resetAfter = bool('resetAfter', true);
        out.push(spec);
        directions = spec.bidirectional ? 2 : 1;
        width = directions * (spec.projSize || spec.hiddenSize);
        break;
      }
      case 'takeLast':
        needSequence();
        out.push({ type });
        flow = 'vector';
        break;
      case 'linear': {
        const inputs = inSize('inFeatures');
        if (i === 0) inputSize = inputs;
        const spec: LinearSpec = { type, inFeatures: inputs, outFeatures: int('outFeatures', 1), bias: bool('bias', true) };
        out.push(spec);
        width = spec.outFeatures;
        directions = 1;
        break;
      }
      case 'activation': {
        const a = raw.activation;
        if (typeof a !== 'string' || !ACTIVATIONS.includes(a)) throw new Error(`${at}.activation must be one of ${ACTIVATIONS.join(', ')}, got ${formatValue(a)}`);
        out.push({ type, activation: a as ActivationName });
        break;
      }
      case 'dropout':
        out.push({ type, p: probability('p') });
        break;
    }
  }
  return { layers: out, signature: { input, inputSize, outputSequence: flow === 'sequence', outputSize: width, bidirectionalInput } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as it appears in messages. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v).slice(0, 60);
  } catch {
    return typeof v;
  }
}
