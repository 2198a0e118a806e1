/**
 * What decoding returns for each source: the generated tokens, their
 * log-probability, a ranking score and every step's attention weights.
 */
import type { Tensor } from '../tensor.js';

export interface Hypothesis {
  /** The generated target ids, without the final `<eos>`. */
  tokens: number[];
  /** Whether decoding ended with `<eos>` (else it stopped at the maximum length). */
  finished: boolean;
  /** Σ log p(token) over the generated tokens, `<eos>` included. */
  logProb: number;
  /** The score hypotheses were ranked by: logProb divided by the length penalty (greedy: logProb). */
  score: number;
  /**
   * (steps, sourceLength): the attention weights of every decoding step over
   * the source's valid steps — one row per generated token, `<eos>` included
   * (so `tokens.length + 1` rows when finished); null without attention.
   */
  attention: Tensor | null;
}

/** log Σ_k exp(z[offset + k]) over `width` values, with the maximum subtracted first. */
export function logSumExp(z: ArrayLike<number>, offset: number, width: number): number {
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, z[offset + k] as number);
  let sum = 0;
  for (let k = 0; k < width; k++) sum += Math.exp((z[offset + k] as number) - max);
  return max + Math.log(sum);
}
