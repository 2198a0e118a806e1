/**
 * The cell clip (ONNX's `clip`): every gate pre-activation `a` enters its
 * activation as `min(max(a, −clip), clip)`, and its gradient is zero where
 * the bound was taken. ∞ (the default) is no clip.
 */

/** The `clip` option checked: a positive number (∞ allowed), ∞ when absent. */
export function cellClip(moduleName: string, clip: unknown): number {
  if (clip === undefined) return Infinity;
  if (typeof clip !== 'number' || !(clip > 0)) throw new Error(`${moduleName}: clip must be a positive number, got ${String(clip)}`);
  return clip;
}
