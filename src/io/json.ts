/**
 * JSON from untrusted files, parsed only after a linear scan has bounded its
 * nesting: a header nested 100 000 deep would otherwise exhaust the stack of
 * whatever walks the value afterwards (or of the parser itself) and escape as
 * a bare `RangeError`.
 */

/** Nesting depth of the arrays and objects of `text` (brackets inside strings ignored). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/**
 * `JSON.parse(text)` when `text` nests at most `maxDepth` levels; otherwise,
 * or when it is not JSON, calls `fail` with the reason.
 */
export function parseBoundedJson(text: string, maxDepth: number, fail: (reason: string) => never): unknown {
  const depth = jsonDepth(text);
  if (depth > maxDepth) fail(`nests ${depth} levels deep, more than the ${maxDepth} allowed`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return fail(`is not valid JSON: ${(e as Error).message}`);
  }
}
