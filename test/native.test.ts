/**
 * The native backend (C kernels through Node-API, built at install), every
 * float32 build this processor runs (AVX-512, AVX2 + FMA, portable):
 *  - every kernel against the reference (./kernel-cases.ts,
 *    ./training-kernel-cases.ts) and the PyTorch parity fixtures through the
 *    layers and cells in float32 (values rtol 1e-5, gradients 1e-4);
 *  - its float64 kernels: the parity fixtures to 1e-10 and the float64
 *    central-difference gradient checks (./gradcheck-cases.ts), both on
 *    native code, and the variant kernels' gradient checks;
 *  - two threads give the single-thread results bit for bit;
 *  - bad calls (wrong types, offsets, sizes, short arrays) throw, naming the
 *    kernel and the operand, and never reach native code: fuzzed in a child
 *    process, which would die if one did;
 *  - memory stays bounded over 10,000 training steps;
 *  - switched off (RECURRENT_NATIVE=0) the library and the command line run
 *    on WebAssembly; the install-time build without a compiler, or with one
 *    that fails, exits 0 with one line saying why, and leaves no addon.
 * Skipped, with a message, where the native kernels were not built.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsBackend } from '../src/backend/js.js';
import { loadNativeBackend, nativeStatus, type NativeBackend } from '../src/backend/native.js';
import { GRU, LSTM, Random } from '../src/index.js';
import { Adam } from '../src/train/optim.js';
import { runGradcheckSuites } from './gradcheck-cases.js';
import { projectRoot } from './helpers.js';
import { randomF32, runKernelSuite } from './kernel-cases.js';
import { runParitySuites } from './parity-cases.js';
import { runTrainingKernelSuite } from './training-kernel-cases.js';

const status = nativeStatus();
const distUrl = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);

if (!status.available) {
  test('native backend', { skip: `the native kernels are not available here: ${status.reason}` }, () => {});
} else {
  const builds = status.builds.map((build) => loadNativeBackend({ build }) as NativeBackend);
  const best = builds[0] as NativeBackend;

  test('the fastest build the processor runs is the default, and each build is named', () => {
    assert.equal(loadNativeBackend()?.name, `native-${status.builds[0]}`);
    assert.deepEqual(builds.map((b) => b.name), status.builds.map((b) => `native-${b}`));
    assert.ok(status.builds.includes('base'), 'the portable build is always there');
    assert.throws(() => loadNativeBackend({ threads: 0 }), /threads must be an integer from 1 to 63, got 0/);
  });

  for (const be of builds) {
    runKernelSuite(be);
    runTrainingKernelSuite(be);
    runParitySuites(be, [{ dtype: 'float32', valueTol: 1e-5, gradTol: 1e-4 }], be.name);
  }
  runParitySuites(best, [{ dtype: 'float64', valueTol: 1e-10, gradTol: 1e-10 }], `${best.name} (float64 kernels)`);
  runGradcheckSuites(best, `${best.name} (float64 kernels)`);

  describe(`${best.name}: precision and threads`, () => {
    test('float64 operands run in the float64 kernels, mixed precision on the reference', () => {
      const rng = new Random(23);
      const a = Float64Array.from(randomF32(rng, 6 * 7));
      const b = Float64Array.from(randomF32(rng, 7 * 5));
      const c1 = new Float64Array(6 * 5);
      const c2 = new Float64Array(6 * 5);
      jsBackend.gemm(false, false, 6, 5, 7, 1, a, 0, 7, b, 0, 5, 0, c1, 0, 5);
      best.gemm(false, false, 6, 5, 7, 1, a, 0, 7, b, 0, 5, 0, c2, 0, 5);
      for (let i = 0; i < c1.length; i++) assert.ok(Math.abs((c1[i] as number) - (c2[i] as number)) <= 1e-15, `C[${i}]`);
      const before = best.fallbacks;
      const c3 = new Float32Array(6 * 5);
      best.gemm(false, false, 6, 5, 7, 1, a, 0, 7, b, 0, 5, 0, c3, 0, 5);
      assert.equal(best.fallbacks, before + 1);
      for (let i = 0; i < c1.length; i++) assert.equal(c3[i], Math.fround(c1[i] as number));
    });

    const two = loadNativeBackend({ threads: 2 }) as NativeBackend;
    test('two threads: products equal one thread\'s bit for bit (all transposes, awkward sizes, offsets, alpha, beta)', (t) => {
      assert.equal(two.threads, 2);
      const rng = new Random(5);
      let split = 0;
      // [9, 5, 30000]: split by rows, where a block of fewer than four rows would take the batch-1 path
      for (const [m, n, k] of [[64, 1024, 256], [256, 67, 129], [37, 1029, 300], [1024, 256, 64], [300, 300, 40], [9, 5, 30000], [13, 2, 50000]] as const) {
        for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
          const lda = (tA ? m : k) + 1;
          const ldb = (tB ? k : n) + 3;
          const a = randomF32(rng, 2 + (tA ? k : m) * lda);
          const b = randomF32(rng, 1 + (tB ? n : k) * ldb);
          const c1 = randomF32(rng, 4 + m * (n + 2));
          const c2 = c1.slice();
          best.gemm(tA, tB, m, n, k, 0.9, a, 2, lda, b, 1, ldb, 0.5, c1, 4, n + 2);
          two.gemm(tA, tB, m, n, k, 0.9, a, 2, lda, b, 1, ldb, 0.5, c2, 4, n + 2);
          assert.deepEqual(c2, c1, `${m}×${n}×${k} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`);
          split++;
        }
      }
      t.diagnostic(`${split} products`);
    });

    test('a product split right after the pool starts does not wait forever (20 fresh processes, cores busy)', () => {
      // The addon's own entry, without the JavaScript between starting the threads and the first product:
      // a worker that began running only after that product was published used to miss it, and the caller waited.
      const script = `
        const addon = require(${JSON.stringify(join(projectRoot, 'native', 'build', 'recurrent.node'))});
        addon.startThreads(2);
        const [m, n, k] = [256, 256, 256];
        const a = new Float32Array(m * k).fill(1), b = new Float32Array(k * n).fill(1), c = new Float32Array(m * n);
        // gemm on the fastest build with 2 threads (code: kernel · 256 + build · 64 + threads); numbers, then each operand's offset and extent
        const build = ['avx512', 'avx2', 'base'].indexOf(addon.builds()[0]);
        const x = new Float64Array([0, 0, m, n, k, 1, k, n, 0, n, 0, m * k, 0, k * n, 0, m * n]);
        addon.run(addon.kernels().indexOf('gemm') * 256 + build * 64 + 2, x, a, b, c);
        process.stdout.write(String(c[m * n - 1]));
      `;
      // Two busy processes keep both cores taken, so that a new thread often starts late (the old pool hung 14 times in 20 so).
      const busy = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
      try {
        for (let i = 0; i < 20; i++) {
          const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
          assert.equal(r.signal, null, `run ${i}: killed by ${r.signal} (the product never finished)`);
          assert.equal(r.stdout, '256', `run ${i}: ${r.stderr}`);
        }
      } finally {
        for (const p of busy) p.kill('SIGKILL');
      }
    });

    test('two threads: LSTM and GRU training steps (Adam) equal one thread\'s bit for bit', () => {
      for (const make of [
        (backend: NativeBackend) => new LSTM({ inputSize: 64, hiddenSize: 128, numLayers: 2, seed: 4, backend }),
        (backend: NativeBackend) => new GRU({ inputSize: 64, hiddenSize: 96, bidirectional: true, seed: 4, backend }),
      ]) {
        const runs = [best, two].map((backend) => {
          const layer = make(backend);
          const opt = new Adam(layer.params, { lr: 1e-2 });
          const rng = new Random(9);
          const x = { data: randomF32(rng, 16 * 32 * 64), shape: [16, 32, 64] };
          const dOut = { data: randomF32(rng, 16 * 32 * layer.directions * layer.outputSize), shape: [16, 32, layer.directions * layer.outputSize] };
          let out = layer.forward(x);
          for (let step = 0; step < 3; step++) {
            layer.zeroGrad();
            layer.backward(out.ctx, { dOutput: dOut });
            opt.step();
            out = layer.forward(x);
          }
          return Float32Array.from(out.output.data);
        });
        assert.deepEqual(runs[1], runs[0]);
      }
    });
  });

  describe(`${best.name}: bad calls never reach native code`, () => {
    test('offsets, lengths, sizes and element types are checked, naming the kernel and the operand', () => {
      const a = new Float32Array(12);
      const b = new Float32Array(20);
      const c = new Float32Array(15);
      assert.throws(() => best.gemm(false, true, 3, 5, 4, 1, a, 1, 4, b, 0, 4, 0, c, 0, 5), /gemm: a needs elements \[1, 13\) but has 12/);
      assert.throws(() => best.gemm(false, true, 3, 5, 4, 1, a, 0, 4, b, 0, 4, 0, c, 0, 6), /gemm: c needs elements \[0, 17\) but has 15/);
      assert.throws(() => best.gemm(false, true, 3, 5, 4, 1, a, -1, 4, b, 0, 4, 0, c, 0, 5), /gemm: the offset of a must be an integer ≥ 0, got -1/);
      assert.throws(() => best.gemm(false, true, 3, 5, 4.5, 1, a, 0, 4, b, 0, 4, 0, c, 0, 5), /gemm: sizes must be integers/);
      assert.throws(() => best.gemm(false, true, 3, 5, 4, 1, a, 0, 4, new Int32Array(20) as unknown as Float32Array, 0, 4, 0, c, 0, 5), /gemm: b must be a Float32Array or Float64Array/);
      assert.throws(() => best.lstmForward(2, 3, Infinity, new Float32Array(23), 0, new Float32Array(6), 0, new Float32Array(6), 0, new Float32Array(6), 0), /lstmForward: gates needs elements \[0, 24\) but has 23/);
      assert.throws(() => best.softmaxCrossEntropy(2, 3, new Float32Array(6), 0, new Int32Array(1), new Float64Array(2), new Float32Array(6)), /softmaxCrossEntropy: t needs elements \[0, 2\) but has 1/);
      assert.throws(() => best.softmaxCrossEntropy(2, 3, new Float32Array(6), 0, new Int32Array(2), new Float32Array(2) as unknown as Float64Array, new Float32Array(6)), /softmaxCrossEntropy: w must be a Float64Array/);
      assert.throws(() => best.rnnForward(1, 2, -1, Infinity, null as unknown as Float32Array, 0, new Float32Array(2), 0), /rnnForward: pre must be an array, got null/);
      // a target a row reads must be a class of that row (one with zero weight is not read)
      const weights = new Float64Array([1, 1]);
      assert.throws(() => best.softmaxCrossEntropy(2, 3, new Float32Array(6), 0, new Int32Array([0, 3]), weights, new Float32Array(6)), /softmaxCrossEntropy: target t\[1\] = 3 is outside \[0, 3\)/);
      assert.throws(() => best.softmaxCrossEntropyBackward(2, 3, 1, new Int32Array([-1, 0]), weights, new Float32Array(6)), /softmaxCrossEntropyBackward: target t\[0\] = -1 is outside \[0, 3\)/);
      const probs = new Float32Array([0.5, 0.25, 0.25, 0.5, 0.25, 0.25]);
      best.softmaxCrossEntropyBackward(2, 3, 1, new Int32Array([1, 7]), new Float64Array([1, 0]), probs);
      assert.deepEqual([...probs], [0.5, -0.75, 0.25, 0, 0, 0]);
      // a transpose flag is read as nonzero on both sides: B (2×40, op(B) 40×2) is read within the 80 elements checked
      const cT = new Float32Array(6);
      best.gemm(false, 0.5 as unknown as boolean, 3, 2, 40, 1, new Float32Array(120).fill(1), 0, 40, new Float32Array(80).fill(1), 0, 40, 0, cT, 0, 2);
      assert.deepEqual([...cT], [40, 40, 40, 40, 40, 40]);
      // empty calls do nothing, as in the reference
      best.gemm(false, false, 0, 5, 4, 1, a, 0, 4, b, 0, 5, 0, c, 0, 5);
      best.rnnForward(-3, 2, -1, Infinity, new Float32Array(0), 0, new Float32Array(0), 0);
    });

    test('fuzzed: 20,000 calls, valid ones with one or two arguments spoiled, throw or run, and the process survives', (t) => {
      // Each call starts valid (sizes, offsets and arrays made from the kernel table), then half of them get
      // one or two parameters replaced by a bad size, offset, array, element type or null.
      const script = `
        const { loadNativeBackend } = await import(${distUrl('../src/backend/native.js')});
        const { COMPILED, lengthOf } = await import(${distUrl('../src/backend/kernel-calls.js')});
        const be = loadNativeBackend({ threads: 2 });
        let seed = 12345;
        const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
        const int = (n) => Math.floor(rnd() * n);
        const pick = (xs) => xs[int(xs.length)];
        const bad = [-1, -7, 1.5, NaN, Infinity, 2 ** 31, 2 ** 40, 1e300, 1e9, () => new Float32Array(int(5)), () => new Float64Array(3), () => new Int32Array(8), () => null, () => [1, 2, 3], () => ({ length: 1e9 })];
        const counts = { ran: 0, threw: 0, other: 0 };
        const options = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, decoupled: false, step: 1, momentum: 0.9, dampening: 0, nesterov: false, first: true };
        for (let i = 0; i < 20000; i++) {
          const name = pick(Object.keys(COMPILED));
          const k = COMPILED[name];
          const params = [];
          const x = k.x;
          // numbers: sizes small, leading dimensions at least the columns they stride over
          for (let s = 0; s < x.length; s++) x[s] = int(9) + (int(4) === 0 ? 30 : 0);
          for (const o of k.operands) if (o.kind === 3) x[o.ld] = x[o.trans >= 0 && x[o.trans] % 2 ? o.rows : o.cols] + int(3);
          for (let s = 0; s < x.length; s++) if (k.numberParam[s] >= 0) params[k.numberParam[s]] = x[s];
          for (const o of k.operands) if (o.trans >= 0) params[k.numberParam[o.trans]] = x[o.trans] % 2 === 1;
          if (k.derivedParam >= 0) params[k.derivedParam] = options;
          k.operands.forEach((o, j) => {
            const off = k.offsetParam[j] >= 0 ? int(4) : 0;
            const len = off + Math.max(0, lengthOf(k, o, x)) + int(3);
            const a = o.type === 'i32' ? new Int32Array(len).map(() => int(Math.max(1, x[k.unit] ?? 1))) : o.type === 'f64' ? new Float64Array(len).fill(1) : new Float32Array(len).map(() => rnd() - 0.5);
            params[k.arrayParam[j]] = o.optional && int(3) === 0 ? null : a;
            if (k.offsetParam[j] >= 0) params[k.offsetParam[j]] = off;
          });
          if (int(2) === 0) for (let m = 1 + int(2); m > 0; m--) { const b = pick(bad); params[int(params.length)] = typeof b === 'function' ? b() : b; }
          try { be[name](...params); counts.ran++; }
          catch (e) { if (e instanceof RangeError || e instanceof TypeError) counts.threw++; else { counts.other++; console.error(name, e); } }
        }
        process.stdout.write(JSON.stringify(counts));
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.signal, null, `the fuzzing process was killed by ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      const counts = JSON.parse(r.stdout) as { ran: number; threw: number; other: number };
      assert.equal(counts.other, 0, 'only RangeError and TypeError');
      assert.ok(counts.threw > 3000 && counts.ran > 8000, `both paths exercised: ${r.stdout}`);
      t.diagnostic(r.stdout);
    });
  });

  test('memory stays bounded over 10,000 training steps', (t) => {
    const script = `
      const { loadNativeBackend } = await import(${distUrl('../src/backend/native.js')});
      const { LSTM } = await import(${distUrl('../src/index.js')});
      const { Adam } = await import(${distUrl('../src/train/optim.js')});
      const backend = loadNativeBackend({ threads: 2 });
      const lstm = new LSTM({ inputSize: 8, hiddenSize: 32, seed: 1, backend });
      const opt = new Adam(lstm.params, { lr: 1e-3 });
      const x = { data: new Float32Array(8 * 4 * 8).map((_, i) => Math.sin(i)), shape: [8, 4, 8] };
      const dOut = { data: new Float32Array(8 * 4 * 32).fill(0.01), shape: [8, 4, 32] };
      const rss = [];
      for (let step = 1; step <= 10000; step++) {
        const out = lstm.forward(x);
        lstm.zeroGrad();
        lstm.backward(out.ctx, { dOutput: dOut });
        opt.step();
        if (step === 1000 || step === 10000) { globalThis.gc(); rss.push(process.memoryUsage().rss); }
      }
      process.stdout.write(JSON.stringify(rss));
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const [at1k, at10k] = JSON.parse(r.stdout) as [number, number];
    const growth = (at10k - at1k) / 2 ** 20;
    t.diagnostic(`RSS ${(at1k / 2 ** 20).toFixed(1)} MB after 1,000 steps, ${(at10k / 2 ** 20).toFixed(1)} MB after 10,000 (${growth.toFixed(1)} MB)`);
    assert.ok(growth < 8, `RSS grew by ${growth.toFixed(1)} MB between steps 1,000 and 10,000`);
  });
}

describe('switched off, or not built', () => {
  test('RECURRENT_NATIVE=0: unavailable with the reason, --backend native refuses, auto runs on WebAssembly', () => {
    const env = { ...process.env, RECURRENT_NATIVE: '0' };
    const script = `
      const { nativeStatus, loadNativeBackend } = await import(${distUrl('../src/backend/native.js')});
      const { chooseBackend } = await import(${distUrl('../src/cli/backend.js')});
      const auto = await chooseBackend('auto', 1);
      process.stdout.write(JSON.stringify({ status: nativeStatus(), loaded: loadNativeBackend(), auto: auto.name }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })) as {
      status: { available: boolean; reason: string }; loaded: null; auto: string;
    };
    assert.deepEqual(out.status, { available: false, builds: [], reason: 'switched off by RECURRENT_NATIVE=0' });
    assert.equal(out.loaded, null);
    assert.match(out.auto, /^wasm-/);
    const cli = spawnSync(process.execPath, [join(projectRoot, 'dist/src/cli/main.js'), 'sample', '--backend', 'native', '--checkpoint', 'none.safetensors'], { env, encoding: 'utf8' });
    assert.notEqual(cli.status, 0);
    assert.match(cli.stderr, /the native kernels are not available: switched off by RECURRENT_NATIVE=0/);
  });

  describe('the install-time build never fails the install', () => {
    // The script, run as npm would at install, with the environment given (and none of this run's RECURRENT_NATIVE).
    const build = (env: Record<string, string>, out: string): { status: number | null; stdout: string; stderr: string } => {
      const { RECURRENT_NATIVE: _, ...inherited } = process.env;
      return spawnSync(process.execPath, [join(projectRoot, 'scripts/build-native.mjs'), '--force', '--out', out], { env: { ...inherited, ...env }, encoding: 'utf8' });
    };

    test('without a compiler: exit 0, one line saying why, no addon, the reason recorded', () => {
      const dir = mkdtempSync(join(tmpdir(), 'native-none-'));
      try {
        const empty = join(dir, 'bin');
        mkdirSync(empty);
        const r = build({ PATH: empty, CC: '' }, join(dir, 'build'));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, 'recurrent: native kernels not built (no C compiler found: install gcc or clang, or set CC); using WebAssembly\n');
        assert.equal(existsSync(join(dir, 'build', 'recurrent.node')), false);
        assert.equal((JSON.parse(readFileSync(join(dir, 'build', 'status.json'), 'utf8')) as { built: boolean }).built, false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('with a compiler that fails: exit 0, one line with the compiler\'s error', () => {
      const dir = mkdtempSync(join(tmpdir(), 'native-broken-'));
      try {
        const cc = join(dir, 'broken-cc');
        writeFileSync(cc, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "broken-cc 1.0"; exit 0; fi\necho "broken-cc: internal error" >&2\nexit 1\n');
        chmodSync(cc, 0o755);
        const r = build({ CC: cc }, join(dir, 'build'));
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^recurrent: native kernels not built \(the compile failed: broken-cc: internal error\); using WebAssembly\n$/);
        assert.equal(existsSync(join(dir, 'build', 'recurrent.node')), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('with RECURRENT_NATIVE=0: skipped, saying so', () => {
      const dir = mkdtempSync(join(tmpdir(), 'native-off-'));
      try {
        const r = build({ RECURRENT_NATIVE: '0' }, join(dir, 'build'));
        assert.equal(r.status, 0);
        assert.equal(r.stdout, 'recurrent: native kernels not built (RECURRENT_NATIVE=0); using WebAssembly\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
