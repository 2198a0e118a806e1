/**
 * A {@link Sequential} model as one safetensors image: the weights under
 * their PyTorch names (`0.weight`, `1.weight_ih_l0`, …; F32, or F64 for a
 * float64 model), and in the metadata (`__metadata__.recurrent`) one JSON
 * document `{ kind: 'recurrent.sequential', version: 1, config }` with the
 * completed layer specs, precision and seed.
 *
 * Bytes in and bytes out, in any host; ./model-file.ts (Node) saves and
 * loads them as files. `serializeModel` refuses non-finite weights.
 * `parseModel` checks the document field by field and every tensor's name
 * and shape before it returns a model: bad bytes fail with a message naming
 * what is wrong, and nothing is half-loaded.
 */
import type { Backend } from '../backend/backend.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor.js';
import { formatValue, resolveLayers } from './layer-spec.js';
import { Sequential } from './sequential.js';

const META_KEY = 'recurrent';
const KIND = 'recurrent.sequential';
const VERSION = 1;

/** The model's configuration and weights as safetensors bytes. `where` names the caller in messages. */
export function serializeModel(model: Sequential, where = 'serializeModel'): Uint8Array {
  if (!(model instanceof Sequential)) throw new Error(`${where}: expected a Sequential model, got ${formatValue(model)}`);
  const tensors = new Map<string, Tensor>(Object.entries(model.stateDict()));
  for (const [name, t] of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i] as number)) throw new Error(`${where}: not written, '${name}' holds ${t.data[i]} at index ${i}`);
    }
  }
  const document = JSON.stringify({ kind: KIND, version: VERSION, config: model.config });
  return serializeSafetensors(tensors, { [META_KEY]: document }, model.dtype === 'float64' ? 'F64' : 'F32');
}

/** A model from the bytes {@link serializeModel} made. `backend` selects the kernels to run on; `where` names the caller in messages. */
export function parseModel(bytes: Uint8Array, options: { backend?: Backend } = {}, where = 'parseModel'): Sequential {
  let contents;
  try {
    contents = parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`${where}: unreadable or corrupt: ${(e as Error).message}`, { cause: e });
  }
  const document = contents.metadata[META_KEY];
  if (document === undefined) throw new Error(`${where}: a safetensors file, but not a saved model (no '${META_KEY}' metadata)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new Error(`${where}: its '${META_KEY}' metadata is not valid JSON`);
  }
  const doc = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  if (doc.kind !== KIND) throw new Error(`${where}: holds ${formatValue(doc.kind)}, expected '${KIND}' (a Sequential model)`);
  if (doc.version !== VERSION) throw new Error(`${where}: format version ${formatValue(doc.version)} is not supported (this version reads ${VERSION})`);
  const config = doc.config as Record<string, unknown> | undefined;
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error(`${where}: config must be an object, got ${formatValue(config)}`);
  if (config.dtype !== 'float32' && config.dtype !== 'float64') throw new Error(`${where}: config.dtype must be 'float32' or 'float64', got ${formatValue(config.dtype)}`);
  if (typeof config.seed !== 'number' || !Number.isInteger(config.seed)) throw new Error(`${where}: config.seed must be an integer, got ${formatValue(config.seed)}`);
  const { layers } = resolveLayers(config.layers, `${where}: config`);
  const model = new Sequential(layers, { dtype: config.dtype, seed: config.seed, ...(options.backend ? { backend: options.backend } : {}) });
  try {
    model.loadStateDict(contents.tensors);
  } catch (e) {
    throw new Error(`${where}: the weights do not fit the configuration: ${(e as Error).message}`, { cause: e });
  }
  return model;
}
