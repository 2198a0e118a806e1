/**
 * What the sequence-to-sequence pieces pass each other: the special token ids
 * every vocabulary starts with, and a padded, batch-first batch of pairs.
 */

/** Padding: ignored by attention (masked) and by the loss. */
export const PAD = 0;
/** Start of sequence: the decoder's first input. */
export const BOS = 1;
/** End of sequence: appended to every target; decoding stops at it. */
export const EOS = 2;
/** A token never seen in training. */
export const UNK = 3;
/** The specials in id order: every vocabulary's first four entries. */
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<bos>', '<eos>', '<unk>'];

/**
 * A batch of B source/target pairs, batch-first and padded with {@link PAD}.
 *
 *   source      (B, S)   source ids; row b valid for its first sourceLengths[b] steps
 *   targetIn    (B, T)   decoder inputs:  <bos> y₁ … y_n  (teacher forcing)
 *   targetOut   (B, T)   decoder targets: y₁ … y_n <eos>  (PAD beyond; ignored by the loss)
 *
 * T = max over the batch of n + 1. Lengths are ≥ 1.
 */
export interface PairBatch {
  readonly batchSize: number;
  readonly sourceSteps: number;
  readonly targetSteps: number;
  readonly source: Int32Array;
  readonly sourceLengths: Int32Array;
  readonly targetIn: Int32Array;
  readonly targetOut: Int32Array;
  /** n + 1 per row: the target tokens including <eos>. */
  readonly targetLengths: Int32Array;
}
