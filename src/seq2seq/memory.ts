/**
 * The size of a Seq2Seq and a rough upper estimate of the memory a training
 * run needs, computed from the configuration before anything is allocated,
 * so an impossible size is refused at once instead of after minutes of
 * swapping (or the system killing the process).
 *
 * Parameters, with E, H, L, A as in the configuration, G = gates·H, D = 2
 * for a bidirectional encoder (else 1), M = D·H the encoder's output size:
 *   encoder     V_src·E + Σ_layers D·(G·(input + H) + 2G),   input = E, then D·H
 *   bridge      H·2H + H, twice for an LSTM (bidirectional encoders only)
 *   decoder     V_tgt·E + Σ_layers (G·(input + H) + 2G),      input = E (+ M for Bahdanau), then H
 *               + attention (general H·M; projected A·H + A·M; Bahdanau A·H + A·M + A)
 *               + combine H·(M + H) + H (H·H + H without attention) + output V_tgt·H + V_tgt
 * Memory: P parameters with gradients and Adam's two buffers (4P floats), a
 * checkpoint being written (3P float32 and 2P float64), and the activations
 * of a batch of B pairs of at most T tokens a side, twice (forward caches and
 * backward workspaces): 2·B·T·(2E + 2·L·D·(2G + 3H) + T + 3·V_tgt) floats.
 */
import { formatBytes } from '../charlm/memory.js';
import { cellKinds } from '../cells/index.js';
import type { Seq2SeqConfig } from './model.js';

/** Most parameters one store holds (its buffers are indexed by 32-bit offsets). */
const MAX_PARAMETERS = 2 ** 32;

/** The number of parameters of a Seq2Seq of this configuration (see the module comment). */
export function seq2seqParameterCount(c: Seq2SeqConfig): number {
  const { embeddingSize: E, hiddenSize: H, numLayers: L, attentionSize: A } = c;
  const G = cellKinds[c.cell].gates * H;
  const D = c.bidirectional ? 2 : 1;
  const M = D * H;
  const stack = (input: number, directions: number): number => {
    let n = 0;
    for (let l = 0; l < L; l++) n += directions * (G * ((l === 0 ? input : directions * H) + H) + 2 * G);
    return n;
  };
  const encoder = c.sourceVocabSize * E + stack(E, D);
  const bridge = c.bidirectional ? (c.cell === 'lstm' ? 2 : 1) * (H * 2 * H + H) : 0;
  const attention = { none: 0, dot: 0, general: H * M, projected: A * H + A * M, bahdanau: A * H + A * M + A }[c.attention];
  const combine = H * ((c.attention === 'none' ? 0 : M) + H) + H;
  const decoder = c.targetVocabSize * E + stack(E + (c.attention === 'bahdanau' ? M : 0), 1) + attention + combine + c.targetVocabSize * (H + 1);
  return encoder + bridge + decoder;
}

/** Estimated bytes of a training run (see the module comment). */
export function seq2seqTrainingMemory(c: Seq2SeqConfig, train: { batchSize: number; maxLength: number }): number {
  const P = seq2seqParameterCount(c);
  const G = cellKinds[c.cell].gates * c.hiddenSize;
  const D = c.bidirectional ? 2 : 1;
  const T = train.maxLength;
  const activations = 2 * train.batchSize * T * (2 * c.embeddingSize + 2 * c.numLayers * D * (2 * G + 3 * c.hiddenSize) + T + 3 * c.targetVocabSize);
  return 4 * (4 * P + 3 * P + activations) + 8 * 2 * P;
}

/**
 * Throws, before anything is allocated, when the model has more parameters
 * than one store holds, or (unless `force`) when the run's estimated memory
 * exceeds `limitBytes`.
 */
export function checkSeq2SeqMemory(c: Seq2SeqConfig, train: { batchSize: number; maxLength: number }, limitBytes: number, force = false): void {
  const P = seq2seqParameterCount(c);
  if (P > MAX_PARAMETERS) {
    throw new Error(`train: this model has ${P.toLocaleString('en-US')} parameters, more than one parameter store holds (${MAX_PARAMETERS.toLocaleString('en-US')}); choose a smaller model`);
  }
  const need = seq2seqTrainingMemory(c, train);
  if (!force && need > limitBytes) {
    throw new Error(`train: this model would need about ${formatBytes(need)} of memory (${P.toLocaleString('en-US')} parameters), more than the ${formatBytes(limitBytes)} allowed; choose a smaller model or batch (or --force to try anyway)`);
  }
}

