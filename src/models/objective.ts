/**
 * A model's loss and accuracy on a labelled batch, counting only real
 * examples and valid steps (never the padding).
 *
 *   crossEntropy:  mean over counted rows of −log softmax(z)_y      (z: logits)
 *   mse:           Σ m (ŷ − y)² / (count · C)                        (m: 1 at valid steps, 0 on padding)
 *   accuracy:      fraction of counted rows with argmax z = y        (crossEntropy only)
 */
import { mul, sub } from '../autograd/elementwise.js';
import { sum } from '../autograd/reduce.js';
import { constant, type Variable } from '../autograd/variable.js';
import { crossEntropy, mse } from '../train/loss.js';
import { allocate, type Tensor } from '../tensor.js';
import type { LabelledBatch, LossName } from './batch.js';
import type { Sequential } from './sequential.js';

/** The batch's mean loss, on the tape. */
export function batchLoss(model: Sequential, output: Variable, batch: LabelledBatch, loss: LossName): Variable {
  if (loss === 'crossEntropy') {
    const classes = batch.classes as Int32Array;
    return crossEntropy(output, { data: classes, shape: [classes.length] }, { ...(batch.mask ? { mask: batch.mask } : {}), backend: model.backend });
  }
  const values = batch.values as Tensor;
  if (!batch.mask) return mse(output, values);
  const C = model.signature.outputSize;
  const m = allocate(model.dtype, batch.mask.length);
  m.set(batch.mask);
  const masked = mul(sub(output, constant(values)), constant({ data: m, shape: [batch.size, batch.steps, 1] }));
  return mul(sum(mul(masked, masked)), 1 / (batch.count * C));
}

/** How many counted rows the output classifies correctly (argmax of the last dimension). */
export function countCorrect(output: Tensor, batch: LabelledBatch): number {
  const classes = batch.classes as Int32Array;
  const C = output.shape[output.shape.length - 1] as number;
  let correct = 0;
  for (let r = 0; r < classes.length; r++) {
    if (batch.mask && batch.mask[r] === 0) continue;
    let best = 0;
    for (let k = 1; k < C; k++) if ((output.data[r * C + k] as number) > (output.data[r * C + best] as number)) best = k;
    if (best === classes[r]) correct++;
  }
  return correct;
}

/** Throws unless `loss` is one of the known losses. */
export function checkLoss(loss: unknown, where: string): asserts loss is LossName {
  if (loss !== 'crossEntropy' && loss !== 'mse') throw new Error(`${where}: loss must be 'crossEntropy' or 'mse', got ${typeof loss === 'string' ? `'${loss}'` : String(loss)}`);
}
