/**
 * Memory check: runs W1 training steps (LSTM 256, batch 32 × 64, Adam) on
 * the WebAssembly backend and prints RSS, the JavaScript heap and the
 * allocator's counters every `every` steps, so a leak shows as growth.
 *
 *   node dist/bench/memory.js [steps = 200] [every = 20]
 */
import { constant } from '../src/autograd/variable.js';
import { loadWasmBackend } from '../src/backend/wasm.js';
import { Linear } from '../src/layers/linear.js';
import { LSTM } from '../src/layers/lstm.js';
import { ParameterStore } from '../src/params.js';
import { Random } from '../src/random.js';
import { clipGradNorm } from '../src/train/clip.js';
import { crossEntropy } from '../src/train/loss.js';
import { Adam } from '../src/train/optim.js';

const steps = Number(process.argv[2] ?? 200);
const every = Number(process.argv[3] ?? 20);
const backend = await loadWasmBackend({ threads: 1, setV8Flags: true });
if (!backend) throw new Error('no WebAssembly SIMD here');
const [T, B, I, H, V] = [64, 32, 64, 256, 65];
const params = new ParameterStore('float32', 'memory');
const rnn = new LSTM({ inputSize: I, hiddenSize: H, params, prefix: 'rnn.', backend });
const out = new Linear({ inFeatures: H, outFeatures: V, params, prefix: 'out.', backend });
const opt = new Adam(params, { lr: 1e-3 });
const rng = new Random(0);
const mb = (x: number): number => Math.round(x / 1e5) / 10;
for (let s = 1; s <= steps; s++) {
  // fresh data every step, as a training loop would have
  const x = new Float32Array(T * B * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = { data: Int32Array.from({ length: T * B }, () => rng.int(V)), shape: [T, B] };
  opt.zeroGrad();
  crossEntropy(out.apply(rnn.apply(constant({ data: x, shape: [T, B, I] })).output), y, { backend }).backward();
  clipGradNorm(params, 5);
  opt.step();
  if (s % every === 0 || s === 1) {
    const m = backend.memoryStats();
    console.log(JSON.stringify({
      step: s, rss_mb: mb(process.memoryUsage().rss), js_heap_mb: mb(process.memoryUsage().heapUsed),
      array_buffers_mb: mb(process.memoryUsage().arrayBuffers),
      wasm_heap_mb: mb(m.heapBytes), live_mb: mb(m.liveBytes), live_blocks: m.liveBlocks, free_mb: mb(m.freeBytes),
    }));
  }
}
