/**
 * Attention over an encoded source: what every kind offers a decoder.
 *
 * A decoder with attention reads, for each query q_t (a decoder state),
 * weights α_t over the source steps and their average, the context:
 *
 *   e_{t,s} = score(q_t, h_s)          one number per source step
 *   α_t     = softmax over the valid steps of e_t   (padding: weight 0)
 *   c_t     = Σ_s α_{t,s} h_s
 *
 * The kinds differ in their score (one file each):
 *   dot        sᵀh                              Luong et al. 2015
 *   general    sᵀ W_a h                          Luong et al. 2015
 *   projected  (W_q s)ᵀ (W_k h) / √d             (scaled, projected dot product)
 *   bahdanau   vᵀ tanh(W_1 h + W_2 s)            Bahdanau et al. 2015
 *
 * Shapes: memory (B, S, memorySize) — the encoder's outputs, batch first;
 * queries (B, T, querySize); context (B, T, memorySize); weights (B, T, S).
 * `prepare` computes once per source what does not depend on the query
 * (projected keys); `apply` then attends with any number of queries — all T
 * decoder steps at once (Luong), or one step at a time (Bahdanau, whose
 * query is the previous decoder state and whose context feeds the next
 * recurrent input: {@link Attention.feedsInput}).
 *
 * Every `apply` is one fused node on the tape with a hand-written backward.
 */
import { checkLengths } from '../checks.js';
import { formatShape } from '../tensor.js';
import type { Variable } from '../autograd/variable.js';
import type { ModuleOptions } from '../module.js';

export type AttentionKind = 'dot' | 'general' | 'projected' | 'bahdanau';

export const ATTENTION_KINDS: readonly AttentionKind[] = ['dot', 'general', 'projected', 'bahdanau'];

/** Options every kind takes. */
export interface AttentionOptions extends ModuleOptions {
  /** Features of a query: the decoder state. */
  querySize: number;
  /** Features of a source step: the encoder output. */
  memorySize: number;
}

/** Options of the kinds with a projection (projected, bahdanau). */
export interface ProjectedAttentionOptions extends AttentionOptions {
  /** Features of the projected queries and keys, d (default querySize). */
  attentionSize?: number;
}

/** A source prepared for attention by {@link Attention.prepare}. */
export interface AttentionMemory {
  /** (B, S, ·) what the queries are scored against (projected for general, projected and bahdanau). */
  readonly keys: Variable;
  /** (B, S, memorySize) what the weights average: the encoder's outputs. */
  readonly values: Variable;
  /** Valid source steps per row, each in [1, S]. */
  readonly lengths: Int32Array;
}

export interface AttentionOutput {
  /** (B, T, memorySize) c_t = Σ_s α_{t,s} h_s. */
  readonly context: Variable;
  /** (B, T, S) α, zero at padding. */
  readonly weights: Variable;
}

export interface Attention {
  readonly kind: AttentionKind;
  /** Features of a query (the decoder state). */
  readonly querySize: number;
  /** Features of a source step (the encoder output). */
  readonly memorySize: number;
  /**
   * True when the query is the decoder's previous state and the context is
   * part of the next recurrent input (Bahdanau); false when the query is the
   * current recurrent output (Luong).
   */
  readonly feedsInput: boolean;
  /** Everything about `memory` (B, S, memorySize) that does not depend on the query. */
  prepare(memory: Variable, lengths: ArrayLike<number>): AttentionMemory;
  /** Attends with `queries` (B, T, querySize): contexts and weights. */
  apply(queries: Variable, memory: AttentionMemory): AttentionOutput;
}

/** Checks a memory (B, S, memorySize) and its lengths; returns B, S and the lengths. */
export function checkMemory(op: string, memory: Variable, memorySize: number, lengths: ArrayLike<number>): { B: number; S: number; lengths: Int32Array } {
  if (memory.shape.length !== 3 || memory.shape[2] !== memorySize) {
    throw new Error(`${op}: expected memory of shape (B, S, ${memorySize}), got ${formatShape(memory.shape)}`);
  }
  const [B, S] = memory.shape as [number, number];
  if (lengths == null) throw new Error(`${op}: lengths are required (one per source row, in [1, ${S}])`);
  return { B, S, lengths: checkLengths(op, lengths, B, S) };
}

/** Checks queries (B, T, querySize) against a prepared memory's batch; returns T. */
export function checkQueries(op: string, queries: Variable, querySize: number, memory: AttentionMemory): number {
  const B = memory.values.shape[0] as number;
  if (queries.shape.length !== 3 || queries.shape[0] !== B || queries.shape[2] !== querySize) {
    throw new Error(`${op}: expected queries of shape (B, T, ${querySize}) with B = ${B}, got ${formatShape(queries.shape)}`);
  }
  if (queries.shape[1] === 0) throw new Error(`${op}: queries must have at least one step`);
  return queries.shape[1] as number;
}

/** Throws unless `v` is a positive integer; returns it. */
export function positiveSize(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}
