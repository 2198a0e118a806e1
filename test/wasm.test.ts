/**
 * The WebAssembly backend (both builds: relaxed SIMD and plain SIMD) against
 * the reference TypeScript backend:
 *  - every kernel against the reference (./kernel-cases.ts), float64 operands
 *    on the reference, the copy counters;
 *  - the SIMD sigmoid and tanh against Math over a dense grid of [−20, 20];
 *  - the PyTorch parity fixtures through the layers and cells in float32.
 * Skipped, with a message, where the runtime has no WebAssembly SIMD.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { type Backend, ELMAN_TANH } from '../src/backend/backend.js';
import { execFileSync } from 'node:child_process';
import { jsBackend } from '../src/backend/js.js';
import { instantiateWasmKernels, loadWasmBackend, type WasmBackend, type WasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { Random } from '../src/random.js';
import { runKernelSuite, randomF32 } from './kernel-cases.js';
import { runParitySuites } from './parity-cases.js';

const VARIANTS: readonly WasmVariant[] = ['relaxed-simd', 'simd'];
const backends: WasmBackend[] = [];
for (const variant of VARIANTS) {
  const be = await loadWasmBackend({ variant });
  if (be) backends.push(be);
}
const preferred = await loadWasmBackend({ setV8Flags: true });


if (backends.length === 0) {
  test('WebAssembly backend', { skip: 'WebAssembly SIMD is not available in this runtime (loadWasmBackend returned null)' }, () => {});
} else {
  test('loadWasmBackend prefers relaxed SIMD where it validates and names the build', () => {
    assert.ok(preferred);
    assert.match(preferred.name, /^wasm-(relaxed-)?simd$/);
    const names = backends.map((b) => b.name);
    if (names.includes('wasm-relaxed-simd')) assert.equal(preferred.name, 'wasm-relaxed-simd');
    for (const b of backends) assert.equal(b.name, `wasm-${b.variant}`);
  });

  test('by default the loader sets no V8 flag and starts no worker (a library leaves the process alone)', () => {
    // A fresh process: whether relaxed SIMD validates must be the same before and after a default load.
    const script = `
      const { readFileSync } = await import('node:fs');
      const { loadWasmBackend } = await import(${JSON.stringify(new URL('../src/backend/wasm.js', import.meta.url).href)});
      const relaxed = readFileSync(new URL(${JSON.stringify(new URL('../src/wasm/recurrent-relaxed.wasm', import.meta.url).href)}));
      const before = WebAssembly.validate(relaxed);
      const be = await loadWasmBackend();
      const after = WebAssembly.validate(relaxed);
      const threads = await be.startThreads();
      console.log(JSON.stringify({ before, after, name: be.name, threads }));
      await be.close();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { before: boolean; after: boolean; name: string; threads: number };
    assert.equal(out.after, out.before, 'the default load changed whether relaxed SIMD validates: it set a V8 flag');
    assert.equal(out.name, out.before ? 'wasm-relaxed-simd' : 'wasm-simd');
    assert.equal(out.threads, 1, 'no worker threads unless asked');
  });

  test('a build that does not validate falls back to plain SIMD, then to null', async () => {
    const junk = new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]);
    const fallback = await loadWasmBackend({ bytes: { 'relaxed-simd': junk } });
    assert.equal(fallback?.name, 'wasm-simd');
    assert.equal(await loadWasmBackend({ bytes: { 'relaxed-simd': junk, simd: junk } }), null);
    assert.equal(await loadWasmBackend({ variant: 'simd', bytes: { simd: junk } }), null);
  });
}

for (const be of backends) {
  runKernelSuite(be);
  describe(`${be.name}: what only the WebAssembly backend does`, () => {
    test('float64 operands run on the reference backend, bit for bit', () => {
      const rng = new Random(23);
      const a = Float64Array.from(randomF32(rng, 6 * 7));
      const b = Float64Array.from(randomF32(rng, 7 * 5));
      const c1 = new Float64Array(6 * 5);
      const c2 = new Float64Array(6 * 5);
      const before = be.stats.fallbacks;
      jsBackend.gemm(false, false, 6, 5, 7, 1, a, 0, 7, b, 0, 5, 0, c1, 0, 5);
      be.gemm(false, false, 6, 5, 7, 1, a, 0, 7, b, 0, 5, 0, c2, 0, 5);
      assert.deepEqual(c2, c1);
      const g1 = Float64Array.from(randomF32(rng, 8, 5));
      const g2 = g1.slice();
      const h1 = new Float64Array(4);
      const h2 = new Float64Array(4);
      jsBackend.rnnForward(2, 4, ELMAN_TANH, Infinity, g1, 0, h1, 0);
      be.rnnForward(2, 4, ELMAN_TANH, Infinity, g2, 0, h2, 0);
      assert.deepEqual(h2, h1);
      assert.equal(be.stats.fallbacks, before + 2);
    });


    test('the copy counters account for every float moved', () => {
      be.resetStats();
      const a = new Float32Array(3 * 4);
      const b = new Float32Array(5 * 4);
      const c = new Float32Array(3 * 5);
      be.gemm(false, true, 3, 5, 4, 1, a, 0, 4, b, 0, 4, 0, c, 0, 5);
      assert.deepEqual({ ...be.stats }, { calls: 1, floatsIn: 12 + 20, floatsOut: 15, fallbacks: 0, parallel: 0 });
      be.gemm(false, true, 3, 5, 4, 1, a, 0, 4, b, 0, 4, 1, c, 0, 5);
      assert.equal(be.stats.floatsIn, 2 * 32 + 15, 'C is read when beta ≠ 0');
    });
  });
}

/** Reads x into the module's memory, applies `kernel`, returns y (float32). */
function applyActivation(K: WasmKernels, kernel: 'sigmoidArray' | 'tanhArray', x: Float32Array): Float32Array {
  const base = Math.ceil(K.heapBase() / 64) * 64;
  const need = base + 8 * x.length + 64;
  const have = K.memory.buffer.byteLength;
  if (need > have) K.memory.grow(Math.ceil((need - have) / 65536));
  const heap = new Float32Array(K.memory.buffer);
  heap.set(x, base / 4);
  K[kernel](x.length, base, base + 4 * x.length);
  return heap.slice(base / 4 + x.length, base / 4 + 2 * x.length);
}

/** Dense grid of [−20, 20] (float32 points), small magnitudes down to 1e-30, and the exact ends. */
function activationGrid(): Float32Array {
  const pts: number[] = [];
  const N = 400_000;
  for (let i = 0; i <= N; i++) pts.push(-20 + (40 * i) / N);
  for (let e = -30; e <= 0; e += 0.01) pts.push(10 ** e, -(10 ** e));
  pts.push(0, -0, 0.625, -0.625, Math.fround(0.625) - 1e-7, 19.999, -19.999);
  return Float32Array.from(pts);
}

for (const variant of VARIANTS) {
  test(`${variant}: SIMD sigmoid and tanh within 1e-6 relative of Math on [−20, 20]`, async (ctx) => {
    const loaded = await instantiateWasmKernels({ variant });
    if (!loaded) {
      ctx.skip(`${variant} build not available in this runtime`);
      return;
    }
    const x = activationGrid();
    const sig = applyActivation(loaded.kernels, 'sigmoidArray', x);
    const th = applyActivation(loaded.kernels, 'tanhArray', x);
    let worstSig = 0;
    let worstTanh = 0;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const s = 1 / (1 + Math.exp(-xi));
      const errS = Math.abs((sig[i] as number) - s) / s;
      const t = Math.tanh(xi);
      const errT = t === 0 ? Math.abs(th[i] as number) : Math.abs((th[i] as number) - t) / Math.abs(t);
      if (!(errS <= 1e-6)) assert.fail(`sigmoid(${xi}) = ${sig[i]}, expected ${s} (relative error ${errS})`);
      if (!(errT <= 1e-6)) assert.fail(`tanh(${xi}) = ${th[i]}, expected ${t} (relative error ${errT})`);
      worstSig = Math.max(worstSig, errS);
      worstTanh = Math.max(worstTanh, errT);
    }
    // Signs of zero and NaN propagation.
    const special = Float32Array.from([0, -0, Number.NaN, 100, -100]);
    const ts = applyActivation(loaded.kernels, 'tanhArray', special);
    const ss = applyActivation(loaded.kernels, 'sigmoidArray', special);
    assert.ok(Object.is(ts[0], 0) && Object.is(ts[1], -0), 'tanh keeps the sign of zero');
    assert.ok(Number.isNaN(ts[2]) && Number.isNaN(ss[2]), 'NaN propagates');
    assert.deepEqual([ts[3], ts[4], ss[3]], [1, -1, 1]);
    assert.ok((ss[4] as number) >= 0 && (ss[4] as number) < 1e-37, 'sigmoid(−100) underflows to ~0');
    ctx.diagnostic(`${x.length} points; max relative error: sigmoid ${worstSig.toExponential(2)}, tanh ${worstTanh.toExponential(2)}`);
  });
}

for (const be of backends) {
  runParitySuites(be, [{ dtype: 'float32', valueTol: 1e-5, gradTol: 1e-4 }], be.name);
}
if (preferred) {
  // float64 on the wasm backend runs every kernel on the reference: tight tolerance still holds.
  runParitySuites(preferred, [{ dtype: 'float64', valueTol: 1e-10, gradTol: 1e-10 }], `${preferred.name} (float64 fallback)`);
}
