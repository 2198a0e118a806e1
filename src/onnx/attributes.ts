/** Reading an ONNX node's attributes (and protobuf int64s, which decode as numbers or Longs). */
import type { ONNX } from './proto.js';
import type { Value } from './glue.js';

/** A node's attributes by name. */
export type Attributes = ReadonlyMap<string, ONNX.IAttributeProto>;

/** One node of an imported graph, evaluated: reads its inputs from `env`, writes its outputs. */
export type Step = (env: Map<string, Value>) => void;

/** An int64 as decoded (a number, or a Long when long.js is installed) as a number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  return v == null ? 0 : typeof v === 'number' ? v : v.toNumber();
}

export function attributeInt(a: Attributes, name: string, fallback: number): number {
  const v = a.get(name);
  return v ? toNumber(v.i) : fallback;
}

export function attributeInts(a: Attributes, name: string): number[] | null {
  const v = a.get(name);
  return v ? (v.ints ?? []).map(toNumber) : null;
}

export function attributeFloats(a: Attributes, name: string): number[] | null {
  const v = a.get(name);
  return v ? [...(v.floats ?? [])] : null;
}

export function attributeString(a: Attributes, name: string, fallback: string): string {
  const v = a.get(name);
  return v ? new TextDecoder().decode(v.s ?? new Uint8Array()) : fallback;
}

export function attributeStrings(a: Attributes, name: string): string[] | null {
  const v = a.get(name);
  return v ? (v.strings ?? []).map((s) => new TextDecoder().decode(s)) : null;
}
