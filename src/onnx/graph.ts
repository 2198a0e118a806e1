/**
 * Building an ONNX graph: nodes, initializers (weights stored as
 * little-endian `raw_data`), typed inputs and outputs, and the model's
 * protobuf bytes — encoded by onnx-proto (./proto.ts), nothing by hand.
 */
import { ATTRIBUTE_TYPE as AttributeType, DATA_TYPE as DataType, onnxProto, type ONNX } from './proto.js';

/** The operator set the exported models declare (RNN, LSTM and GRU as of opset 14, with `layout`). */
export const OPSET = 14;
/** The IR version that goes with opset 14. */
export const IR_VERSION = 7;

/** A dimension: a size, or the name of a size given at run time (`T`, `B`). */
export type Dim = number | string;

/** An attribute's value: an integer, a float (`{ float }`), a string, or a list of integers, floats or strings. */
export type AttributeValue = number | { float: number } | string | { ints: readonly number[] } | { floats: readonly number[] } | { strings: readonly string[] };

function attribute(name: string, v: AttributeValue): ONNX.IAttributeProto {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('ints' in v) return { name, type: AttributeType.INTS, ints: [...v.ints] };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: [...v.floats] };
  return { name, type: AttributeType.STRINGS, strings: v.strings.map((s) => new TextEncoder().encode(s)) };
}

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): ONNX.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export class GraphBuilder {
  private readonly nodes: ONNX.INodeProto[] = [];
  private readonly initializers: ONNX.ITensorProto[] = [];
  private readonly inputs: ONNX.IValueInfoProto[] = [];
  private readonly outputs: ONNX.IValueInfoProto[] = [];

  /** Appends a node; an empty input name is an omitted optional input. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): void {
    this.nodes.push({
      opType, input: [...inputs], output: [...outputs], name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
  }

  /** A float32 weight; returns its name. */
  floats(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    const raw = new Uint8Array(4 * data.length);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i] as number, true);
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw });
    return name;
  }

  /** A 1-D int64 constant (shapes, slice bounds); returns its name. */
  int64s(name: string, values: readonly number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, int64Data: [...values] });
    return name;
  }

  input(name: string, elemType: 'float' | 'int32' | 'int64', dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, ELEMENT_TYPE[elemType], dims));
    return name;
  }

  output(name: string, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, DataType.FLOAT, dims));
    return name;
  }

  /**
   * The model's protobuf bytes.
   * @throws Error saying how to install onnx-proto when it is missing.
   */
  async encode(graphName: string, docString: string): Promise<Uint8Array> {
    const model: ONNX.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'recurrent',
      docString,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    return (await onnxProto()).ModelProto.encode(model).finish();
  }
}

const ELEMENT_TYPE = { float: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64 } as const;
