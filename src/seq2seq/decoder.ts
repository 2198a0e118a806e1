/**
 * The decoder of a sequence-to-sequence model: embedding, recurrent stack,
 * attention over the encoder's outputs, and the readout to the vocabulary.
 *
 * Luong attention (dot, general, projected; Luong et al. 2015), and none:
 *   x_t = E_tgt[y_{t−1}]
 *   s_t = RNN(x_t, s_{t−1})                      s_0 from the bridge
 *   c_t, α_t = attention(s_t, memory)            (no attention: no c_t)
 *   h̃_t = tanh(W_c [c_t ; s_t] + b_c)            (no attention: tanh(W_c s_t + b_c))
 *   logits_t = W_o h̃_t + b_o
 * Bahdanau attention (Bahdanau et al. 2015): the context is computed from
 * the previous state and joins the recurrent input,
 *   c_t, α_t = attention(s_{t−1}, memory),   s_t = RNN([x_t ; c_t], s_{t−1}),
 *   h̃_t = tanh(W_c [c_t ; s_t] + b_c),   logits_t = W_o h̃_t + b_o
 * (s is the top layer's state; the original's maxout readout is replaced
 * by the same h̃ as Luong's.)
 *
 * Teacher forcing: the inputs y_{t−1} are the reference tokens. With Luong
 * attention or none, the recurrent stack then runs over all T steps in one
 * call and attention is one fused node over (B, T, S). Bahdanau attention,
 * or a teacher-forcing ratio below 1, runs step by step: at every step
 * t ≥ 1 one draw of the seeded generator decides for the whole batch whether
 * the input is the reference token (probability = ratio) or the model's own
 * most likely token at step t − 1. `run` stops before the readout, so the
 * loss reads out only the positions that have a target.
 *
 * Shapes: inputs (B, T) ids; states (numLayers, B, H); logits (B, T, V);
 * weights (B, T, S). Parameters under the prefix given (`decoder.`):
 * `embedding.weight` (V, E), `rnn.*`, `attention.*`, `combine.weight`
 * (H, memorySize + H) or (H, H), `combine.bias`, `output.weight` (V, H), `output.bias`.
 */
import { tanh } from '../autograd/activations.js';
import { concat, reshape, slice } from '../autograd/ops.js';
import { noGrad, type Variable } from '../autograd/variable.js';
import type { Backend } from '../backend/backend.js';
import type { CellType } from '../cells/cell.js';
import type { Attention, AttentionKind, AttentionMemory } from '../attention/attention.js';
import { createAttention } from '../attention/index.js';
import { Embedding, type TokenIds } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { recurrentLayer } from '../layers/recurrent-layer.js';
import type { RecurrentLayer } from '../layers/stack.js';
import type { ParameterStore } from '../params.js';
import type { Random } from '../random.js';
import { PAD } from './batch.js';

export interface DecoderOptions {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: CellType;
  attention: AttentionKind | 'none';
  /** Features of the encoder's outputs (D·hiddenSize of the encoder). */
  memorySize: number;
  /** Projected and Bahdanau attention: hidden size of the score (default hiddenSize). */
  attentionSize?: number;
  /** Projected attention: divide the scores by √d (default true). */
  scaled?: boolean;
  params: ParameterStore;
  prefix: string;
  /** Submodules are seeded with seed, seed + 1, … in declaration order. */
  seed: number;
  backend: Backend;
}

/** The recurrent state between steps: (numLayers, B, H) each. */
export interface DecoderState {
  h: Variable;
  c: Variable | null;
}

export interface DecoderOutput {
  /** (B, T, V) */
  logits: Variable;
  /** (B, T, S) attention weights, or null without attention. */
  weights: Variable | null;
  /** The state after the last step. */
  state: DecoderState;
}

/** What the decoder computes before the readout. */
export interface DecoderFeatures {
  /** (B, T, H) the top layer's states s_t. */
  states: Variable;
  /** (B, T, memorySize) the contexts c_t, or null without attention. */
  context: Variable | null;
  /** (B, T, S) attention weights, or null without attention. */
  weights: Variable | null;
  /** The state after the last step. */
  state: DecoderState;
}

/** How the inputs after the first are chosen in training. */
export interface TeacherForcing {
  /** Probability that a step's input is the reference token (1: always). */
  ratio: number;
  /** Decides each step when ratio < 1. */
  random: Random;
}

export class Decoder {
  readonly embedding: Embedding;
  readonly rnn: RecurrentLayer;
  readonly attention: Attention | null;
  readonly combine: Linear;
  readonly output: Linear;

  constructor(o: DecoderOptions) {
    const shared = { params: o.params, backend: o.backend };
    const p = o.prefix;
    this.embedding = new Embedding({ numEmbeddings: o.vocabSize, embeddingDim: o.embeddingSize, paddingIdx: PAD, prefix: `${p}embedding.`, seed: o.seed, ...shared });
    const feedsInput = o.attention === 'bahdanau'; // the context joins the recurrent input (Attention.feedsInput)
    this.rnn = recurrentLayer(o.cell, {
      inputSize: o.embeddingSize + (feedsInput ? o.memorySize : 0), hiddenSize: o.hiddenSize, numLayers: o.numLayers,
      batchFirst: true, prefix: `${p}rnn.`, seed: o.seed + 1, ...shared,
    });
    const attention = o.attention === 'none' ? null : createAttention(o.attention, {
      querySize: o.hiddenSize, memorySize: o.memorySize, prefix: `${p}attention.`, seed: o.seed + 2, ...shared,
      ...(o.attentionSize === undefined ? {} : { attentionSize: o.attentionSize }),
      ...(o.scaled === undefined ? {} : { scaled: o.scaled }),
    });
    this.attention = attention;
    const combined = (attention ? o.memorySize : 0) + o.hiddenSize;
    this.combine = new Linear({ inFeatures: combined, outFeatures: o.hiddenSize, prefix: `${p}combine.`, seed: o.seed + 3, ...shared });
    this.output = new Linear({ inFeatures: o.hiddenSize, outFeatures: o.vocabSize, prefix: `${p}output.`, seed: o.seed + 4, ...shared });
  }

  /**
   * Decodes the inputs (B, T) — `<bos> y₁ … y_{T−1}` in training — from
   * `state`; `memory` is the prepared source (null without attention).
   */
  apply(inputs: TokenIds, state: DecoderState, memory: AttentionMemory | null, forcing: TeacherForcing | null = null): DecoderOutput {
    const f = this.run(inputs, state, memory, forcing);
    return { logits: this.readout(f.states, f.context), weights: f.weights, state: f.state };
  }

  /** {@link apply} up to the readout: the states and contexts of every step (the loss reads out only the rows it needs). */
  run(inputs: TokenIds, state: DecoderState, memory: AttentionMemory | null, forcing: TeacherForcing | null = null): DecoderFeatures {
    const ratio = forcing?.ratio ?? 1;
    if (ratio < 1 || this.attention?.feedsInput) return this.stepwise(inputs, state, memory, forcing);
    const out = this.rnn.apply(this.embedding.apply(inputs), { h0: state.h, c0: state.c });
    const attended = this.attention ? this.attention.apply(out.output, memory as AttentionMemory) : null;
    return { states: out.output, context: attended?.context ?? null, weights: attended?.weights ?? null, state: { h: out.hN, c: out.cN ?? null } };
  }

  /** One step: `ids` (B) are the inputs y_{t−1}; logits (B, 1, V), weights (B, 1, S). */
  step(ids: ArrayLike<number>, state: DecoderState, memory: AttentionMemory | null): DecoderOutput {
    const f = this.stepFeatures(ids, state, memory);
    return { logits: this.readout(f.states, f.context), weights: f.weights, state: f.state };
  }

  /** logits = W_o tanh(W_c [c ; s] + b_c) + b_o, for states (…, H) and contexts (…, memorySize) alike shaped. */
  readout(states: Variable, context: Variable | null): Variable {
    return this.output.apply(tanh(this.combine.apply(context ? concat([context, states], -1) : states)));
  }

  private stepFeatures(ids: ArrayLike<number>, state: DecoderState, memory: AttentionMemory | null): DecoderFeatures {
    const x = this.embedding.apply({ data: ids, shape: [ids.length, 1] });
    const attention = this.attention;
    let attended = attention?.feedsInput ? attention.apply(this.topState(state.h), memory as AttentionMemory) : null;
    const input = attended ? concat([x, attended.context], 2) : x;
    const out = this.rnn.apply(input, { h0: state.h, c0: state.c });
    if (attention && !attention.feedsInput) attended = attention.apply(out.output, memory as AttentionMemory);
    return { states: out.output, context: attended?.context ?? null, weights: attended?.weights ?? null, state: { h: out.hN, c: out.cN ?? null } };
  }

  /** The top layer's state (numLayers, B, H) → (B, 1, H): Bahdanau's query. */
  private topState(h: Variable): Variable {
    const [L, B, H] = h.shape as [number, number, number];
    return reshape(L === 1 ? h : slice(h, 0, L - 1, L), [B, 1, H]);
  }

  /**
   * Step by step, each input the reference token or (ratio < 1) possibly
   * the previous step's most likely token, read out without recording.
   */
  private stepwise(inputs: TokenIds, state: DecoderState, memory: AttentionMemory | null, forcing: TeacherForcing | null): DecoderFeatures {
    const [B, T] = inputs.shape as [number, number];
    const ratio = forcing?.ratio ?? 1;
    const steps: DecoderFeatures[] = [];
    const ids = new Int32Array(B);
    let current = state;
    for (let t = 0; t < T; t++) {
      const previous = steps[t - 1];
      const forced = !previous || ratio >= 1 || (forcing as TeacherForcing).random.next() < ratio;
      if (forced) for (let b = 0; b < B; b++) ids[b] = inputs.data[b * T + t] as number;
      else argmaxRows(noGrad(() => this.readout(previous.states, previous.context)).data, B, this.output.outFeatures, ids);
      const f = this.stepFeatures(ids, current, memory);
      steps.push(f);
      current = f.state;
    }
    const joined = (pick: (f: DecoderFeatures) => Variable | null): Variable | null => {
      const vs = steps.map(pick).filter((v): v is Variable => v !== null);
      return vs.length === 0 ? null : vs.length === 1 ? (vs[0] as Variable) : concat(vs, 1);
    };
    return { states: joined((f) => f.states) as Variable, context: joined((f) => f.context), weights: joined((f) => f.weights), state: current };
  }
}

/** `out[r]` = index of the largest of the `width` values of row r (the first on ties). */
export function argmaxRows(values: ArrayLike<number>, rows: number, width: number, out: Int32Array): Int32Array {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let max = values[r * width] as number;
    for (let k = 1; k < width; k++) {
      const v = values[r * width + k] as number;
      if (v > max) {
        max = v;
        best = k;
      }
    }
    out[r] = best;
  }
  return out;
}
