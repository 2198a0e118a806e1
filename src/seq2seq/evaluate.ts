/**
 * Scoring a model on held-out pairs, as the benchmark's reference script
 * (../shared/bench/peers/torch_seq2seq.py `evaluate`) does:
 *
 *   1. every distinct source (pairs grouped by their source tokens, in order
 *      of first appearance) is translated once: greedy decoding (or beam
 *      search), at most `maxLength` tokens (default 20, `<eos>` included);
 *   2. BLEU   = corpus BLEU-4 with one segment per pair and its one reference
 *               (the headline number of ../shared/BENCHMARKS.md);
 *      multi-reference BLEU = one segment per distinct source, all of its
 *               pairs' targets as references;
 *      both with the n-gram-count denominator of the paper and the reference
 *      script (./bleu.ts `denominator: 'ngrams'`), on the tokens, in points (0–100);
 *   3. accuracy = the percentage of pairs whose translation equals the
 *      reference token for token.
 *
 * Source tokens the vocabulary does not hold are read as `<unk>` (and listed).
 */
import { corpusBleu } from './bleu.js';
import type { TranslationPair } from './pair.js';
import type { Seq2Seq } from './model.js';
import type { TokenVocabulary } from './token-vocabulary.js';
import { translate } from './translate.js';

/** Tokens decoded per source when scoring (the benchmark's rule): at most 20. */
export const EVALUATION_MAX_TOKENS = 20;

export interface EvaluationOptions {
  /** Beam width; 1 = greedy (default 1). */
  beam?: number;
  /** Most tokens generated per source, `<eos>` included (default {@link EVALUATION_MAX_TOKENS}). */
  maxLength?: number;
  /** How short hypotheses count in BLEU's precisions (default 'ngrams', as the benchmark). */
  denominator?: 'ngrams' | 'nltk';
}

/** One distinct source and what the model made of it. */
export interface SourceTranslation {
  /** The first pair with this source. */
  readonly pair: TranslationPair;
  /** The targets of every pair with this source. */
  readonly references: readonly (readonly string[])[];
  /** The model's translation, as target tokens. */
  readonly tokens: readonly string[];
}

export interface TranslationScores {
  /** Corpus BLEU-4 in points, one segment per pair. */
  readonly bleu: number;
  /** Corpus BLEU-4 in points, one segment per distinct source with all its references. */
  readonly multiReferenceBleu: number;
  /** Exact matches, in percent of the pairs. */
  readonly accuracy: number;
  readonly pairs: number;
  /** The distinct sources, in order of first appearance, with their translations. */
  readonly translations: readonly SourceTranslation[];
  /** Source tokens read as `<unk>`. */
  readonly unknownSourceTokens: ReadonlySet<string>;
}

/** Translates and scores `pairs` (see the module comment). */
export function evaluateTranslation(
  model: Seq2Seq, pairs: readonly TranslationPair[], vocabularies: { source: TokenVocabulary; target: TokenVocabulary }, options: EvaluationOptions = {},
): TranslationScores {
  if (pairs.length === 0) throw new Error('evaluateTranslation: no pairs to score');
  const { beam = 1, maxLength = EVALUATION_MAX_TOKENS, denominator = 'ngrams' } = options;
  const groups = new Map<string, { pair: TranslationPair; references: (readonly string[])[] }>();
  const keyOf = (p: TranslationPair): string => JSON.stringify(p.sourceTokens);
  for (const p of pairs) {
    const group = groups.get(keyOf(p));
    if (group) group.references.push(p.targetTokens);
    else groups.set(keyOf(p), { pair: p, references: [p.targetTokens] });
  }
  const distinct = [...groups.values()];
  const unknownSourceTokens = new Set<string>();
  const sources = distinct.map((g) => vocabularies.source.encode(g.pair.sourceTokens, unknownSourceTokens));
  // Decoded shortest first, so each batch pads little; results go back in order.
  const order = sources.map((_, i) => i).sort((a, b) => (sources[a] as Int32Array).length - (sources[b] as Int32Array).length);
  const decoded = translate(model, order.map((i) => sources[i] as Int32Array), { beam, maxLength });
  const tokens: string[][] = new Array(distinct.length);
  order.forEach((i, k) => {
    tokens[i] = vocabularies.target.decode((decoded[k] as { tokens: number[] }).tokens);
  });
  const translations = distinct.map((g, i) => ({ ...g, tokens: tokens[i] as string[] }));
  const byKey = new Map(translations.map((t) => [keyOf(t.pair), t.tokens]));

  const hypotheses = pairs.map((p) => byKey.get(keyOf(p)) as string[]);
  const bleuOptions = { denominator } as const;
  const bleu = 100 * corpusBleu(pairs.map((p) => [p.targetTokens]), hypotheses, bleuOptions);
  const multiReferenceBleu = 100 * corpusBleu(translations.map((t) => t.references), translations.map((t) => t.tokens), bleuOptions);
  const exact = pairs.filter((p, i) => sameTokens(hypotheses[i] as string[], p.targetTokens)).length;
  return { bleu, multiReferenceBleu, accuracy: (100 * exact) / pairs.length, pairs: pairs.length, translations, unknownSourceTokens };
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
