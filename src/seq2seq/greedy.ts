/**
 * Greedy decoding: at every step each source row takes its most likely
 * next token (the first of equals), until it emits `<eos>` or `maxLength`
 * tokens are out; the batch stops when every row has.
 *
 *   y_0 = <bos>,   y_t = argmax_v p(v | y_{<t}, x),   logProb = Σ_t log p(y_t | y_{<t}, x)
 *
 * Batched: one decoder step per time step for all rows (rows already
 * finished ride along, their outputs ignored). Runs without recording.
 */
import { noGrad } from '../autograd/variable.js';
import type { TokenIds } from '../layers/embedding.js';
import { allocate } from '../tensor.js';
import { BOS, EOS } from './batch.js';
import { argmaxRows } from './decoder.js';
import { type Hypothesis, logSumExp } from './hypothesis.js';
import type { Seq2Seq } from './model.js';

export interface GreedyOptions {
  /** Most tokens generated per row, `<eos>` included (default 50). */
  maxLength?: number;
}

/** Decodes `source` (B, S) ids, row b valid for its first lengths[b] steps: one hypothesis per row. */
export function greedyDecode(model: Seq2Seq, source: TokenIds, lengths: ArrayLike<number>, options: GreedyOptions = {}): Hypothesis[] {
  const maxLength = checkMaxLength('greedyDecode', options.maxLength ?? 50);
  return noGrad(() => {
    const encoded = model.encode(source, lengths);
    const B = encoded.lengths.length;
    const S = source.shape[1] as number;
    const V = model.config.targetVocabSize;
    const ids = new Int32Array(B).fill(BOS);
    const tokens: number[][] = Array.from({ length: B }, () => []);
    const logProb = new Float64Array(B);
    const finished = new Uint8Array(B);
    const attention: number[][] = Array.from({ length: B }, () => []);
    let state = encoded.state;
    let open = B;
    for (let t = 0; t < maxLength && open > 0; t++) {
      const out = model.decoder.step(ids, state, encoded.memory);
      const z = out.logits.data;
      argmaxRows(z, B, V, ids);
      for (let b = 0; b < B; b++) {
        if (finished[b]) continue;
        const y = ids[b] as number;
        logProb[b] = (logProb[b] as number) + ((z[b * V + y] as number) - logSumExp(z, b * V, V));
        if (out.weights) for (let s = 0; s < (encoded.lengths[b] as number); s++) (attention[b] as number[]).push(out.weights.data[b * S + s] as number);
        if (y === EOS) {
          finished[b] = 1;
          open--;
        } else {
          (tokens[b] as number[]).push(y);
        }
      }
      state = out.state;
    }
    return tokens.map((toks, b) => {
      const L = encoded.lengths[b] as number;
      const rows = attention[b] as number[];
      const weights = allocate(model.dtype, rows.length);
      weights.set(rows);
      return {
        tokens: toks, finished: finished[b] === 1, logProb: logProb[b] as number, score: logProb[b] as number,
        attention: model.decoder.attention ? { data: weights, shape: [rows.length / L, L] } : null,
      };
    });
  });
}

/** Throws unless `n` is a positive integer; returns it. */
export function checkMaxLength(where: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`${where}: maxLength must be a positive integer, got ${String(n)}`);
  return n;
}
