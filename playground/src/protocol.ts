/**
 * What the page and its two workers say to each other. Each worker owns its
 * model and kernels; the page only draws. Every request is answered by
 * replies of the types below (`error` names the request it answers), and
 * typed arrays travel as transferables.
 *
 *   page → lm-worker.ts          train, stop, sample, download, load, inside
 *   lm-worker.ts → page          backend, model, progress, validation, gradient, state, sample, checkpoint, loaded, inside, error
 *   page → attention-worker.ts   train, stop, translate, download, load
 *   attention-worker.ts → page   backend, model, progress, validation, state, translation, checkpoint, loaded, error
 */
import type { CellType } from 'recurrent';
import type { Fingerprint } from 'recurrent/charlm';

/** A built-in text, as `virtual:texts` lists it (../texts.ts). */
export interface BuiltInText {
  id: string;
  label: string;
  /** How a checkpoint names the text (`recurrent train` names the built-in corpus the same). */
  source: string;
  fingerprint: Fingerprint;
  url: string;
}

/** The text to learn: a built-in one, fetched by the worker, or the bytes of a file. */
export type TextChoice =
  | { kind: 'built-in'; id: string; url: string; source: string; fingerprint: Fingerprint }
  | { kind: 'file'; name: string; bytes: ArrayBuffer };

/** The kernels a worker runs on. */
export interface BackendInfo {
  /** `wasm-relaxed-simd`, `wasm-simd`, or `js` (the reference). */
  name: string;
  threads: number;
  /** Whether the page is cross-origin isolated (shared memory, so threads). */
  isolated: boolean;
}

/** The settings of a language model the page chooses; the rest are `recurrent train`'s defaults. */
export interface LMSettings {
  cell: CellType;
  layers: number;
  hidden: number;
  seqLength: number;
  batch: number;
  lr: number;
}

export interface SampleSettings {
  /** Empty: the model starts from a newline, as `recurrent sample` without --prompt. */
  prompt: string;
  temperature: number;
  topK: number;
  seed: number;
  length: number;
}

export type LMState = 'idle' | 'training' | 'done' | 'loaded';

export type LMRequest =
  | { type: 'train'; text: TextChoice; settings: LMSettings; maxSteps: number | null; sample: SampleSettings }
  | { type: 'stop' }
  | { type: 'sample'; sample: SampleSettings }
  | { type: 'download' }
  | { type: 'load'; name: string; bytes: ArrayBuffer }
  | { type: 'inside'; text: string };

/** One validation point: training loss (moving average) and validation loss, nats per character. */
export interface LossPoint {
  step: number;
  trainLoss: number;
  validationLoss: number;
}

/** What one recurrent layer did while reading a text (time-major, one row per character). */
export interface InsideLayer {
  cell: CellType;
  /** Units per state. */
  units: number;
  /** (T, units) the hidden state h_t after each character. */
  h: Float32Array;
  /** (T, units) the cell state c_t (LSTM), else null. */
  c: Float32Array | null;
  /** Mean activation of each gate at each step (none for an Elman RNN). */
  gates: { gate: string; mean: Float64Array }[];
  /** (T) ‖∂L/∂h_t‖ of the text's next-character loss. */
  gradH: Float64Array;
}

export type LMReply =
  | { type: 'backend'; backend: BackendInfo }
  /** The model now held: new, continued, or loaded; `text` is a passage of its validation text, when the worker has it. */
  | { type: 'model'; description: string; step: number; layers: number; fresh: boolean; text: string | null }
  | { type: 'progress'; step: number; loss: number; tokensPerSecond: number; losses: { step: number; loss: number }[] }
  | { type: 'validation'; point: LossPoint; sample: string }
  | { type: 'gradient'; step: number; layers: Float64Array[] }
  | { type: 'state'; state: LMState; step: number }
  | { type: 'sample'; text: string }
  | { type: 'checkpoint'; name: string; bytes: Uint8Array }
  | { type: 'loaded'; settings: LMSettings; step: number; source: string; history: LossPoint[] }
  | { type: 'inside'; characters: string[]; layers: InsideLayer[] }
  | { type: 'error'; about: LMRequest['type']; message: string };

export type AttentionState = 'idle' | 'training' | 'done' | 'loaded';

export type AttentionRequest =
  | { type: 'train'; maxSteps: number | null }
  | { type: 'stop' }
  | { type: 'translate'; text: string }
  | { type: 'download' }
  | { type: 'load'; name: string; bytes: ArrayBuffer };

/** A dev pair and the model's translation of it. */
export interface DevSample {
  source: string;
  reference: string;
  translation: string;
  correct: boolean;
}

export type AttentionReply =
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'model'; description: string }
  | { type: 'progress'; step: number; loss: number; pairsPerSecond: number; epoch: number }
  /** `accuracy`: dev exact matches, in percent. */
  | { type: 'validation'; step: number; accuracy: number; samples: DevSample[] }
  | { type: 'state'; state: AttentionState; step: number; accuracy: number | null }
  | {
    type: 'translation';
    input: string;
    translation: string;
    sourceTokens: string[];
    /** The output tokens, `<eos>` included when decoding ended with it: one per row of `weights`. */
    outputTokens: string[];
    /** (outputTokens, sourceTokens) attention weights, or null for a model without attention. */
    weights: Float32Array | null;
    /** Source tokens the model never saw, read as `<unk>`. */
    unknown: string[];
  }
  | { type: 'checkpoint'; name: string; bytes: Uint8Array }
  | { type: 'loaded'; step: number; accuracy: number | null; description: string }
  | { type: 'error'; about: AttentionRequest['type']; message: string };
