/**
 * Float64 central-difference gradient checks on the reference backend
 * (./gradcheck-cases.ts), and gradients accumulating across backward calls.
 */
import { test } from 'node:test';
import { LSTM, Random } from '../src/index.js';
import { randomTensor, runGradcheckSuites } from './gradcheck-cases.js';

runGradcheckSuites(undefined);

test('gradients accumulate across backward calls', () => {
  const rng = new Random(2);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
  const x = randomTensor(rng, [3, 2, 2]);
  const gOut = randomTensor(rng, [3, 2, 3]);
  const out = lstm.forward(x);
  lstm.backward(out.ctx, { dOutput: gOut });
  const once = Float64Array.from(lstm.params.grad);
  lstm.backward(lstm.forward(x).ctx, { dOutput: gOut });
  let maxErr = 0;
  let maxAbs = 0;
  for (let i = 0; i < once.length; i++) {
    maxErr = Math.max(maxErr, Math.abs((lstm.params.grad[i] as number) - 2 * (once[i] as number)));
    maxAbs = Math.max(maxAbs, Math.abs(once[i] as number));
  }
  if (!(maxAbs > 0.01 && maxErr < 1e-12)) throw new Error(`expected doubled gradients: max |g| ${maxAbs}, max error ${maxErr}`);
});
