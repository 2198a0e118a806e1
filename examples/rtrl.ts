/**
 * Online learning with Real-Time Recurrent Learning: a GRU learns, while the
 * stream goes by, to repeat its input two steps late. No sequence is stored
 * and nothing is unrolled: every step updates the weights with the exact
 * gradient of the current error, carried forward by the sensitivities.
 *
 *   input  x_t ∈ U(−1, 1), one number per step
 *   target y_t = x_{t−2}
 *   model  GRU(1 → 8) + Linear readout, an SGD step after every time step
 *
 * Run: `npx tsc -p tsconfig.json && node dist/examples/rtrl.js` (STEPS=… to change the length).
 */
import { GRU, OnlineRTRL, Random } from '../src/index.js';

const steps = Number(process.env.STEPS ?? 6000);
const delay = 2;
const report = 500;

const rng = new Random(1);
const gru = new GRU({ inputSize: 1, hiddenSize: 8, dtype: 'float64', seed: 1 });
const learner = new OnlineRTRL(gru, { outputSize: 1, learningRate: 0.1, seed: 1 });
console.log(`RTRL on a GRU with ${learner.rtrl.parameterCount} parameters: ${learner.rtrl.stateSize} × ${learner.rtrl.parameterCount} sensitivities`);

learner.reset();
const recent: number[] = [];
const x = new Float64Array(1);
const y = new Float64Array(1);
let windowLoss = 0;
const started = performance.now();
for (let t = 0; t < steps; t++) {
  x[0] = rng.uniform(-1, 1);
  recent.push(x[0]);
  if (recent.length > delay + 1) recent.shift();
  y[0] = recent.length > delay ? (recent[0] as number) : 0;
  windowLoss += learner.step(x, y);
  if ((t + 1) % report === 0) {
    console.log(`steps ${String(t + 1 - report + 1).padStart(5)}–${String(t + 1).padEnd(5)} mean loss ${(windowLoss / report).toFixed(5)}`);
    windowLoss = 0;
  }
}
const ms = (performance.now() - started) / steps;
console.log(`${(ms * 1000).toFixed(0)} µs per step (a readout-only model stays near 0.15: the memory is what RTRL learned)`);
