/**
 * Checking JSON read from files against a schema, with messages that name
 * the field: `train.batchSize: expected an integer in [1, 4294967295], got "32"`.
 *
 * A schema is built from checks; each takes a value and the path it was
 * found at and returns the value typed, or throws {@link SchemaError}:
 *
 *   const point = object({ x: number(), label: optional(string()) });
 *   const p = point(JSON.parse(text), 'point');   // { x: number; label?: string }
 */

/** A value that does not fit its schema; `path` names the field (`trainer.history[2].step`). */
export class SchemaError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'SchemaError';
  }
}

/** Checks `value` found at `path`; returns it typed or throws {@link SchemaError}. */
export type Check<T> = (value: unknown, path: string) => T;

/** A check of an object field that may be absent. */
export type OptionalCheck<T> = Check<T | undefined> & { readonly optional: true };

type Shape = Record<string, Check<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalCheck<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
/** The type an object check returns. */
export type Infer<S extends Shape> = { [K in RequiredKeys<S>]: ReturnType<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<ReturnType<S[K]>, undefined> };

function expected(path: string, what: string, value: unknown): never {
  throw new SchemaError(path, `expected ${what}, got ${describe(value)}`);
}

/** An integer in [min, max]. */
export function integer(min: number, max: number): Check<number> {
  return (v, path) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : expected(path, `an integer in [${min}, ${max}]`, v));
}

/** A finite number in [min, max] (or (min, max] with `exclusiveMin`, [min, max) with `exclusiveMax`). */
export function number(o: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): Check<number> {
  const { min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false } = o;
  const range = `${exclusiveMin ? '(' : '['}${min}, ${max}${exclusiveMax ? ')' : ']'}`;
  const what = min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in ${range}`;
  return (v, path) =>
    typeof v === 'number' && Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && (exclusiveMax ? v < max : v <= max) ? v : expected(path, what, v);
}

export function string(o: { pattern?: RegExp; maxLength?: number } = {}): Check<string> {
  return (v, path) => {
    if (typeof v !== 'string') return expected(path, 'a string', v);
    if (o.maxLength !== undefined && v.length > o.maxLength) return expected(path, `a string of at most ${o.maxLength} characters`, v);
    if (o.pattern && !o.pattern.test(v)) return expected(path, `a string matching ${o.pattern}`, v);
    return v;
  };
}

export function boolean(): Check<boolean> {
  return (v, path) => (typeof v === 'boolean' ? v : expected(path, 'true or false', v));
}

/** One of the given strings. */
export function oneOf<T extends string>(choices: readonly T[]): Check<T> {
  return (v, path) => ((choices as readonly unknown[]).includes(v) ? (v as T) : expected(path, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, v));
}

/** `null`, or what `check` accepts. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path) => (v === null ? null : check(v, path));
}

/** The first check that accepts the value; the message lists what each expected. */
export function either<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return (v, path) => {
    try {
      return a(v, path);
    } catch (ea) {
      try {
        return b(v, path);
      } catch (eb) {
        if (!(ea instanceof SchemaError && eb instanceof SchemaError)) throw ea;
        throw new SchemaError(path, `${ea.problem.replace(/, got .*$/, '')} or ${eb.problem.replace(/^expected /, '')}`);
      }
    }
  };
}

/** A field that may be absent (undefined); present, it must pass `check`. */
export function optional<T>(check: Check<T>): OptionalCheck<T> {
  return Object.assign((v: unknown, path: string) => (v === undefined ? undefined : check(v, path)), { optional: true as const });
}

/** An array (of exactly `length`, or at most `maxLength`, elements) whose elements pass `check`. */
export function arrayOf<T>(check: Check<T>, o: { length?: number; maxLength?: number } = {}): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return expected(path, o.length !== undefined ? `an array of ${o.length}` : 'an array', v);
    if (o.length !== undefined && v.length !== o.length) return expected(path, `an array of ${o.length}`, v);
    if (o.maxLength !== undefined && v.length > o.maxLength) return expected(path, `an array of at most ${o.maxLength}`, v);
    return v.map((x, i) => check(x, `${path}[${i}]`));
  };
}

/** An object with these fields (others are ignored, and dropped from the result). */
export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return expected(path, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const field = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
      const at = path ? `${path}.${key}` : key;
      if (field === undefined && !('optional' in check)) throw new SchemaError(at, 'missing');
      const checked = check(field, at);
      if (checked !== undefined) out[key] = checked;
    }
    return out as Infer<S>;
  };
}

/** An object used as a map: any keys, every value passing `check`. */
export function record<T>(check: Check<T>): Check<Record<string, T>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return expected(path, 'an object', v);
    const out: Record<string, T> = {};
    for (const [key, value] of Object.entries(v)) out[key] = check(value, `${path}[${JSON.stringify(key)}]`);
    return out;
  };
}

/** Short description of a JSON value for messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length <= 40 ? v : `${v.slice(0, 37)}...`);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** `'a', 'b', 'c'` — at most `max` names quoted, then `and N more`, so a message stays short however many there are. */
export function listSome(names: readonly string[], max = 10): string {
  const quote = (n: string): string => `'${n.length <= 60 ? n : `${n.slice(0, 57)}...`}'`;
  const shown = names.slice(0, max).map(quote).join(', ');
  return names.length > max ? `${shown} and ${(names.length - max).toLocaleString('en-US')} more` : shown;
}
