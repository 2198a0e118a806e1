/**
 * Truncated backpropagation through time, TBPTT(k1, k2) (Williams & Peng 1990).
 *
 * A long stream is consumed k1 steps at a time. After every k1 new steps the
 * loss on those k1 outputs is backpropagated through the last k2 steps only:
 * the window [e − k2, e) is run from the state at its start, which is carried
 * over from earlier windows as a plain value (detached), so no gradient ever
 * reaches a step before e − k2. With k1 = k2 = k this is the common
 * "stateful" training on consecutive chunks; with k2 ≥ the stream length it
 * is full BPTT, split into partial losses.
 *
 * Cost: each update reruns k2 steps forward and backward for k1 new steps,
 * so (k2 / k1)× the work of one pass; memory holds k2 steps.
 */
import { concat, slice } from '../autograd/ops.js';
import { constant, type Variable } from '../autograd/variable.js';
import type { RecurrentLayer } from '../layers/stack.js';
import { formatShape, type Tensor } from '../tensor.js';
import { assertFiniteLoss } from './loss.js';

export interface TBPTTOptions {
  /** New steps between updates (k1 ≥ 1). */
  k1: number;
  /** Steps the gradient flows back through (k2 ≥ k1, so every output's own step is covered). */
  k2: number;
  /** Initial states of the stream (zeros when omitted). */
  h0?: Tensor | null;
  c0?: Tensor | null;
}

/** One update's window, as handed to the loss function. */
export interface TBPTTWindow {
  /** Outputs of the steps the loss covers: (n, B, D·P), time-major. */
  output: Variable;
  /** Stream index of the first of those steps. */
  firstStep: number;
  /** Number of the update, from 0. */
  update: number;
}

export interface TBPTTResult {
  /** Loss value of each update. */
  losses: number[];
  /** Final states after the whole stream. */
  hN: Tensor;
  cN?: Tensor;
}

/**
 * Runs TBPTT(k1, k2) over `stream` (T, B, inputSize), time-major. `lossOf`
 * turns a window's outputs into a scalar loss; after its backward,
 * `afterBackward(update)` runs (step the optimiser, zero the gradients there).
 * Gradients also reach `stream` when it is a tracked variable.
 */
export function truncatedBPTT(
  layer: RecurrentLayer, stream: Variable,
  lossOf: (w: TBPTTWindow) => Variable,
  afterBackward: (update: number) => void,
  options: TBPTTOptions,
): TBPTTResult {
  const { k1, k2 } = options;
  if (!Number.isInteger(k1) || k1 < 1 || !Number.isInteger(k2) || k2 < k1) {
    throw new Error(`truncatedBPTT: k1 and k2 must be integers with 1 ≤ k1 ≤ k2, got k1 = ${k1}, k2 = ${k2}`);
  }
  if (layer.batchFirst) throw new Error(`truncatedBPTT: ${layer.moduleName} must be time-major (batchFirst: false)`);
  if (stream.shape.length !== 3) throw new Error(`truncatedBPTT: stream must be (T, B, inputSize), got ${formatShape(stream.shape)}`);
  const T = stream.shape[0] as number;

  // Carried states (values, no gradient) at the stream positions future windows start from.
  const saved = new Map<number, { h: Tensor | null; c: Tensor | null }>();
  saved.set(0, { h: options.h0 ?? null, c: options.c0 ?? null });
  const losses: number[] = [];
  let last: { h: Tensor; c?: Tensor } | null = null;

  for (let nominalEnd = k1, update = 0; ; nominalEnd += k1, update++) {
    // A last, shorter chunk keeps the window start of a full one.
    const e = Math.min(nominalEnd, T);
    const lossStart = nominalEnd - k1;
    const start = Math.max(0, nominalEnd - k2);
    // Split the window where later windows will start, and where the loss starts.
    const cuts = new Set<number>([start, lossStart, e]);
    for (let p = nominalEnd + k1 - k2; p < e; p += k1) if (p > start) cuts.add(p);
    const bounds = [...cuts].sort((a, b) => a - b);
    const from = saved.get(start);
    if (!from) throw new Error(`truncatedBPTT: internal error, no state saved at step ${start}`);
    let h: Variable | null = from.h ? constant(from.h) : null;
    let c: Variable | null = from.c ? constant(from.c) : null;
    const lossOutputs: Variable[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const a = bounds[i] as number;
      const b = bounds[i + 1] as number;
      const out = layer.apply(slice(stream, 0, a, b), { h0: h, c0: c });
      h = out.hN;
      c = out.cN ?? null;
      saved.set(b, { h: out.hN.value, c: out.cN?.value ?? null });
      if (a >= lossStart) lossOutputs.push(out.output);
    }
    const output = lossOutputs.length === 1 ? (lossOutputs[0] as Variable) : concat(lossOutputs, 0);
    const loss = lossOf({ output, firstStep: lossStart, update });
    const value = loss.item();
    assertFiniteLoss(value, update, 'truncatedBPTT');
    loss.backward();
    afterBackward(update);
    losses.push(value);
    for (const p of saved.keys()) if (p < nominalEnd + k1 - k2 && p !== e) saved.delete(p);
    const end = saved.get(e);
    if (end?.h) last = end.c ? { h: end.h, c: end.c } : { h: end.h };
    if (e >= T) break;
  }
  if (!last) throw new Error('truncatedBPTT: the stream is empty');
  return last.c ? { losses, hN: last.h, cN: last.c } : { losses, hN: last.h };
}
