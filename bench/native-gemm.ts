/**
 * The native matrix product against the processor's ceiling, in one run:
 *
 *   taskset -c 1 node dist/bench/native-gemm.js [--json]
 *
 * First the multiply-add ceiling of each native build (independent vector
 * FMAs, no memory traffic: what one core can do at most), then the product
 * through the native Backend at the shapes of workload W1 (LSTM 256, batch
 * 32 × 64 steps, input 64) and a few others, in GFLOP/s and as a share of
 * the widest build's ceiling. Times are the median of 7 batches of calls of
 * about 60 ms each, wall time on a pinned core.
 */
import { loadNativeBackend, nativeFmaPeak, nativeStatus } from '../src/backend/native.js';
import { secondsPerCall } from './timing.js';

/** The products of one W1 training step (m×k×n, transposes), and others. */
const SHAPES = [
  { what: 'W1 step h·W_hhᵀ', m: 32, k: 256, n: 1024, tA: false, tB: true },
  { what: 'W1 step, input and state (320 deep)', m: 32, k: 320, n: 1024, tA: false, tB: true },
  { what: 'W1 input projection X·W_ihᵀ (64 steps)', m: 2048, k: 64, n: 1024, tA: false, tB: true },
  { what: 'W1 backward step dG·W_hh', m: 32, k: 1024, n: 256, tA: false, tB: false },
  { what: 'W1 weight gradient dGᵀ·H', m: 1024, k: 2048, n: 256, tA: true, tB: false },
  { what: 'W1 output layer Y·W_outᵀ', m: 2048, k: 256, n: 65, tA: false, tB: true },
  { what: 'W4 batch-1 step h·W_hhᵀ', m: 1, k: 256, n: 1024, tA: false, tB: true },
];

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

export interface NativeGemmReport {
  builds: string[];
  /** GFLOP/s ceiling per build. */
  peak: Record<string, number>;
  products: { what: string; shape: string; gflops: number; ofPeak: number }[];
}

export function measureNativeGemm(): NativeGemmReport | null {
  const status = nativeStatus();
  const be = loadNativeBackend();
  if (!status.available || !be) return null;
  const peak: Record<string, number> = {};
  for (const b of status.builds) peak[b] = nativeFmaPeak(b) as number;
  const top = peak[be.build] as number;
  const products = SHAPES.map(({ what, m, k, n, tA, tB }) => {
    const a = random(m * k, 1);
    const b = random(k * n, 2);
    const c = new Float32Array(m * n);
    const lda = tA ? m : k;
    const ldb = tB ? k : n;
    const s = secondsPerCall(() => be.gemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n));
    const gflops = (2 * m * n * k) / s / 1e9;
    return { what, shape: `${m}×${k}×${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`, gflops, ofPeak: gflops / top };
  });
  return { builds: [...status.builds], peak, products };
}

/** The report as Markdown: ceilings, then the products with their share of the widest build's ceiling. */
export function nativeGemmTable(r: NativeGemmReport): string {
  const lines = [
    `Multiply-add ceiling per core (GFLOP/s): ${r.builds.map((b) => `${b} ${(r.peak[b] as number).toFixed(1)}`).join(', ')}.`,
    '',
    `| product | shape (m×k×n) | GFLOP/s | share of the ${r.builds[0]} ceiling |`,
    '|---|---|---|---|',
    ...r.products.map((p) => `| ${p.what} | ${p.shape} | ${p.gflops.toFixed(1)} | ${(100 * p.ofPeak).toFixed(0)} % |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = measureNativeGemm();
  if (!r) {
    console.error(`native kernels not available: ${nativeStatus().reason}`);
    process.exitCode = 1;
  } else if (process.argv.includes('--json')) {
    console.log(JSON.stringify(r));
  } else {
    console.log(nativeGemmTable(r));
  }
}
