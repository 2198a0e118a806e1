/**
 * Beam search: each source row keeps the `beamWidth` most likely partial
 * translations (by total log-probability) and extends them one token at a
 * time; those that emit `<eos>` become finished hypotheses, ranked by
 *
 *   score(y) = log p(y | x) / lp(|y|),   |y| counting `<eos>`
 *   lp(n) = ((5 + n) / 6)^α     'gnmt'   (Wu et al. 2016, "Google's Neural Machine Translation System")
 *   lp(n) = n^α                 'length' (α = 1: the mean log-probability per token)
 *   lp(n) = 1                   'none'
 *
 * Each step scores every extension of every live beam, takes the best
 * 2·beamWidth candidates in order (ties: lower beam, then lower token id),
 * and walks them: `<eos>` among the first beamWidth finishes a hypothesis,
 * any other token continues as one of the next beamWidth live beams. A row
 * stops when no live beam can still beat its best finished hypothesis: a
 * log-probability only falls as tokens are added and lp grows with length,
 * so a live beam can score at most logProb / lp(maxLength). (Stopping at the
 * first beamWidth finished hypotheses instead would let short wrong endings,
 * which finish first, end the search.) At `maxLength` the live beams stop
 * unfinished. With beamWidth 1 a row stops at its first `<eos>`, as greedy
 * decoding does. The result is the best finished hypothesis by
 * score, or, if none finished, the best live beam. With beamWidth 1 this is
 * exactly greedy decoding.
 *
 * Batched: the decoder steps B·beamWidth rows at once (the encoder runs
 * once per source; its outputs and the initial state are repeated per beam,
 * and the states reordered after each step). Runs without recording.
 */
import { constant, noGrad, type Variable } from '../autograd/variable.js';
import type { AttentionMemory } from '../attention/attention.js';
import type { TokenIds } from '../layers/embedding.js';
import { allocate, dtypeOf, type FloatArray } from '../tensor.js';
import { BOS, EOS } from './batch.js';
import type { DecoderState } from './decoder.js';
import { checkMaxLength } from './greedy.js';
import { type Hypothesis, logSumExp } from './hypothesis.js';
import type { Seq2Seq } from './model.js';

export type LengthPenalty = 'gnmt' | 'length' | 'none';

export interface BeamSearchOptions {
  /** Beams per source row (default 5). */
  beamWidth?: number;
  /** Most tokens generated per row, `<eos>` included (default 50). */
  maxLength?: number;
  /** How finished hypotheses of different lengths are compared (default 'gnmt'). */
  lengthPenalty?: LengthPenalty;
  /** Exponent α of the length penalty (default 0.6). */
  alpha?: number;
}

/** lp(n), the divisor of a hypothesis's log-probability (see the module comment). */
export function lengthPenalty(kind: LengthPenalty, alpha: number, n: number): number {
  switch (kind) {
    case 'gnmt': return ((5 + n) / 6) ** alpha;
    case 'length': return n ** alpha;
    case 'none': return 1;
  }
}

/** Where a hypothesis ends: its last token, chosen at `step` by decoder row `row`. */
interface Ending {
  step: number;
  row: number;
  token: number;
  logProb: number;
  score: number;
  finished: boolean;
}

/** Decodes `source` (B, S) ids, row b valid for its first lengths[b] steps: the best hypothesis per row. */
export function beamSearch(model: Seq2Seq, source: TokenIds, lengths: ArrayLike<number>, options: BeamSearchOptions = {}): Hypothesis[] {
  const where = 'beamSearch';
  const K = options.beamWidth ?? 5;
  if (!Number.isInteger(K) || K < 1) throw new Error(`${where}: beamWidth must be a positive integer, got ${String(K)}`);
  const maxLength = checkMaxLength(where, options.maxLength ?? 50);
  const penalty = options.lengthPenalty ?? 'gnmt';
  if (penalty !== 'gnmt' && penalty !== 'length' && penalty !== 'none') {
    throw new Error(`${where}: lengthPenalty must be 'gnmt', 'length' or 'none', got '${String(penalty)}'`);
  }
  const alpha = options.alpha ?? 0.6;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) throw new Error(`${where}: alpha must be a finite number ≥ 0, got ${String(alpha)}`);
  const lp = (n: number): number => lengthPenalty(penalty, alpha, n);

  return noGrad(() => {
    const encoded = model.encode(source, lengths);
    const B = encoded.lengths.length;
    const S = source.shape[1] as number;
    const V = model.config.targetVocabSize;
    const R = B * K;
    const memory = encoded.memory ? repeatMemory(encoded.memory, K) : null;
    let state: DecoderState = { h: repeatRows(encoded.state.h, 1, K), c: encoded.state.c ? repeatRows(encoded.state.c, 1, K) : null };

    let scores = new Float64Array(R).fill(-Infinity);
    for (let b = 0; b < B; b++) scores[b * K] = 0; // one live beam per row to start
    let ids = new Int32Array(R).fill(BOS);
    const parents: Int32Array[] = [];
    const tokens: Int32Array[] = [];
    const weights: FloatArray[] = [];
    const finished: Ending[][] = Array.from({ length: B }, () => []);
    const done = new Uint8Array(B);
    const cap = 2 * K;
    const candScore = new Float64Array(cap);
    const candRow = new Int32Array(cap);
    const candToken = new Int32Array(cap);
    const lse = new Float64Array(R);

    /** Whether no live beam of the row (slots from..from+live) can beat its best finished hypothesis. */
    const rowSettled = (endings: readonly Ending[], logProbs: Float64Array, from: number, live: number): boolean => {
      if (endings.length === 0) return false;
      if (K === 1) return true;
      let best = -Infinity;
      for (const e of endings) best = Math.max(best, e.score);
      let bound = -Infinity;
      for (let k = 0; k < live; k++) bound = Math.max(bound, (logProbs[from + k] as number) / lp(maxLength));
      return best >= bound;
    };

    for (let t = 0; t < maxLength; t++) {
      const out = model.decoder.step(ids, state, memory);
      const z = out.logits.data;
      if (out.weights) weights.push(out.weights.data);
      for (let r = 0; r < R; r++) lse[r] = Number.isFinite(scores[r] as number) ? logSumExp(z, r * V, V) : 0;
      const parent = new Int32Array(R);
      const token = new Int32Array(R).fill(EOS);
      const next = new Float64Array(R).fill(-Infinity);
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < K; k++) parent[b * K + k] = b * K + k;
        if (done[b]) continue;
        // The best `cap` extensions, best first (ties keep the earlier beam and token).
        let n = 0;
        for (let k = 0; k < K; k++) {
          const r = b * K + k;
          const base = scores[r] as number;
          if (base === -Infinity) continue;
          const l = lse[r] as number;
          for (let v = 0; v < V; v++) {
            const c = base + ((z[r * V + v] as number) - l);
            if (n === cap && !(c > (candScore[n - 1] as number))) continue;
            let i = n < cap ? n++ : n - 1;
            for (; i > 0 && (candScore[i - 1] as number) < c; i--) {
              candScore[i] = candScore[i - 1] as number;
              candRow[i] = candRow[i - 1] as number;
              candToken[i] = candToken[i - 1] as number;
            }
            candScore[i] = c;
            candRow[i] = r;
            candToken[i] = v;
          }
        }
        let live = 0;
        for (let i = 0; i < n && live < K; i++) {
          const c = candScore[i] as number;
          if (candToken[i] === EOS) {
            if (i < K) finished[b]?.push({ step: t, row: candRow[i] as number, token: EOS, logProb: c, score: c / lp(t + 1), finished: true });
            continue;
          }
          const slot = b * K + live++;
          parent[slot] = candRow[i] as number;
          token[slot] = candToken[i] as number;
          next[slot] = c;
        }
        if (live === 0 || rowSettled(finished[b] as Ending[], next, b * K, live)) done[b] = 1;
      }
      parents.push(parent);
      tokens.push(token);
      scores = next;
      ids = token;
      state = { h: gatherRows(out.state.h, parent), c: out.state.c ? gatherRows(out.state.c, parent) : null };
      if (done.every((d) => d === 1)) break;
    }

    const steps = parents.length;
    return Array.from({ length: B }, (_, b) => {
      let endings = finished[b] as Ending[];
      if (endings.length === 0) {
        endings = [];
        for (let k = 0; k < K; k++) {
          const slot = b * K + k;
          const logProb = scores[slot] as number;
          if (logProb === -Infinity) continue;
          const last = steps - 1;
          endings.push({ step: last, row: (parents[last] as Int32Array)[slot] as number, token: (tokens[last] as Int32Array)[slot] as number, logProb, score: logProb / lp(steps), finished: false });
        }
      }
      let best = endings[0] as Ending;
      for (const e of endings) if (e.score > best.score) best = e;
      return backtrack(best, parents, tokens, weights, S, encoded.lengths[b] as number, model);
    });
  });
}

/** The tokens and attention rows of a hypothesis, followed back from its ending. */
function backtrack(end: Ending, parents: Int32Array[], tokens: Int32Array[], weights: FloatArray[], S: number, L: number, model: Seq2Seq): Hypothesis {
  const toks: number[] = [];
  const rows: number[] = [];
  let row = end.row;
  for (let t = end.step; t >= 0; t--) {
    toks.push(t === end.step ? end.token : ((tokens[t] as Int32Array)[row] as number));
    if (t < end.step) row = (parents[t] as Int32Array)[row] as number;
    rows.push(row);
  }
  toks.reverse();
  rows.reverse();
  if (end.finished) toks.pop();
  let attention = null;
  if (weights.length > 0) {
    const data = allocate(model.dtype, rows.length * L);
    rows.forEach((r, t) => data.set((weights[t] as FloatArray).subarray(r * S, r * S + L), t * L));
    attention = { data, shape: [rows.length, L] };
  }
  return { tokens: toks, finished: end.finished, logProb: end.logProb, score: end.score, attention };
}

/** A prepared memory with every row repeated `K` times (row b → rows b·K … b·K + K − 1). */
function repeatMemory(m: AttentionMemory, K: number): AttentionMemory {
  const lengths = new Int32Array(m.lengths.length * K);
  for (let i = 0; i < lengths.length; i++) lengths[i] = m.lengths[Math.floor(i / K)] as number;
  const keys = repeatRows(m.keys, 0, K);
  return { keys, values: m.values === m.keys ? keys : repeatRows(m.values, 0, K), lengths };
}

/** `x` with every index along `axis` repeated `K` times in place, as a constant. */
function repeatRows(x: Variable, axis: number, K: number): Variable {
  const shape = [...x.shape];
  const outer = shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const n = shape[axis] as number;
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const out = allocate(dtypeOf(x.data), x.data.length * K);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const src = x.data.subarray((o * n + i) * inner, (o * n + i + 1) * inner);
      for (let k = 0; k < K; k++) out.set(src, ((o * n + i) * K + k) * inner);
    }
  }
  shape[axis] = n * K;
  return constant({ data: out, shape });
}

/** A state (L, R, H) with row i taken from row `from[i]`, as a constant. */
function gatherRows(x: Variable, from: Int32Array): Variable {
  const [L, R, H] = x.shape as [number, number, number];
  const out = allocate(dtypeOf(x.data), x.data.length);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < R; i++) {
      const src = (l * R + (from[i] as number)) * H;
      out.set(x.data.subarray(src, src + H), (l * R + i) * H);
    }
  }
  return constant({ data: out, shape: [L, R, H] });
}
