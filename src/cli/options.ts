/**
 * Parsers for command-line values, each with a message that names what was
 * expected. Integers are plain decimal digits (`0x10`, `1e3` and `16.0` are
 * refused, not reinterpreted) within a range; numbers are decimal with an
 * optional exponent, and finite.
 */
import { InvalidArgumentError } from 'commander';
import { CELL_TYPES, type CellType } from '../cells/index.js';

const DECIMAL_INTEGER = /^\d+$/;
const DECIMAL_NUMBER = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A decimal integer in [min, max]. */
export function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = DECIMAL_INTEGER.test(value) ? Number(value) : Number.NaN;
    if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max.toLocaleString('en-US')} in decimal digits, got '${value}'`);
    }
    return n;
  };
}

export const positiveInt = integerIn(1, Number.MAX_SAFE_INTEGER);
export const nonNegativeInt = integerIn(0, Number.MAX_SAFE_INTEGER);

/** A finite decimal number (with optional exponent) accepted by `ok`. */
function decimal(value: string, ok: (n: number) => boolean, expected: string): number {
  const n = DECIMAL_NUMBER.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isFinite(n) && ok(n))) throw new InvalidArgumentError(`expected ${expected}, got '${value}'`);
  return n;
}

export function positiveNumber(value: string): number {
  return decimal(value, (n) => n > 0, 'a positive number');
}

export function nonNegativeNumber(value: string): number {
  return decimal(value, (n) => n >= 0, 'a number ≥ 0');
}

export function fraction(value: string): number {
  return decimal(value, (n) => n > 0 && n < 1, 'a number between 0 and 1');
}

export function probability(value: string): number {
  return decimal(value, (n) => n >= 0 && n < 1, 'a probability in [0, 1)');
}

export function unitInterval(value: string): number {
  return decimal(value, (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
}

/** `90`, `90s`, `15m`, `1.5h` → seconds (positive and finite). */
export function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 90s, 15m or 1h, got '${value}'`);
  const n = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`expected a positive duration, got '${value}'`);
  return n;
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** A cell type; `rnn` is short for `rnn_tanh`. */
export function cellType(value: string): CellType {
  if (value === 'rnn') return 'rnn_tanh';
  if (!(CELL_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${CELL_TYPES.join(', ')} (rnn = rnn_tanh), got '${value}'`);
  return value as CellType;
}

/** `1h 2m 3s` style. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  const total = Math.max(0, Math.round(s));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
