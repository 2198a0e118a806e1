/**
 * One example of a translation task, in the shape every data source of
 * `src/seq2seq/` produces (the Tatoeba reader, the date task) and the
 * vocabularies and batches consume.
 */
export interface TranslationPair {
  /** The sentence to translate, as written. */
  readonly source: string;
  /** Its translation, as written. */
  readonly target: string;
  /** `source` split by the task's tokeniser: what the encoder reads. */
  readonly sourceTokens: readonly string[];
  /** `target` split by the task's tokeniser: what the decoder writes. */
  readonly targetTokens: readonly string[];
  /** Credit the licence of the data requires (Tatoeba: CC BY 2.0 FR); absent for generated data. */
  readonly attribution?: string;
  /** 1-based line of the pair in its file, for messages; absent for generated data. */
  readonly line?: number;
}
