/**
 * The default job: an LSTM learns to report the running mean of a noisy
 * signal, trained by backpropagation through time with SGD + momentum.
 *
 *   input  x_t ∈ U(−1, 1)           (T = 20 steps, batch 32)
 *   target y_t = mean(x_1 … x_t)     (many-to-many regression)
 *   model  LSTM(1 → 24) with projSize 1, so h_t is the prediction
 *   loss   mean squared error; dL/dŷ = 2(ŷ − y)/N fed to lstm.backward
 */
import { SingleBar, Presets } from 'cli-progress';
import { LSTM, Random, type Tensor } from '../src/index.js';

const T = 20;
const B = 32;
const steps = Number(process.env.STEPS ?? 1500);
const lr = 0.3;
const momentum = 0.9;

const rng = new Random(7);
const lstm = new LSTM({ inputSize: 1, hiddenSize: 24, projSize: 1, seed: 7 });
const velocity = new Float32Array(lstm.params.size);

function batch(): { x: Tensor; y: Float32Array } {
  const x = new Float32Array(T * B);
  const y = new Float32Array(T * B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const v = rng.uniform(-1, 1);
      sum += v;
      x[t * B + b] = v;
      y[t * B + b] = sum / (t + 1);
    }
  }
  return { x: { data: x, shape: [T, B, 1] }, y };
}

/** Mean squared error and its gradient with respect to the predictions. */
function mse(pred: Float32Array | Float64Array, y: Float32Array): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(y.length);
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const d = (pred[i] as number) - (y[i] as number);
    loss += d * d;
    grad[i] = (2 * d) / y.length;
  }
  return { loss: loss / y.length, grad };
}

const baseline = mse(new Float32Array(T * B), batch().y).loss;
console.log(`LSTM(1 → 24, projSize 1): ${lstm.params.size} parameters; predicting 0 scores MSE ${baseline.toFixed(4)}`);

const bar = new SingleBar({ format: 'training |{bar}| {percentage}% | step {value}/{total} | MSE {loss} | ETA {eta}s', hideCursor: true }, Presets.shades_classic);
bar.start(steps, 0, { loss: '-' });
let smoothed = Number.NaN;
for (let step = 1; step <= steps; step++) {
  const { x, y } = batch();
  const out = lstm.forward(x);
  const { loss, grad } = mse(out.output.data, y);
  lstm.zeroGrad();
  lstm.backward(out.ctx, { dOutput: { data: grad, shape: [T, B, 1] } });
  // SGD with momentum over the one flat parameter buffer: v = μv + g; θ −= lr·v
  const { data, grad: g } = lstm.params;
  for (let i = 0; i < data.length; i++) {
    velocity[i] = momentum * (velocity[i] as number) + (g[i] as number);
    data[i] = (data[i] as number) - lr * (velocity[i] as number);
  }
  smoothed = Number.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
  bar.update(step, { loss: smoothed.toFixed(5) });
}
bar.stop();

const test = batch();
const final = mse(lstm.forward(test.x).output.data, test.y).loss;
console.log(`held-out MSE ${final.toFixed(5)} (baseline ${baseline.toFixed(4)}, ${(baseline / final).toFixed(0)}× better)`);
const show = (v: number): string => v.toFixed(3).padStart(6);
const pred = lstm.forward(test.x).output.data;
console.log('step     input   target   predicted');
for (let t = 0; t < T; t += 4) {
  console.log(`${String(t + 1).padStart(4)}  ${show(test.x.data[t * B] as number)}   ${show(test.y[t * B] as number)}   ${show(pred[t * B] as number)}`);
}
