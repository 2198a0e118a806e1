/**
 * Worker threads of the WebAssembly backend: large matrix products split
 * across threads give the single-thread results bit for bit (every element
 * is summed in the same order), batch-1 products stay on the calling thread,
 * a training step is the same with and without threads, the thread count
 * is capped at the limit with every block still computed, and the workers
 * never keep a process alive. Skipped where there is no shared memory.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constant } from '../src/autograd/variable.js';
import { THREAD_LIMITS } from '../src/backend/threads.js';
import { loadWasmBackend, type WasmBackend } from '../src/backend/wasm.js';
import { GRU, Linear, LSTM, ParameterStore, type RecurrentLayer, type RecurrentOptions } from '../src/index.js';
import { Random } from '../src/random.js';
import { crossEntropy } from '../src/train/loss.js';
import { Adam } from '../src/train/optim.js';

const one = await loadWasmBackend({ threads: 1 });
const two = await loadWasmBackend({ threads: 2 });
const started = two ? await two.startThreads() : 1;

function randomF32(rng: Random, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

test('the threads option is validated', async () => {
  await assert.rejects(loadWasmBackend({ threads: 0 }), /loadWasmBackend: threads must be an integer ≥ 1, got 0/);
  await assert.rejects(loadWasmBackend({ threads: 1.5 }), /threads must be an integer ≥ 1/);
  assert.equal(one?.threads ?? 1, 1);
});

if (!one || !two || started < 2) {
  test('worker threads', { skip: 'no shared WebAssembly memory or worker threads in this runtime' }, () => {});
} else {
  const b1: WasmBackend = one;
  const b2: WasmBackend = two;
  after(() => b2.close());

  describe('products split across 2 threads', () => {
    test('equal the single-thread products bit for bit (all transposes, awkward sizes, offsets, alpha, beta)', (t) => {
      assert.equal(b2.threads, 2);
      const rng = new Random(61);
      let split = 0;
      for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        for (const [m, n, k] of [[37, 1029, 131], [515, 67, 77], [64, 256, 1024], [2051, 9, 300], [4, 2500, 130]] as const) {
          const lda = (tA ? m : k) + 3;
          const ldb = (tB ? k : n) + 1;
          const ldc = n + 2;
          const a = randomF32(rng, 5 + (tA ? k : m) * lda);
          const b = randomF32(rng, 7 + (tB ? n : k) * ldb);
          const c = randomF32(rng, 3 + m * ldc);
          const results = ([b1, b2] as WasmBackend[]).map((be) => {
            const ra = be.allocate('float32', a.length) as Float32Array;
            const rb = be.allocate('float32', b.length) as Float32Array;
            const rc = be.allocate('float32', c.length) as Float32Array;
            ra.set(a);
            rb.set(b);
            rc.set(c);
            be.gemm(tA, tB, m, n, k, 0.75, ra, 5, lda, rb, 7, ldb, -0.5, rc, 3, ldc);
            return rc;
          });
          assert.deepEqual(results[1], results[0], `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${m}×${n}×${k}`);
          // operands outside the memory are copied in and split as well
          const cc = c.slice();
          const before = b2.stats.parallel;
          b2.gemm(tA, tB, m, n, k, 0.75, a, 5, lda, b, 7, ldb, -0.5, cc, 3, ldc);
          assert.equal(b2.stats.parallel, before + 1);
          assert.deepEqual(cc, results[0]);
          split++;
        }
      }
      t.diagnostic(`${split} shapes; ${b2.stats.parallel} products split`);
    });

    test('a few rows more than a tile are not split off into a sliver that would sum in another order', () => {
      // Five or six rows by rows of four would leave one or two rows, which the kernel computes as row products.
      const rng = new Random(62);
      for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        for (const [m, n, k] of [[5, 3, 80000], [6, 1, 200000], [9, 5, 30000]] as const) {
          const a = randomF32(rng, m * k);
          const b = randomF32(rng, k * n);
          const results = ([b1, b2] as WasmBackend[]).map((be) => {
            const c = new Float32Array(m * n);
            be.gemm(tA, tB, m, n, k, 1, a, 0, tA ? m : k, b, 0, tB ? k : n, 0, c, 0, n);
            return c;
          });
          assert.deepEqual(results[1], results[0], `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${m}×${n}×${k}`);
        }
      }
    });

    test('optimiser updates and scaling split across threads equal the single-thread ones', () => {
      const rng = new Random(71);
      const n = 100_003;
      const init = [randomF32(rng, n), randomF32(rng, n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      const before = b2.stats.parallel;
      const out = ([b1, b2] as WasmBackend[]).map((be) => {
        const [p, g, m, v, x] = init.map((a) => {
          const r = be.allocate('float32', n) as Float32Array;
          r.set(a);
          return r;
        }) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
        be.adamStep(n, p, g, m, v, x, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, decoupled: true, step: 3 });
        be.sgdStep(n, p, g, x, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01, first: false });
        be.scale(n, 0.3, p, 0);
        return [p, m, v, x];
      });
      assert.deepEqual(out[1], out[0]);
      assert.equal(b2.stats.parallel, before + 3, 'Adam, SGD and the scaling were split');
    });

    test('batch-1 and small products stay on the calling thread', () => {
      const before = b2.stats.parallel;
      const w = b2.allocate('float32', 1024 * 256);
      const h = new Float32Array(256);
      const out = new Float32Array(1024);
      b2.gemm(false, true, 1, 1024, 256, 1, h, 0, 256, w, 0, 256, 0, out, 0, 1024);
      b2.gemm(false, true, 3, 1024, 256, 1, new Float32Array(768), 0, 256, w, 0, 256, 0, new Float32Array(3072), 0, 1024);
      b2.gemm(false, false, 8, 8, 8, 1, new Float32Array(64), 0, 8, new Float32Array(64), 0, 8, 0, new Float32Array(64), 0, 8);
      assert.equal(b2.stats.parallel, before);
      b2.release(w);
    });

    test('LSTM and GRU training steps, and their variants, are the same with 1 and 2 threads (products, gates, bias adds and Adam split)', () => {
      const rng = new Random(67);
      const [T, B, I, H, V] = [12, 64, 48, 128, 40];
      const x = { data: randomF32(rng, T * B * I), shape: [T, B, I] };
      const y = { data: Int32Array.from({ length: T * B }, () => rng.int(V)), shape: [T, B] };
      const split0 = b2.stats.parallel;
      const layers = [
        (o: RecurrentOptions) => new LSTM(o),
        (o: RecurrentOptions) => new GRU(o),
        (o: RecurrentOptions) => new LSTM({ ...o, peepholes: true }),
        (o: RecurrentOptions) => new GRU({ ...o, resetAfter: false }),
      ];
      const run = (backend: WasmBackend, make: (o: RecurrentOptions) => RecurrentLayer): { losses: number[]; data: number[] } => {
        const params = new ParameterStore('float32', 'model');
        const rnn = make({ inputSize: I, hiddenSize: H, numLayers: 2, params, prefix: 'rnn.', backend, seed: 5 });
        const head = new Linear({ inFeatures: H, outFeatures: V, params, prefix: 'head.', backend, seed: 6 });
        const opt = new Adam(params, { lr: 1e-3 });
        const losses: number[] = [];
        for (let s = 0; s < 3; s++) {
          opt.zeroGrad();
          const loss = crossEntropy(head.apply(rnn.apply(constant(x)).output), y, { backend });
          loss.backward();
          opt.step();
          losses.push(loss.item());
        }
        return { losses, data: Array.from(params.data) };
      };
      for (const make of layers) {
        const one = run(b1, make);
        const two = run(b2, make);
        assert.deepEqual(two.losses, one.losses);
        assert.deepEqual(two.data, one.data);
      }
      assert.ok(b2.stats.parallel - split0 > 12 * T * 4, `${b2.stats.parallel - split0} kernels split`);
    });
  });

  test('workers do not keep a process alive', () => {
    const script = `
      const { loadWasmBackend } = await import(${JSON.stringify(new URL('../src/backend/wasm.js', import.meta.url).href)});
      const be = await loadWasmBackend({ threads: 2 });
      const n = await be.startThreads();
      const a = be.allocate('float32', 256 * 512);
      const c = be.allocate('float32', 256 * 256);
      be.gemm(false, true, 256, 256, 512, 1, a, 0, 512, a, 0, 512, 0, c, 0, 256);
      console.log('threads', n, 'split', be.stats.parallel);
    `;
    // The timeout only ends a process that would otherwise hang: one killed by it did not exit by itself.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, 'exited by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /threads 2 split 1/);
  });

  test(`more threads than the limit run on ${THREAD_LIMITS.maxThreads}, and every block of a split product is computed`, async () => {
    const many = await loadWasmBackend({ threads: 1000 });
    assert.ok(many);
    try {
      assert.equal(await many.startThreads(), THREAD_LIMITS.maxThreads);
      const rng = new Random(73);
      const [m, n, k] = [64, 1000, 64];
      const a = randomF32(rng, m * k);
      const b = randomF32(rng, k * n);
      const split = new Float32Array(m * n);
      const single = new Float32Array(m * n);
      many.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, split, 0, n);
      b1.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, single, 0, n);
      assert.equal(many.stats.parallel, 1);
      assert.deepEqual(split, single);
    } finally {
      await many.close();
    }
  });
}
