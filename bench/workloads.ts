/**
 * The standard workloads W1–W5 (../shared/BENCHMARKS.md) run by recurrent.
 *
 *   node dist/bench/workloads.js W1|W2|W3|W4|W5 [timings] [--backend auto|native|wasm|js] [--threads N]
 *
 * Prints one JSON line in the peers' format: tokens/s (median of per-timing
 * rates), GFLOP/s, peak RSS; also tokens per CPU-second (all threads), which
 * other load on the machine inflates less than wall time. Same shapes, losses and optimiser as
 * ../shared/bench/peers/torch_rnn.py (W1–W3's step: ./training-step.ts).
 */
import { pathToFileURL } from 'node:url';
import { constant, noGrad } from '../src/autograd/variable.js';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { loadNativeBackend } from '../src/backend/native.js';
import { loadWasmBackend } from '../src/backend/wasm.js';
import { Embedding } from '../src/layers/embedding.js';
import { Linear } from '../src/layers/linear.js';
import { LSTM } from '../src/layers/lstm.js';
import { ParameterStore } from '../src/params.js';
import { Random } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';
import { cpuSeconds, median } from './timing.js';
import { I, V, forwardFlops, randomNormal, trainingStep } from './training-step.js';

export interface Timed {
  tokens: number;
  /** Wall seconds per timed repetition. */
  times: number[];
  /** CPU seconds (user + system, all threads) per timed repetition. */
  cpu: number[];
  flops: number;
}

export function train(cell: 'lstm' | 'gru', H: number, layers: number, n: number, backend: Backend): Timed {
  const { tokens, flops, step } = trainingStep(cell, H, layers, backend);
  for (let i = 0; i < 3; i++) step();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const c = cpuSeconds();
    step();
    times.push((performance.now() - t) / 1000);
    cpu.push(cpuSeconds() - c);
  }
  return { tokens, times, cpu, flops };
}

export function stream(n: number, backend: Backend): Timed {
  const H = 256;
  const steps = 512;
  const params = new ParameterStore('float32', 'bench');
  const emb = new Embedding({ numEmbeddings: V, embeddingDim: I, params, prefix: 'emb.', backend });
  const rnn = new LSTM({ inputSize: I, hiddenSize: H, params, prefix: 'rnn.', backend });
  const out = new Linear({ inFeatures: H, outFeatures: V, params, prefix: 'out.', backend });
  const times: number[] = [];
  const cpu: number[] = [];
  noGrad(() => {
    // Twenty warm-up rounds (10,240 steps): a step is many small calls, and the rates settle only after V8 has
    // optimised the JavaScript around them (five rounds left the first timed rounds at half speed).
    const warmup = 20;
    for (let r = 0; r < warmup + n; r++) {
      let tok = 0;
      let h: Tensor | null = null;
      let c: Tensor | null = null;
      const t = performance.now();
      const c0 = cpuSeconds();
      for (let s = 0; s < steps; s++) {
        const o = rnn.apply(emb.apply({ data: [tok], shape: [1, 1] }), { h0: h ? constant(h) : null, c0: c ? constant(c) : null });
        h = o.hN.value;
        c = o.cN?.value ?? null;
        const logits = out.apply(o.output).data;
        let best = 0;
        for (let k = 1; k < V; k++) if ((logits[k] as number) > (logits[best] as number)) best = k;
        tok = best;
      }
      if (r >= warmup) {
        times.push((performance.now() - t) / 1000);
        cpu.push(cpuSeconds() - c0);
      }
    }
  });
  return { tokens: steps, times, cpu, flops: forwardFlops(4, H, 1) };
}

export function infer(n: number, backend: Backend): Timed {
  const B = 64;
  const T = 128;
  const params = new ParameterStore('float32', 'bench');
  const rnn = new LSTM({ inputSize: I, hiddenSize: 256, params, prefix: 'rnn.', backend });
  const out = new Linear({ inFeatures: 256, outFeatures: V, params, prefix: 'out.', backend });
  const x = constant(randomNormal(new Random(0), [T, B, I]));
  const times: number[] = [];
  const cpu: number[] = [];
  noGrad(() => {
    for (let r = 0; r < n + 2; r++) {
      const t = performance.now();
      const c = cpuSeconds();
      out.apply(rnn.apply(x).output);
      if (r >= 2) {
        times.push((performance.now() - t) / 1000);
        cpu.push(cpuSeconds() - c);
      }
    }
  });
  return { tokens: B * T, times, cpu, flops: forwardFlops(4, 256, 1) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const w = args[0] ?? 'W1';
  const n = Number(args.find((a, i) => i > 0 && /^\d+$/.test(a)) ?? 7);
  const backendName = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'auto';
  const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : 1;
  const native = backendName === 'native' || backendName === 'auto' ? loadNativeBackend({ threads }) : null;
  if (backendName === 'native' && !native) throw new Error('the native backend is not available here');
  const wasm = native || backendName === 'js' ? null : await loadWasmBackend({ threads, setV8Flags: true });
  const backend: Backend = native ?? wasm ?? jsBackend;
  const usedThreads = native ? native.threads : wasm ? await wasm.startThreads() : 1;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const run: Record<string, () => Timed> = {
    W1: () => train('lstm', 256, 1, n, backend),
    W2: () => train('lstm', 512, 2, n, backend),
    W3: () => train('gru', 256, 1, n, backend),
    W4: () => stream(n, backend),
    W5: () => infer(n, backend),
  };
  const job = run[w];
  if (!job) throw new Error(`unknown workload ${w}; expected W1 … W5`);
  const { tokens, times, cpu: cpuTimes, flops } = job();
  const cpu = process.cpuUsage(cpu0);
  const rates = times.map((t) => tokens / t);
  const med = median(rates);
  const cpuRate = median(cpuTimes.map((t) => tokens / t));
  console.log(JSON.stringify({
    system: `recurrent-${backend.name}`, workload: w, tok_per_s: Math.round(med * 10) / 10,
    min: Math.round(Math.min(...rates) * 10) / 10, max: Math.round(Math.max(...rates) * 10) / 10, n: rates.length,
    gflops: Math.round((med * flops) / 1e7) / 100, flops_per_tok: flops,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    cpu_over_wall: Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100) / 100, threads: usedThreads,
    tok_per_cpu_s: Math.round(cpuRate * 10) / 10,
  }));
  await wasm?.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
