/**
 * Translating token-id sequences: the sources are padded into batches and
 * decoded greedily (beam 1, the default) or by beam search.
 *
 * Example:
 *   const [h] = translate(model, [[17, 5, 42]], { beam: 5, maxLength: 20 });
 *   h.tokens   // target ids, without <eos>
 */
import { beamSearch, type LengthPenalty } from './beam-search.js';
import { PAD } from './batch.js';
import { greedyDecode } from './greedy.js';
import type { Hypothesis } from './hypothesis.js';
import type { Seq2Seq } from './model.js';

export interface TranslateOptions {
  /** Beam width; 1 decodes greedily (default 1). */
  beam?: number;
  /** Most tokens generated per source, `<eos>` included (default 50). */
  maxLength?: number;
  /** Beam search: how hypotheses of different lengths are compared (default 'gnmt'). */
  lengthPenalty?: LengthPenalty;
  /** Beam search: the length penalty's exponent α (default 0.6). */
  alpha?: number;
  /** Sources decoded together (default 64). */
  batchSize?: number;
}

/** One hypothesis per source, in order. */
export function translate(model: Seq2Seq, sources: readonly ArrayLike<number>[], options: TranslateOptions = {}): Hypothesis[] {
  const where = 'translate';
  const beam = options.beam ?? 1;
  const batchSize = options.batchSize ?? 64;
  for (const [name, v] of [['beam', beam], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  if (!Array.isArray(sources)) throw new Error(`${where}: sources must be an array of token-id sequences`);
  sources.forEach((s, i) => {
    if (!s || typeof s.length !== 'number' || s.length === 0) throw new Error(`${where}: source ${i} is empty; every source needs at least one token`);
  });
  const out: Hypothesis[] = [];
  for (let first = 0; first < sources.length; first += batchSize) {
    const chunk = sources.slice(first, first + batchSize);
    const B = chunk.length;
    const S = Math.max(...chunk.map((s) => s.length));
    const ids = new Int32Array(B * S).fill(PAD);
    const lengths = new Int32Array(B);
    chunk.forEach((s, b) => {
      for (let i = 0; i < s.length; i++) ids[b * S + i] = s[i] as number;
      lengths[b] = s.length;
    });
    const source = { data: ids, shape: [B, S] };
    const maxLength = options.maxLength ?? 50;
    out.push(...(beam === 1
      ? greedyDecode(model, source, lengths, { maxLength })
      : beamSearch(model, source, lengths, { beamWidth: beam, maxLength, lengthPenalty: options.lengthPenalty ?? 'gnmt', alpha: options.alpha ?? 0.6 })));
  }
  return out;
}
