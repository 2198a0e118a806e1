/**
 * Inference with a {@link Sequential} model on plain arrays: `predict`
 * (outputs per example) and `evaluate` (loss and accuracy on a labelled
 * dataset). Both run in evaluation mode (no dropout) without recording, in
 * batches, and leave the model's mode as it was.
 */
import { noGrad } from '../autograd/variable.js';
import type { Tensor } from '../tensor.js';
import { checkDataset, collate, collateInputs, type Dataset, type Example, type LossName } from './batch.js';
import { formatValue } from './layer-spec.js';
import { batchLoss, checkLoss, countCorrect } from './objective.js';
import type { Sequential } from './sequential.js';

export interface PredictOptions {
  /** Examples per forward pass (default 32). */
  batchSize?: number;
}

export interface EvaluateOptions extends PredictOptions {
  loss: LossName;
}

/** Mean loss over every counted example or step, and accuracy for crossEntropy. */
export interface Evaluation {
  loss: number;
  accuracy?: number;
}

/**
 * The model's output for each input: shape (outputSize) per example, or
 * (T_i, outputSize) over an example's own T_i steps for a per-step model.
 * A classifier trained with crossEntropy outputs logits: the class is the
 * argmax, the probabilities their softmax.
 */
export function predict(model: Sequential, x: readonly Example[], options: PredictOptions = {}): Tensor[] {
  const where = 'predict';
  if (!Array.isArray(x)) throw new Error(`${where}: x must be an array of inputs, got ${formatValue(x)}`);
  const batchSize = checkBatchSize(options.batchSize ?? 32, where);
  const C = model.signature.outputSize;
  const out: Tensor[] = [];
  inference(model, () => {
    for (let start = 0; start < x.length; start += batchSize) {
      const indices = range(start, Math.min(start + batchSize, x.length));
      const batch = collateInputs(model, x, indices, where, 'x');
      const y = model.apply(batch.input, { lengths: batch.lengths }).data;
      for (let b = 0; b < batch.size; b++) {
        if (!model.signature.outputSequence) {
          out.push({ data: y.slice(b * C, (b + 1) * C), shape: [C] });
          continue;
        }
        const n = (batch.lengths as Int32Array)[b] as number;
        const row = b * batch.steps * C;
        out.push({ data: y.slice(row, row + n * C), shape: [n, C] });
      }
    }
  });
  return out;
}

/** Loss (and accuracy for crossEntropy) of the model on a labelled dataset. */
export function evaluate(model: Sequential, data: Dataset, options: EvaluateOptions): Evaluation {
  const where = 'evaluate';
  checkLoss(options?.loss, where);
  checkDataset(data, where, 'data');
  return evaluateOn(model, data, options.loss, checkBatchSize(options.batchSize ?? 32, where), where, '');
}

/** {@link evaluate} with the names used in messages (`fit: validation.x[3] …`). */
export function evaluateOn(model: Sequential, data: Dataset, loss: LossName, batchSize: number, where: string, name: string): Evaluation {
  let total = 0;
  let counted = 0;
  let correct = 0;
  inference(model, () => {
    for (let start = 0; start < data.x.length; start += batchSize) {
      const batch = collate(model, data, range(start, Math.min(start + batchSize, data.x.length)), loss, where, name);
      const output = model.apply(batch.input, { lengths: batch.lengths });
      total += batchLoss(model, output, batch, loss).item() * batch.count;
      counted += batch.count;
      if (loss === 'crossEntropy') correct += countCorrect(output.value, batch);
    }
  });
  const result: Evaluation = { loss: total / counted };
  if (loss === 'crossEntropy') result.accuracy = correct / counted;
  return result;
}

/** Runs `fn` in evaluation mode without recording, then restores the model's mode. */
function inference(model: Sequential, fn: () => void): void {
  const training = model.training;
  model.eval();
  try {
    noGrad(fn);
  } finally {
    model.train(training);
  }
}

export function checkBatchSize(n: unknown, where: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`${where}: batchSize must be a positive integer, got ${formatValue(n)}`);
  return n;
}

/** The integers [begin, end). */
export function range(begin: number, end: number): Int32Array {
  const r = new Int32Array(end - begin);
  for (let i = 0; i < r.length; i++) r[i] = begin + i;
  return r;
}

