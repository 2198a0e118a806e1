/**
 * The training step of workloads W1–W3 (../shared/BENCHMARKS.md), apart
 * from any timing so Node (./workloads.ts) and a browser page
 * (./browser.ts) run the same one: a recurrent stack (input 64) and a
 * Linear readout to 65 classes on a fixed random batch of 64 steps × 32
 * sequences, cross-entropy, backward, Adam (lr 1e-3). Same shapes, loss and
 * optimiser as ../shared/bench/peers/torch_rnn.py. Reaches no `node:` module.
 */
import { constant } from '../src/autograd/variable.js';
import type { Backend } from '../src/backend/backend.js';
import { GRU } from '../src/layers/gru.js';
import { Linear } from '../src/layers/linear.js';
import { LSTM } from '../src/layers/lstm.js';
import type { RecurrentLayer } from '../src/layers/stack.js';
import { ParameterStore } from '../src/params.js';
import { Random } from '../src/random.js';
import { crossEntropy } from '../src/train/loss.js';
import { Adam } from '../src/train/optim.js';
import type { Tensor } from '../src/tensor.js';

/** Input features of every workload. */
export const I = 64;
/** Output classes of every workload. */
export const V = 65;

/** Multiply-adds × 2 of one token's forward pass through `layers` layers of `gates` gates and the readout. */
export function forwardFlops(gates: number, H: number, layers: number): number {
  let f = 0;
  let inp = I;
  for (let l = 0; l < layers; l++) {
    f += 2 * gates * H * (inp + H);
    inp = H;
  }
  return f + 2 * H * V;
}

export function randomNormal(rng: Random, shape: number[]): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape };
}

export interface TrainingStep {
  /** Tokens per step (T × B). */
  tokens: number;
  /** FLOPs per token of a step (forward and backward: 3 × forward). */
  flops: number;
  /** One optimiser step; returns the loss. */
  step(): number;
}

/** W1 = ('lstm', 256, 1), W2 = ('lstm', 512, 2), W3 = ('gru', 256, 1). */
export function trainingStep(cell: 'lstm' | 'gru', H: number, layers: number, backend: Backend): TrainingStep {
  const B = 32;
  const T = 64;
  const params = new ParameterStore('float32', 'bench');
  const Layer = cell === 'lstm' ? LSTM : GRU;
  const rnn: RecurrentLayer = new Layer({ inputSize: I, hiddenSize: H, numLayers: layers, params, prefix: 'rnn.', backend });
  const out = new Linear({ inFeatures: H, outFeatures: V, params, prefix: 'out.', backend });
  const opt = new Adam(params, { lr: 1e-3 });
  const rng = new Random(0);
  const x = constant(randomNormal(rng, [T, B, I]));
  const y = { data: Int32Array.from({ length: T * B }, () => rng.int(V)), shape: [T, B] };
  return {
    tokens: B * T,
    flops: 3 * forwardFlops(cell === 'lstm' ? 4 : 3, H, layers),
    step() {
      opt.zeroGrad();
      const loss = crossEntropy(out.apply(rnn.apply(x).output), y, { backend });
      loss.backward();
      opt.step();
      return loss.item();
    },
  };
}
