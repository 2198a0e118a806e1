/**
 * ONNX import: a model whose graph is a chain of RNN, LSTM and GRU nodes
 * (with the Transpose, Reshape, Slice, Concat and Squeeze glue exporters
 * write between them, ./glue.ts) becomes one library layer per recurrent
 * node, weights loaded, and a `run` that evaluates the graph with them.
 *
 * Per node (D = 2 if bidirectional, G gates, ./gates.ts reorders them):
 *   W (D, G·H, I) → weight_ih_l0[_reverse]   R (D, G·H, H) → weight_hh_l0[_reverse]
 *   B (D, 2·G·H) = [Wb | Rb] → bias_ih, bias_hh (absent: zeros)
 *   P (D, 3·H) = [p_i, p_o, p_f] → weight_peep rows p_i, p_f, p_o
 *   X (T, B, I), Y (T, D, B, H), Y_h, Y_c (D, B, H) — layout 1: (B, T, I), (B, T, D, H), (B, D, H)
 * `linear_before_reset` 1 is a GRU with resetAfter (PyTorch's), 0 without.
 * Activations: the defaults (RNN Tanh; LSTM Sigmoid, Tanh, Tanh; GRU
 * Sigmoid, Tanh), and Relu or LeakyRelu (activation_alpha = the slope) for
 * an RNN. `clip` is the layer's cell clip (option `clip`). direction
 * "reverse" has no layer of its own: each row's first
 * sequence_lens[b] steps are reversed, run forward, and reversed back
 * — the reverse scan, exactly. Refused, with the node named: other
 * activations, `input_forget` = 1, weights that are not
 * initializers or whose shapes disagree with hidden_size and the input size.
 *
 * The whole graph is checked before anything is built: an import returns a
 * complete model or throws.
 */
import { concat, expand, gather, reshape, shapeOf, slice, squeeze, transpose, unsqueeze, type Value } from './glue.js';
import { type Attributes, attributeInt, attributeInts, type Step, toNumber } from './attributes.js';
import { type ImportedRecurrent, recurrentNode } from './recurrent-node.js';
import { DATA_TYPE, onnxProto, type ONNX } from './proto.js';

export type { Value } from './glue.js';
export type { ImportedRecurrent } from './recurrent-node.js';

/** A value fed to {@link ImportedONNX.run}: floats, or integers for integer inputs (sequence_lens). */
export interface Feed {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export interface ImportedONNX {
  /** The graph's inputs, all required by `run`. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The recurrent nodes in graph order. */
  readonly recurrent: readonly ImportedRecurrent[];
  /** The graph's outputs for the given inputs (float32; integers as Int32Array). */
  run(feeds: Readonly<Record<string, Feed>>): Record<string, Value>;
}

const RECURRENT = new Set(['RNN', 'LSTM', 'GRU']);
const GLUE = new Set(['Transpose', 'Reshape', 'Slice', 'Concat', 'Squeeze', 'Identity', 'Constant', 'Shape', 'Gather', 'Unsqueeze', 'Expand']);

/** An int64 clamped to the int32 range: exporters write INT64_MAX for "to the end" (Slice), which must stay huge. */
function toInt32(v: number): number {
  return Math.min(Math.max(v, -0x80000000), 0x7fffffff);
}

/** An initializer's values (int64s as clamped int32s), checked against its dims. */
function readTensor(t: ONNX.ITensorProto): Value {
  const name = t.name ?? '';
  const shape = (t.dims ?? []).map(toNumber);
  const n = shape.reduce((a, d) => a * d, 1);
  if (t.dataLocation === 1) throw new Error(`ONNX import: initializer '${name}' is stored in an external file, which is not supported`);
  const raw = t.rawData && t.rawData.length > 0 ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : null;
  let data: Float32Array | Int32Array;
  const width = t.dataType === DATA_TYPE.INT64 || t.dataType === DATA_TYPE.DOUBLE ? 8 : 4;
  const count = raw ? raw.byteLength / width : null;
  switch (t.dataType) {
    case DATA_TYPE.FLOAT:
      data = raw ? Float32Array.from({ length: count! }, (_, i) => raw.getFloat32(4 * i, true)) : Float32Array.from(t.floatData ?? []);
      break;
    case DATA_TYPE.DOUBLE:
      data = raw ? Float32Array.from({ length: count! }, (_, i) => raw.getFloat64(8 * i, true)) : Float32Array.from(t.doubleData ?? []);
      break;
    case DATA_TYPE.INT32:
      data = raw ? Int32Array.from({ length: count! }, (_, i) => raw.getInt32(4 * i, true)) : Int32Array.from(t.int32Data ?? []);
      break;
    case DATA_TYPE.INT64:
      data = raw ? Int32Array.from({ length: count! }, (_, i) => toInt32(Number(raw.getBigInt64(8 * i, true)))) : Int32Array.from((t.int64Data ?? []).map((v) => toInt32(toNumber(v))));
      break;
    default:
      throw new Error(`ONNX import: initializer '${name}' has data type ${String(t.dataType)}; only float, double, int32 and int64 are supported`);
  }
  if (data.length !== n) throw new Error(`ONNX import: initializer '${name}' has ${data.length} values for its shape (${shape.join(', ')}) of ${n}`);
  return { data, shape };
}

/** The model's protobuf, decoded; a clear error for bytes that are not one. */
async function decode(bytes: Uint8Array): Promise<ONNX.ModelProto> {
  const onnx = await onnxProto();
  let model: ONNX.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`ONNX import: the bytes are not an ONNX model (protobuf decoding failed: ${(e as Error).message})`, { cause: e });
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) throw new Error('ONNX import: the model has no graph or its graph has no nodes');
  return model;
}

/**
 * The layers and runner of an ONNX model of recurrent nodes.
 * @throws Error naming the node, tensor or value at fault, before anything is returned.
 */
export async function importONNX(bytes: Uint8Array): Promise<ImportedONNX> {
  const graph = (await decode(bytes)).graph!;
  const constants = new Map<string, Value>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', readTensor(t));
  const inputTypes = new Map<string, number>();
  for (const i of graph.input ?? []) {
    if (!constants.has(i.name ?? '')) inputTypes.set(i.name ?? '', i.type?.tensorType?.elemType ?? DATA_TYPE.FLOAT);
  }
  const known = new Set([...constants.keys(), ...inputTypes.keys()]);
  const steps: Step[] = [];
  const recurrent: ImportedRecurrent[] = [];
  (graph.node ?? []).forEach((node, index) => {
    const op = node.opType ?? '';
    const where = `node '${node.name || `#${index}`}' (${op})`;
    if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') throw new Error(`ONNX import: ${where} is in domain '${node.domain}', which is not supported`);
    if (!RECURRENT.has(op) && !GLUE.has(op)) {
      throw new Error(`ONNX import: ${where}: operator ${op} is not supported (only RNN, LSTM, GRU and ${[...GLUE].join(', ')})`);
    }
    const inputs = node.input ?? [];
    for (const name of inputs) {
      if (name !== '' && !known.has(name)) throw new Error(`ONNX import: ${where} reads '${name}', which is neither a graph input, an initializer nor an earlier node's output`);
    }
    const attributes: Attributes = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
    if (op === 'Constant') {
      // A value known now: later nodes may read it where they need an initializer (shapes, axes, bounds).
      const value = attributes.get('value')?.t;
      if (!value) throw new Error(`ONNX import: ${where}: only a Constant with a tensor 'value' is supported`);
      constants.set(node.output?.[0] ?? '', readTensor({ ...value, name: node.output?.[0] ?? '' } as ONNX.ITensorProto));
    } else if (RECURRENT.has(op)) {
      const built = recurrentNode(op as ImportedRecurrent['operator'], where, node.name || `#${index}`, inputs, node.output ?? [], attributes, constants);
      recurrent.push(built.imported);
      steps.push(built.step);
    } else {
      steps.push(glueNode(op, where, inputs, node.output ?? [], attributes, constants));
    }
    for (const name of node.output ?? []) if (name !== '') known.add(name);
  });
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  for (const name of outputs) if (!known.has(name)) throw new Error(`ONNX import: graph output '${name}' is computed by no node`);
  const inputNames = [...inputTypes.keys()];
  return {
    inputs: inputNames,
    outputs,
    recurrent,
    run(feeds) {
      const env = new Map(constants);
      for (const name of inputNames) {
        const feed = feeds[name];
        if (!feed) throw new Error(`ONNX model: input '${name}' is missing`);
        const n = feed.shape.reduce((a, d) => a * d, 1);
        if (feed.data.length !== n) throw new Error(`ONNX model: input '${name}' has ${feed.data.length} values for its shape (${feed.shape.join(', ')})`);
        const float = inputTypes.get(name) === DATA_TYPE.FLOAT || inputTypes.get(name) === DATA_TYPE.DOUBLE;
        env.set(name, { data: float ? Float32Array.from(feed.data) : Int32Array.from(feed.data), shape: [...feed.shape] });
      }
      for (const step of steps) step(env);
      return Object.fromEntries(outputs.map((name) => [name, env.get(name)!]));
    },
  };
}

/** The integers of a constant input (Reshape's shape, Slice's bounds, Squeeze's axes). */
function constantInts(constants: ReadonlyMap<string, Value>, name: string | undefined, where: string, what: string): number[] | null {
  if (!name) return null;
  const v = constants.get(name);
  if (!v) throw new Error(`ONNX import: ${where}: ${what} '${name}' must be an initializer`);
  return [...v.data];
}

function glueNode(op: string, where: string, inputs: readonly string[], outputs: readonly string[], a: Attributes, constants: ReadonlyMap<string, Value>): Step {
  const out = outputs[0] ?? '';
  const x = inputs[0] ?? '';
  let f: (env: Map<string, Value>) => Value;
  switch (op) {
    case 'Identity':
      f = (env) => env.get(x)!;
      break;
    case 'Transpose': {
      const perm = attributeInts(a, 'perm');
      f = (env) => transpose(env.get(x)!, perm);
      break;
    }
    case 'Reshape': {
      const shape = constantInts(constants, inputs[1], where, 'shape');
      if (!shape) throw new Error(`ONNX import: ${where} has no shape input`);
      if (attributeInt(a, 'allowzero', 0) !== 0) throw new Error(`ONNX import: ${where}: allowzero = 1 is not supported`);
      f = (env) => reshape(env.get(x)!, shape);
      break;
    }
    case 'Slice': {
      const starts = constantInts(constants, inputs[1], where, 'starts');
      const ends = constantInts(constants, inputs[2], where, 'ends');
      if (!starts || !ends || starts.length !== ends.length) throw new Error(`ONNX import: ${where} needs starts and ends of one length`);
      const axes = constantInts(constants, inputs[3], where, 'axes');
      const steps = constantInts(constants, inputs[4], where, 'steps');
      if (steps && steps.some((s) => s !== 1)) throw new Error(`ONNX import: ${where}: steps other than 1 are not supported`);
      f = (env) => slice(env.get(x)!, starts, ends, axes);
      break;
    }
    case 'Concat': {
      const axis = attributeInt(a, 'axis', 0);
      f = (env) => concat(inputs.map((name) => env.get(name)!), axis);
      break;
    }
    case 'Shape':
      if (a.has('start') || a.has('end')) throw new Error(`ONNX import: ${where}: start and end are not supported`);
      f = (env) => shapeOf(env.get(x)!);
      break;
    case 'Gather': {
      const axis = attributeInt(a, 'axis', 0);
      f = (env) => gather(env.get(x)!, env.get(inputs[1] ?? '')!, axis);
      break;
    }
    case 'Unsqueeze': {
      const axes = constantInts(constants, inputs[1], where, 'axes') ?? attributeInts(a, 'axes');
      if (!axes) throw new Error(`ONNX import: ${where} has no axes`);
      f = (env) => unsqueeze(env.get(x)!, axes);
      break;
    }
    case 'Expand':
      f = (env) => expand(env.get(x)!, [...env.get(inputs[1] ?? '')!.data]);
      break;
    default: {
      const axes = constantInts(constants, inputs[1], where, 'axes') ?? attributeInts(a, 'axes');
      f = (env) => squeeze(env.get(x)!, axes);
    }
  }
  return (env) => {
    try {
      env.set(out, f(env));
    } catch (e) {
      throw new Error(`ONNX model: ${where}: ${(e as Error).message}`, { cause: e });
    }
  };
}
