/**
 * BLEU (Papineni, Roukos, Ward & Zhu 2002, "BLEU: a method for automatic
 * evaluation of machine translation", ACL), as nltk.translate.bleu_score
 * computes it (`corpus_bleu`, `sentence_bleu`; equal to within 1e-12 on
 * test/fixtures/bleu.json).
 *
 * For each segment (a hypothesis and its references) and order n = 1 … N:
 *   matches_n += Σ_g min(count_hyp(g), max_r count_r(g))      (g: the hypothesis's n-grams)
 *   totals_n  += max(1, |h| − n + 1)                          ('nltk')
 *             or max(0, |h| − n + 1)                          ('ngrams')
 *   c += |h|;   r += the reference length closest to |h| (the shorter on a tie)
 * Then, over the corpus,
 *   p_n  = matches_n / totals_n
 *   BP   = 1 if c > r;  0 if c = 0;  exp(1 − r/c) otherwise
 *   BLEU = BP · exp(Σ_n (1/N) · log p_n)            ∈ [0, 1]
 * BLEU is 0 when no unigram matches, and without smoothing when any p_n is 0
 * (NLTK then returns ≈ 1e-77, from log of the smallest normal float, instead
 * of 0). Smoothing 'method1' (Chen & Cherry 2014) replaces a zero p_n by
 * ε / totals_n.
 *
 * `denominator` picks how a hypothesis shorter than n counts in totals_n:
 * 'nltk' (default) counts 1, as NLTK does; 'ngrams' counts its n-grams (none),
 * as the paper, sacreBLEU, multi-bleu.perl and the benchmark's reference
 * script (../shared/bench/peers/torch_seq2seq.py `corpus_bleu`, which reports
 * 100·BLEU) do. The two differ only when some hypothesis has fewer than N
 * tokens; numbers to compare with ../shared/BENCHMARKS.md need 'ngrams'.
 */

export type Tokens = readonly string[];

export interface BleuOptions {
  /** Highest n-gram order N, weights 1/N each. Default 4. */
  maxOrder?: number;
  /** 'none' (default) or Chen & Cherry's 'method1': a zero precision becomes ε / totals_n. */
  smoothing?: 'none' | 'method1';
  /** ε of 'method1'. Default 0.1, as NLTK. */
  epsilon?: number;
  /** How short hypotheses count in the precision's denominator (see the module comment). Default 'nltk'. */
  denominator?: 'nltk' | 'ngrams';
}

export interface BleuDetails {
  /** BLEU in [0, 1]. */
  readonly score: number;
  /** Clipped n-gram matches for n = 1 … N. */
  readonly matches: readonly number[];
  /** Denominators of the n-gram precisions for n = 1 … N. */
  readonly totals: readonly number[];
  readonly brevityPenalty: number;
  /** c: total hypothesis length. */
  readonly hypothesisLength: number;
  /** r: total closest-reference length. */
  readonly referenceLength: number;
}

/**
 * Corpus BLEU of `hypotheses[i]` against `references[i]` (one or more token
 * lists each) — NLTK's argument order: references first.
 */
export function corpusBleu(references: readonly (readonly Tokens[])[], hypotheses: readonly Tokens[], options: BleuOptions = {}): number {
  return corpusBleuDetails(references, hypotheses, options).score;
}

/** BLEU of one hypothesis against its references: corpus BLEU of a one-segment corpus, as NLTK. */
export function sentenceBleu(references: readonly Tokens[], hypothesis: Tokens, options: BleuOptions = {}): number {
  return corpusBleuDetails([references], [hypothesis], options).score;
}

/** Corpus BLEU with the counts it was computed from. */
export function corpusBleuDetails(references: readonly (readonly Tokens[])[], hypotheses: readonly Tokens[], options: BleuOptions = {}): BleuDetails {
  const { maxOrder = 4, smoothing = 'none', epsilon = 0.1, denominator = 'nltk' } = options;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new Error(`bleu: maxOrder must be a positive integer, got ${maxOrder}`);
  if (smoothing !== 'none' && smoothing !== 'method1') throw new Error(`bleu: smoothing must be 'none' or 'method1', got ${String(smoothing)}`);
  if (denominator !== 'nltk' && denominator !== 'ngrams') throw new Error(`bleu: denominator must be 'nltk' or 'ngrams', got ${String(denominator)}`);
  if (!(epsilon > 0)) throw new Error(`bleu: epsilon must be positive, got ${epsilon}`);
  if (references.length !== hypotheses.length) {
    throw new Error(`bleu: ${hypotheses.length} hypotheses but ${references.length} reference lists; expected one list per hypothesis`);
  }
  if (hypotheses.length === 0) throw new Error('bleu: no hypotheses');

  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let hypothesisLength = 0;
  let referenceLength = 0;
  hypotheses.forEach((hypothesis, i) => {
    const refs = references[i] as readonly Tokens[];
    if (refs.length === 0) throw new Error(`bleu: hypothesis ${i} has no references`);
    for (let n = 1; n <= maxOrder; n++) {
      const counts = ngramCounts(hypothesis, n);
      const maxRefCounts = new Map<string, number>();
      for (const ref of refs) {
        for (const [gram, count] of ngramCounts(ref, n)) {
          if (counts.has(gram) && count > (maxRefCounts.get(gram) ?? 0)) maxRefCounts.set(gram, count);
        }
      }
      let matched = 0;
      for (const [gram, count] of counts) matched += Math.min(count, maxRefCounts.get(gram) ?? 0);
      const ngrams = Math.max(0, hypothesis.length - n + 1);
      matches[n - 1] = (matches[n - 1] as number) + matched;
      totals[n - 1] = (totals[n - 1] as number) + (denominator === 'nltk' ? Math.max(1, ngrams) : ngrams);
    }
    hypothesisLength += hypothesis.length;
    referenceLength += closestReferenceLength(refs, hypothesis.length);
  });

  const brevityPenalty = hypothesisLength > referenceLength ? 1 : hypothesisLength === 0 ? 0 : Math.exp(1 - referenceLength / hypothesisLength);
  const details = { matches, totals, brevityPenalty, hypothesisLength, referenceLength };
  if (matches[0] === 0 || totals.some((t) => t === 0)) return { score: 0, ...details };
  let logSum = 0;
  for (let n = 0; n < maxOrder; n++) {
    const m = matches[n] as number;
    const t = totals[n] as number;
    if (m === 0 && smoothing === 'none') return { score: 0, ...details };
    const precision = m === 0 ? epsilon / t : m / t;
    logSum += (1 / maxOrder) * Math.log(precision);
  }
  return { score: brevityPenalty * Math.exp(logSum), ...details };
}

/** The length of the reference closest to `length`; on a tie the shorter (NLTK's `closest_ref_length`). */
function closestReferenceLength(references: readonly Tokens[], length: number): number {
  let best = Infinity;
  for (const ref of references) {
    const d = Math.abs(ref.length - length);
    const bestD = Math.abs(best - length);
    if (d < bestD || (d === bestD && ref.length < best)) best = ref.length;
  }
  return best;
}

/** Counts of the n-grams of `tokens`, each keyed by its JSON (unambiguous for any tokens). */
function ngramCounts(tokens: Tokens, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const gram = JSON.stringify(tokens.slice(i, i + n));
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}
