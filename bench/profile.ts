/**
 * Where a workload's time goes, by kernel: each Backend kernel method is
 * wrapped to add up its wall time (performance.now around each call, about
 * 0.1 µs each), and the rest of a step is the JavaScript around the kernels
 * (autograd, layers, allocation, garbage collection).
 *
 *   taskset -c 1 node dist/bench/profile.js W1|W2|W3|W4|W5 [timings] [--backend native|wasm] [--threads N]
 *
 * Prints the tokens/s of the wrapped run (a little below the unwrapped one)
 * and, per kernel, its share of the timed steps' wall time, calls and
 * GFLOP/s for the products.
 */
import type { Backend } from '../src/backend/backend.js';
import { loadNativeBackend } from '../src/backend/native.js';
import { loadWasmBackend } from '../src/backend/wasm.js';
import { infer, stream, type Timed, train } from './workloads.js';

const args = process.argv.slice(2);
const w = args[0] ?? 'W1';
const n = Number(args.find((a, i) => i > 0 && /^\d+$/.test(a)) ?? 5);
const backendName = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'native';
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : 1;
const inner: Backend | null = backendName === 'wasm' ? await loadWasmBackend({ threads, setV8Flags: true }) : loadNativeBackend({ threads });
if (!inner) throw new Error(`the ${backendName} backend is not available here`);

const seconds = new Map<string, number>();
const calls = new Map<string, number>();
let gemmFlops = 0;
let counting = false;
const wrapped = Object.create(inner) as Record<string, unknown>;
for (const name of Object.keys(inner) as (keyof Backend)[]) {
  const fn = (inner as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function' || name === 'allocate' || name === 'release') continue;
  wrapped[name] = (...p: unknown[]): unknown => {
    if (!counting) return (fn as (...a: unknown[]) => unknown).apply(inner, p);
    const t = performance.now();
    const r = (fn as (...a: unknown[]) => unknown).apply(inner, p);
    seconds.set(name, (seconds.get(name) ?? 0) + (performance.now() - t) / 1000);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (name === 'gemm') gemmFlops += 2 * (p[2] as number) * (p[3] as number) * (p[4] as number);
    return r;
  };
}
const backend = wrapped as unknown as Backend;

// A first run warms up (and is not counted), the second is measured.
const run: Record<string, (k: number) => Timed> = {
  W1: (k) => train('lstm', 256, 1, k, backend),
  W2: (k) => train('lstm', 512, 2, k, backend),
  W3: (k) => train('gru', 256, 1, k, backend),
  W4: (k) => stream(k, backend),
  W5: (k) => infer(k, backend),
};
const job = run[w];
if (!job) throw new Error(`unknown workload ${w}`);
job(2);
counting = true;
const t0 = performance.now();
const { tokens, times } = job(n);
const wall = (performance.now() - t0) / 1000;
const timed = times.reduce((a, b) => a + b, 0);
const total = [...seconds.values()].reduce((a, b) => a + b, 0);
console.log(`${w} on ${inner.name}, ${threads} thread${threads === 1 ? '' : 's'}: ${Math.round((tokens * times.length) / timed).toLocaleString('en-US')} tokens/s over ${times.length} timed steps`);
console.log('| kernel | share of the run | calls | GFLOP/s |');
console.log('|---|---|---|---|');
for (const [name, s] of [...seconds].sort((a, b) => b[1] - a[1])) {
  if (s / wall < 0.005) continue;
  const rate = name === 'gemm' ? (gemmFlops / s / 1e9).toFixed(1) : '';
  console.log(`| ${name} | ${((100 * s) / wall).toFixed(1)} % | ${(calls.get(name) ?? 0).toLocaleString('en-US')} | ${rate} |`);
}
console.log(`| everything else (JavaScript: autograd, layers, allocation, GC) | ${((100 * (wall - total)) / wall).toFixed(1)} % | | |`);
