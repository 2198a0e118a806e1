/**
 * Argument checks at the public boundary. Messages name the module, the
 * argument, what was expected and what came.
 */
import { type Tensor, firstNonFinite, formatShape, numel } from './tensor.js';

/** Throws unless `t` is a tensor whose data fills its shape. */
export function checkTensor(module: string, arg: string, t: unknown): asserts t is Tensor {
  const v = t as Tensor | undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.shape) || !(v.data instanceof Float32Array || v.data instanceof Float64Array)) {
    throw new TypeError(`${module}: ${arg} must be a tensor { data: Float32Array | Float64Array, shape: number[] }`);
  }
  if (v.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${module}: ${arg} has an invalid shape ${formatShape(v.shape)}`);
  }
  if (v.data.length !== numel(v.shape)) {
    throw new Error(`${module}: ${arg} has ${v.data.length} values but shape ${formatShape(v.shape)} needs ${numel(v.shape)}`);
  }
}

/** Throws unless `t` has exactly the expected shape. */
export function checkShape(module: string, arg: string, t: Tensor, expected: readonly number[], meaning: string): void {
  const ok = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!ok) throw new Error(`${module}: expected ${arg} of shape ${meaning} = ${formatShape(expected)}, got ${formatShape(t.shape)}`);
}

/** Throws if any value is NaN or ±Infinity, naming the position. */
export function checkFinite(module: string, arg: string, t: Tensor): void {
  const i = firstNonFinite(t.data);
  if (i >= 0) {
    throw new Error(`${module}: ${arg} contains a non-finite value (${t.data[i]}) at flat index ${i}; inputs must be finite`);
  }
}

/** Validates per-sequence lengths: integers in [1, T], one per batch row. */
export function checkLengths(module: string, lengths: ArrayLike<number>, B: number, T: number): Int32Array {
  if (lengths.length !== B) throw new Error(`${module}: expected ${B} lengths (one per sequence), got ${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const l = lengths[b] as number;
    if (!Number.isInteger(l) || l < 1 || l > T) {
      throw new Error(`${module}: lengths[${b}] = ${l} is out of range; each length must be an integer in [1, ${T}] (the sequence length)`);
    }
    out[b] = l;
  }
  return out;
}

/**
 * Throws on an option key the module does not know, naming the key and the
 * closest known one (a snake_case key is hinted as its camelCase spelling):
 * `LSTM: unknown option 'num_layers' (did you mean 'numLayers'?)`.
 */
export function checkOptionKeys(module: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${module}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = closestName(key, known);
    throw new Error(`${module}: unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; valid options: ${known.join(', ')}`);
  }
}

/** The known name closest to `key`: its camelCase form when known, else the nearest by edit distance (at most a third of its length). */
export function closestName(key: string, known: readonly string[]): string | null {
  const camel = key.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  const lower = camel.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
