#!/usr/bin/env node
/**
 * Matrix-product microbenchmark of the WebAssembly backend against the
 * reference TypeScript backend, in one run (run `npm run build` first):
 *
 *   taskset -c 1 node bench/gemm.mjs [--quick]
 *
 * Shapes are m×k×n (op(A) m×k, op(B) k×n) with the transposes of the
 * library's calls: 32×320×1024 NT is the W1 recurrent step
 * (h W_hhᵀ with B = batch 32), NN its backward dh W_hh, TN the weight gradient
 * form; 1×256×1024 is a batch-1 step. For each wasm build it reports the
 * kernel on data already in linear memory ("resident") and the Backend call,
 * which copies the operands in and the result out per call ("backend"); the
 * difference is the copy overhead per call. Times are CPU time (user +
 * system) of this process, so other load on the machine inflates them less.
 */
import { jsBackend } from '../dist/src/backend/js.js';
import { instantiateWasmKernels, loadWasmBackend } from '../dist/src/backend/wasm.js';
import { cpuSeconds, secondsPerCall } from '../dist/bench/timing.js';

const quick = process.argv.includes('--quick');
const SAMPLE_MS = quick ? 20 : 60;
const SAMPLES = quick ? 3 : 7;

const shapes = [
  { m: 32, k: 320, n: 1024, tA: false, tB: true },
  { m: 32, k: 320, n: 1024, tA: false, tB: false },
  { m: 32, k: 320, n: 1024, tA: true, tB: false },
  { m: 1, k: 256, n: 1024, tA: false, tB: true },
  { m: 1, k: 256, n: 1024, tA: false, tB: false },
  { m: 32, k: 1024, n: 2048, tA: false, tB: true },
  { m: 2048, k: 64, n: 1024, tA: false, tB: true },
  { m: 1024, k: 2048, n: 256, tA: true, tB: false },
];

/** Median CPU seconds per call of `fn`, timing batches of about SAMPLE_MS. */
const time = (fn) => secondsPerCall(fn, { sampleMs: SAMPLE_MS, samples: SAMPLES, clock: cpuSeconds });

let seed = 12345;
function random(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    a[i] = seed / 2 ** 31 - 1;
  }
  return a;
}

const builds = [];
for (const variant of ['relaxed-simd', 'simd']) {
  const raw = await instantiateWasmKernels({ variant });
  const backend = await loadWasmBackend({ variant, threads: 1 });
  if (raw && backend) builds.push({ variant, kernels: raw.kernels, backend });
  else console.log(`${variant}: not available on this runtime`);
}

const gf = (flops, s) => (flops / s / 1e9).toFixed(1);
console.log(`node ${process.version}; GFLOP/s from CPU time, median of ${SAMPLES} batches; copy µs/call = backend − resident\n`);
const header = ['shape', 'js'];
for (const b of builds) header.push(`${b.variant} resident`, `${b.variant} backend`, 'copy µs/call', 'floats moved');
console.log(header.join(' | '));
for (const { m, k, n, tA, tB } of shapes) {
  const lda = tA ? m : k;
  const ldb = tB ? k : n;
  const a = random(m * k);
  const b = random(k * n);
  const c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const label = `${m}×${k}×${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
  const row = [label];
  const jsBig = flops > 2e8 && quick;
  row.push(jsBig ? '–' : gf(flops, time(() => jsBackend.gemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n))));
  for (const { kernels: K, backend } of builds) {
    // Resident: operands placed once in the module's memory above its scratch.
    const work = Math.ceil(K.heapBase() / 64) * 64;
    const pa = work + Math.ceil(K.gemmWorkspaceBytes() / 64) * 64;
    const pb = pa + Math.ceil(a.length / 16) * 64;
    const pc = pb + Math.ceil(b.length / 16) * 64;
    const end = pc + c.length * 4;
    if (K.memory.buffer.byteLength < end) K.memory.grow(Math.ceil((end - K.memory.buffer.byteLength) / 65536));
    const heap = new Float32Array(K.memory.buffer);
    heap.set(a, pa / 4);
    heap.set(b, pb / 4);
    const resident = time(() => K.gemm(tA ? 1 : 0, tB ? 1 : 0, m, n, k, 1, pa, lda, pb, ldb, 0, pc, n, work));
    const viaBackend = time(() => backend.gemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n));
    backend.resetStats();
    backend.gemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n);
    const moved = backend.stats.floatsIn + backend.stats.floatsOut;
    row.push(gf(flops, resident), gf(flops, viaBackend), ((viaBackend - resident) * 1e6).toFixed(1), String(moved));
  }
  console.log(row.join(' | '));
}

// Gate kernels: ns per hidden unit (batch 32, H = 256), reference vs wasm (resident and via the Backend).
{
  const B = 32;
  const H = 256;
  const n = B * H;
  const gates = random(4 * n);
  const gru = random(3 * n);
  const hw = random(3 * n);
  const state = random(2 * n);
  const out = new Float32Array(4 * n);
  const d1 = random(n);
  const d2 = random(n);
  const d3 = new Float32Array(3 * n);
  const kernelsOf = (be) => [
    ['lstmForward', () => be.lstmForward(B, H, gates, 0, state, 0, state, n, out, 0)],
    ['lstmBackward', () => be.lstmBackward(B, H, gates, 0, state, 0, state, n, d1, 0, d2, 0, out, 0)],
    ['gruForward', () => be.gruForward(B, H, gru, 0, hw, 0, state, 0, state, n)],
    ['gruBackward', () => be.gruBackward(B, H, gru, 0, hw, 0, state, 0, d1, 0, d3, 0, out, 0, d2, 0)],
  ];
  console.log(`\ngate kernels, ns per hidden unit (${B}×${H}); 'backend' includes the copies`);
  const head = ['kernel', 'js'];
  for (const b of builds) head.push(`${b.variant} resident`, `${b.variant} backend`);
  console.log(head.join(' | '));
  const js = kernelsOf(jsBackend);
  const per = builds.map((b) => kernelsOf(b.backend));
  for (let i = 0; i < js.length; i++) {
    const [name, fn] = js[i];
    // Values saturate after repeated in-place application; the timing is unaffected.
    const row = [name, (time(fn) / n * 1e9).toFixed(1)];
    for (let j = 0; j < builds.length; j++) {
      const { kernels: K } = builds[j];
      const base = Math.ceil(K.heapBase() / 64) * 64 + Math.ceil(K.gemmWorkspaceBytes() / 64) * 64;
      const p = (i) => base + i * n * 4; // 16 slots of n floats
      const need = p(16);
      if (K.memory.buffer.byteLength < need) K.memory.grow(Math.ceil((need - K.memory.buffer.byteLength) / 65536));
      new Float32Array(K.memory.buffer).set(random(16 * n), base / 4);
      const raw = {
        lstmForward: () => K.lstmForward(B, H, p(0), p(4), p(5), p(6)),
        lstmBackward: () => K.lstmBackward(B, H, p(0), p(4), p(5), p(6), p(7), p(8)),
        gruForward: () => K.gruForward(B, H, p(0), p(3), p(6), p(7)),
        gruBackward: () => K.gruBackward(B, H, p(0), p(3), p(6), p(7), p(8), p(11), p(14)),
      }[name];
      row.push((time(raw) / n * 1e9).toFixed(1), (time(per[j][i][1]) / n * 1e9).toFixed(1));
    }
    console.log(row.join(' | '));
  }
}
