/** Shared test helpers: fixture loading and tolerance comparisons that report the max difference. */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Random } from '../src/random.js';
import { allocate, type DType, type Tensor } from '../src/tensor.js';

/** Project root, from the compiled `dist/test/` directory. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

export function fixtureExists(name: string): boolean {
  return existsSync(fixturePath(name));
}

/** A fixture tensor as a library tensor of the given precision. */
export function toTensor(f: FixtureTensor, dtype: DType): Tensor {
  const data = allocate(dtype, f.data.length);
  data.set(f.data);
  return { data, shape: f.shape };
}

export interface Comparison {
  maxAbs: number;
  maxRel: number;
}

/**
 * Asserts `actual ≈ expected` elementwise: |a − e| ≤ rtol·(|e| + max|expected|),
 * i.e. relative tolerance with an absolute floor scaled by the tensor's largest
 * magnitude. Returns the largest differences seen.
 */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: FixtureTensor | Tensor, rtol: number, what: string): Comparison {
  const a = 'data' in actual ? actual.data : actual;
  const e = expected.data;
  if ('shape' in actual && 'shape' in expected) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  }
  assert.equal(a.length, e.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < e.length; i++) scale = Math.max(scale, Math.abs(e[i] as number));
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const ai = a[i] as number;
    const ei = e[i] as number;
    const diff = Math.abs(ai - ei);
    if (!(diff <= rtol * (Math.abs(ei) + scale))) {
      const excess = Number.isNaN(diff) ? Infinity : diff / (rtol * (Math.abs(ei) + scale));
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
    maxAbs = Math.max(maxAbs, diff);
    if (scale > 0) maxRel = Math.max(maxRel, diff / scale);
  }
  if (worst >= 0) {
    assert.fail(`${what}: element ${worst} is ${a[worst]}, expected ${e[worst]} (rtol ${rtol}, max |diff| ${maxAbs.toExponential(2)})`);
  }
  return { maxAbs, maxRel };
}

/** A deterministic text of random words, `lines` lines long. */
export function wordText(
  lines: number, seed = 1,
  words: readonly string[] = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'and', 'cat', 'runs', 'far', 'away', 'home'],
): string {
  const rng = new Random(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 4 + rng.int(6);
    out.push(Array.from({ length: n }, () => words[rng.int(words.length)]).join(' ') + (rng.next() < 0.3 ? '.' : ','));
  }
  return out.join('\n') + '\n';
}
