/**
 * The parts of a trainer's state every checkpoint stores the same way:
 *
 *   generator  {"s": [four uint32], "spareNormal": number | null}   (a Random's state)
 *   optimiser  {"type", "step", "size", "hyper", "buffers": {name: null}, "present": [names]}
 *              in the document; each buffer with values is the tensor `optimizer.<name>`
 *              (one float32 per parameter), so the document stays small.
 *
 * {@link optimizerTensors} splits an optimiser's state for writing;
 * {@link readOptimizerState} joins it again on load, checking that the type is
 * the one expected, the size is the model's, and every buffer named is a
 * tensor of that size (and no other optimiser tensor is there).
 */
import { formatShape, type Tensor } from '../tensor.js';
import type { OptimizerState, OptimizerType } from '../train/optim.js';
import {
  arrayOf, boolean, type Check, either, integer, listSome, nullable, number, object, oneOf, optional, record, SchemaError, string,
} from './schema.js';

/** Tensor names of optimiser buffers start with this. */
export const OPTIMIZER_PREFIX = 'optimizer.';

const OPTIMIZER_TYPES: readonly OptimizerType[] = ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad'];
const count = integer(0, Number.MAX_SAFE_INTEGER);

/** A Random's state. */
export const randomStateSchema = object({ s: arrayOf(integer(0, 0xffffffff), { length: 4 }), spareNormal: nullable(number()) });

/** `null`: optimiser buffers are stored as tensors, the document only names them. */
const nothing: Check<null> = (v, path) => {
  if (v !== null) throw new SchemaError(path, `expected null (the buffer is stored as the tensor '${OPTIMIZER_PREFIX}…'), got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return null;
};

/** An optimiser's state as a document stores it (buffers named, values in tensors). */
export const optimizerStateSchema = object({
  type: oneOf(OPTIMIZER_TYPES),
  step: count,
  size: count,
  hyper: record(either(either(number(), boolean()), arrayOf(number(), { maxLength: 16 }))),
  buffers: record(nothing),
  present: optional(arrayOf(string())),
});

/** A checked optimiser document. */
export type OptimizerDocument = ReturnType<typeof optimizerStateSchema>;

/** Splits a state for writing: the document part, and the buffers with values as tensors `optimizer.<name>`. */
export function optimizerTensors(state: OptimizerState): { document: OptimizerDocument; tensors: Map<string, Tensor> } {
  const tensors = new Map<string, Tensor>();
  const buffers: Record<string, null> = {};
  const present: string[] = [];
  for (const [name, values] of Object.entries(state.buffers)) {
    buffers[name] = null;
    if (!values) continue;
    tensors.set(OPTIMIZER_PREFIX + name, { data: Float32Array.from(values), shape: [values.length] });
    present.push(name);
  }
  return { document: { ...state, hyper: { ...state.hyper } as OptimizerDocument['hyper'], buffers, present }, tensors };
}

/**
 * The optimiser state from its document and the file's `optimizer.` tensors:
 * of type `type`, for `size` parameters. `bad` makes the error to throw,
 * naming the file.
 */
export function readOptimizerState(
  doc: OptimizerDocument, tensors: ReadonlyMap<string, Tensor>, expected: { type: OptimizerType; size: number; typeSource: string },
  bad: (what: string) => Error,
): OptimizerState {
  const { present = [], ...state } = doc;
  if (state.type !== expected.type) throw bad(`trainer.optimizer.type is ${state.type}, but ${expected.typeSource}`);
  if (state.size !== expected.size) throw bad(`trainer.optimizer.size is ${state.size}, but the model has ${expected.size} parameters`);
  const buffers: Record<string, number[] | null> = {};
  for (const name of Object.keys(state.buffers)) {
    const t = tensors.get(OPTIMIZER_PREFIX + name);
    if (!t) {
      if (present.includes(name)) throw bad(`optimizer buffer '${name}' is missing (no tensor '${OPTIMIZER_PREFIX}${name}')`);
      buffers[name] = null;
      continue;
    }
    if (t.shape.length !== 1 || t.data.length !== expected.size) throw bad(`tensor '${OPTIMIZER_PREFIX}${name}' has shape ${formatShape(t.shape)}, expected [${expected.size}]`);
    buffers[name] = Array.from(t.data);
  }
  const unknown = [...tensors.keys()].filter((k) => k.startsWith(OPTIMIZER_PREFIX) && !Object.hasOwn(state.buffers, k.slice(OPTIMIZER_PREFIX.length)));
  if (unknown.length) throw bad(`unexpected optimizer tensors ${listSome(unknown)}`);
  const absent = present.filter((name) => !Object.hasOwn(state.buffers, name));
  if (absent.length) throw bad(`trainer.optimizer.present names ${listSome(absent)}, not among its buffers`);
  return { ...state, buffers };
}
