/**
 * The WebAssembly backend's memory: the allocator (zeroed blocks, reuse,
 * release of the right arrays only, growth of a shared memory, fallback to
 * ordinary arrays when an unshared memory is full, reclamation of garbage),
 * kernels on operands in place versus copied, parameters placed in the
 * memory, and the lifetimes of the layers' caches (released after
 * backward, nothing kept under noGrad, buffers reused for batch-1 steps).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constant, leaf, noGrad } from '../src/autograd/variable.js';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { instantiateWasmKernels, loadWasmBackend, unsharedMemoryBytes, type WasmBackend } from '../src/backend/wasm.js';
import { GRU, Linear, LSTM, LSTMCell, ParameterStore } from '../src/index.js';
import { Random } from '../src/random.js';
import { crossEntropy } from '../src/train/loss.js';
import { Adam } from '../src/train/optim.js';
import type { Tensor } from '../src/tensor.js';

const be = await loadWasmBackend({ threads: 1 });

function randomF32(rng: Random, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** A copy of `src` in the backend's memory. */
function resident(b: WasmBackend, src: Float32Array): Float32Array {
  const a = b.allocate('float32', src.length) as Float32Array;
  a.set(src);
  return a;
}

if (!be) {
  test('WebAssembly memory', { skip: 'WebAssembly SIMD is not available in this runtime' }, () => {});
} else {
  describe('allocator', () => {
    test('float32 buffers are zeroed views of the memory; float64 ones are ordinary arrays', () => {
      const a = be.allocate('float32', 1000);
      assert.ok(a instanceof Float32Array && a.length === 1000);
      assert.ok(be.owns(a));
      assert.equal(a.byteOffset % 64, 0, '64-byte aligned');
      assert.ok(a.every((v) => v === 0));
      const d = be.allocate('float64', 10);
      assert.ok(d instanceof Float64Array && !be.owns(d));
      assert.ok(!be.owns(new Float32Array(4)));
      be.release(a);
    });

    test('a released block is reused, zeroed, for the next request of its size class', () => {
      const a = be.allocate('float32', 5000);
      a.fill(7);
      const at = a.byteOffset;
      be.release(a);
      const b = be.allocate('float32', 4900); // same class (4 per power of two)
      assert.equal(b.byteOffset, at);
      assert.ok(b.every((v) => v === 0), 'recycled blocks are cleared');
      be.release(b);
    });

    test('release ignores foreign arrays, views and second releases', () => {
      const live0 = be.memoryStats().liveBlocks;
      const a = be.allocate('float32', 300);
      be.release(new Float32Array(300));
      be.release(a.subarray(0, 10)); // a view, not the allocation
      assert.equal(be.memoryStats().liveBlocks, live0 + 1);
      be.release(a);
      be.release(a);
      assert.equal(be.memoryStats().liveBlocks, live0);
      const x = be.allocate('float32', 300);
      const y = be.allocate('float32', 300);
      assert.notEqual(x.byteOffset, y.byteOffset, 'a double release does not hand one block out twice');
      be.release(x);
      be.release(y);
    });

    test('a shared memory grows in place: earlier arrays stay valid', async (t) => {
      const small = await loadWasmBackend({ threads: 1, initialPages: 80 });
      assert.ok(small);
      if (!small.memoryStats().shared) {
        t.skip('no shared memory here');
        return;
      }
      const a = small.allocate('float32', 1000);
      a.fill(3);
      const before = small.memoryStats().memoryBytes;
      const big = small.allocate('float32', 2_000_000); // 8 MB > 5 MiB reserved
      assert.ok(small.owns(big) && small.owns(a));
      assert.ok(small.memoryStats().memoryBytes > before);
      assert.ok(a.every((v) => v === 3), 'old views keep their values');
      const c = new Float32Array(1000);
      small.gemm(false, false, 1, 1000, 1, 1, new Float32Array([2]), 0, 1, a, 0, 1000, 0, c, 0, 1000);
      assert.ok(c.every((v) => v === 6), 'kernels read arrays made before the growth in place');
    });

    test('an unshared memory never grows: beyond it, allocations are ordinary arrays that still work', async () => {
      const fixed = await loadWasmBackend({ threads: 1, sharedMemory: false, initialPages: 80 });
      assert.ok(fixed);
      assert.equal(fixed.memoryStats().shared, false);
      assert.equal(fixed.threads, 1);
      const before = fixed.memoryStats().memoryBytes;
      const big = fixed.allocate('float32', 2_000_000);
      assert.ok(!fixed.owns(big) && big.length === 2_000_000);
      assert.equal(fixed.memoryStats().fallbackAllocations, 1);
      assert.equal(fixed.memoryStats().memoryBytes, before);
      big.fill(1);
      const out = new Float32Array(1);
      fixed.gemm(false, false, 1, 1, 1000, 1, big, 0, 1000, big, 0, 1, 0, out, 0, 1);
      assert.equal(out[0], 1000);
    });

    test('blocks of arrays that became garbage return to the free lists (FinalizationRegistry)', () => {
      const script = `
        const { loadWasmBackend } = await import(${JSON.stringify(new URL('../src/backend/wasm.js', import.meta.url).href)});
        const be = await loadWasmBackend({ threads: 1 });
        const base = be.memoryStats().liveBlocks;
        (() => { for (let i = 0; i < 50; i++) be.allocate('float32', 1000); })();
        const held = be.memoryStats().liveBlocks - base;
        for (let i = 0; i < 20 && be.memoryStats().liveBlocks > base; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
        console.log(JSON.stringify({ held, left: be.memoryStats().liveBlocks - base }));
      `;
      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      const { held, left } = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { held: number; left: number };
      assert.equal(held, 50);
      assert.equal(left, 0);
    });

    test('the unshared build differs from the shared one in the memory flags byte only, and validates', async () => {
      const loaded = await instantiateWasmKernels({ sharedMemory: true });
      assert.ok(loaded);
      const { readFile } = await import('node:fs/promises');
      const file = loaded.variant === 'relaxed-simd' ? 'recurrent-relaxed.wasm' : 'recurrent-simd.wasm';
      const bytes = new Uint8Array(await readFile(new URL(`../src/wasm/${file}`, import.meta.url)));
      const patched = unsharedMemoryBytes(bytes);
      const diffs = [...bytes.keys()].filter((i) => bytes[i] !== patched[i]);
      assert.equal(diffs.length, 1);
      assert.deepEqual([bytes[diffs[0] as number], patched[diffs[0] as number]], [3, 1]);
      assert.ok((globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(patched));
      const junk = new Uint8Array([1, 2, 3]);
      assert.deepEqual(unsharedMemoryBytes(junk), junk);
    });
  });

  describe('kernels on operands in the memory', () => {
    test('in place and copied operands give the same results; in place moves no data', () => {
      const rng = new Random(31);
      for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        for (const [m, n, k] of [[1, 40, 33], [5, 17, 9], [32, 96, 70], [70, 20, 130]] as const) {
          const a = randomF32(rng, m * k);
          const b = randomF32(rng, k * n);
          const c = randomF32(rng, m * n);
          const lda = tA ? m : k;
          const ldb = tB ? k : n;
          const copied = c.slice();
          be.gemm(tA, tB, m, n, k, 0.5, a, 0, lda, b, 0, ldb, 1, copied, 0, n);
          const ra = resident(be, a);
          const rb = resident(be, b);
          const rc = resident(be, c);
          be.resetStats();
          be.gemm(tA, tB, m, n, k, 0.5, ra, 0, lda, rb, 0, ldb, 1, rc, 0, n);
          assert.equal(be.stats.floatsIn + be.stats.floatsOut, 0, 'nothing copied');
          assert.deepEqual(rc, copied, `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${m}×${n}×${k}`);
          for (const x of [ra, rb, rc]) be.release(x);
        }
      }
      // gates, mixed: some operands in place, some not
      const B = 3;
      const H = 13;
      const gates = randomF32(rng, 4 * B * H, 3);
      const cs = randomF32(rng, 2 * B * H);
      const m1 = new Float32Array(B * H);
      const g1 = gates.slice();
      const c1 = cs.slice();
      be.lstmForward(B, H, Infinity, g1, 0, c1, 0, c1, B * H, m1, 0);
      const g2 = resident(be, gates);
      const c2 = cs.slice();
      const m2 = resident(be, new Float32Array(B * H));
      be.lstmForward(B, H, Infinity, g2, 0, c2, 0, c2, B * H, m2, 0);
      assert.deepEqual(g2, g1);
      assert.deepEqual(c2, c1);
      assert.deepEqual(m2, m1);
    });

    test('arrays in another backend\'s memory are foreign: copied, and the results are right', async () => {
      const other = await loadWasmBackend({ threads: 1 });
      assert.ok(other);
      const rng = new Random(37);
      const a = randomF32(rng, 6 * 5);
      const b = randomF32(rng, 5 * 7);
      const expected = new Float32Array(6 * 7);
      jsBackend.gemm(false, false, 6, 7, 5, 1, a, 0, 5, b, 0, 7, 0, expected, 0, 7);
      const oa = resident(other, a);
      const ob = resident(other, b);
      const oc = other.allocate('float32', 6 * 7) as Float32Array;
      assert.ok(!be.owns(oa));
      be.resetStats();
      be.gemm(false, false, 6, 7, 5, 1, oa, 0, 5, ob, 0, 7, 0, oc, 0, 7);
      assert.equal(be.stats.floatsIn, 30 + 35);
      assert.equal(be.stats.floatsOut, 42);
      for (let i = 0; i < expected.length; i++) assert.ok(Math.abs((oc[i] as number) - (expected[i] as number)) < 1e-5);
    });
  });

  describe('parameters and caches in the memory', () => {
    const lossOf = (rnn: LSTM | GRU, head: Linear, x: Tensor, y: Int32Array, backend: Backend) =>
      crossEntropy(head.apply(rnn.apply(constant(x)).output), { data: y, shape: [y.length] }, { backend });

    test('layers move a plain store into the memory of their backend; a placed store stays', async () => {
      const store = new ParameterStore('float32', 'model');
      const head = new Linear({ inFeatures: 4, outFeatures: 3, params: store, prefix: 'head.' });
      const weight = Array.from(store.value('head.weight').data);
      assert.ok(!be.owns(store.data));
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, params: store, prefix: 'rnn.', backend: be });
      assert.ok(be.owns(store.data) && be.owns(store.grad));
      assert.equal(store.backend, be);
      assert.deepEqual(Array.from(store.value('head.weight').data), weight, 'values move along');
      assert.equal(lstm.params, store);
      const other = await loadWasmBackend({ threads: 1 });
      assert.ok(other);
      new GRU({ inputSize: 3, hiddenSize: 2, params: store, prefix: 'gru.', backend: other });
      assert.ok(be.owns(store.data), 'first placement wins');
      const own = new LSTM({ inputSize: 3, hiddenSize: 4, backend: be });
      assert.ok(be.owns(own.params.data));
      const f64 = new LSTM({ inputSize: 3, hiddenSize: 4, backend: be, dtype: 'float64' });
      assert.ok(f64.params.data instanceof Float64Array);
    });

    test('a training step hands every cache back: live blocks stay constant across steps', () => {
      const rng = new Random(3);
      const store = new ParameterStore('float32', 'model');
      const rnn = new LSTM({ inputSize: 8, hiddenSize: 16, numLayers: 2, dropout: 0.2, params: store, prefix: 'rnn.', backend: be });
      const head = new Linear({ inFeatures: 16, outFeatures: 5, params: store, prefix: 'head.', backend: be });
      const opt = new Adam(store, { lr: 1e-2 });
      const x: Tensor = { data: randomF32(rng, 6 * 4 * 8), shape: [6, 4, 8] };
      const y = Int32Array.from({ length: 24 }, () => rng.int(5));
      const live: number[] = [];
      for (let s = 0; s < 4; s++) {
        opt.zeroGrad();
        lossOf(rnn, head, x, y, be).backward();
        opt.step();
        live.push(be.memoryStats().liveBlocks);
      }
      assert.ok(live.every((v) => v === live[0]), `live blocks per step: ${live.join(', ')}`);
    });

    test('noGrad forward keeps nothing: ctx is released, batch-1 steps reuse their buffers', () => {
      const rnn = new LSTM({ inputSize: 5, hiddenSize: 7, backend: be });
      const x: Tensor = { data: new Float32Array(5).fill(0.5), shape: [1, 1, 5] };
      let state = noGrad(() => rnn.forward(x));
      assert.equal(state.ctx.released, true);
      assert.throws(() => rnn.backward(state.ctx), /LSTM\.backward: this ctx was released/);
      const stats = be.memoryStats();
      for (let i = 0; i < 20; i++) state = noGrad(() => rnn.forward(x, { h0: state.hN, c0: state.cN }));
      const after = be.memoryStats();
      assert.equal(after.liveBlocks, stats.liveBlocks);
      assert.equal(after.heapBytes, stats.heapBytes);
      // and the same numbers as with recording on
      let h: Tensor | null = null;
      let c: Tensor | null = null;
      for (let i = 0; i < 21; i++) {
        const o = rnn.forward(x, { h0: h, c0: c });
        rnn.release(o.ctx);
        h = o.hN;
        c = o.cN ?? null;
      }
      assert.deepEqual(state.hN.data, h?.data);
    });

    test('release(ctx) hands caches back early; backward is then refused', () => {
      const rnn = new GRU({ inputSize: 3, hiddenSize: 4, backend: be });
      const o = rnn.forward({ data: new Float32Array(2 * 2 * 3).fill(1), shape: [2, 2, 3] });
      const g = rnn.backward(o.ctx, { dOutput: { data: new Float32Array(16).fill(1), shape: [2, 2, 4] } });
      assert.equal(g.dInput.data.length, 12);
      rnn.release(o.ctx);
      rnn.release(o.ctx);
      assert.throws(() => rnn.backward(o.ctx), /GRU\.backward: this ctx was released/);
      const cell = new LSTMCell({ inputSize: 3, hiddenSize: 2, backend: be });
      const co = cell.forward({ data: new Float32Array([1, 2, 3]), shape: [3] });
      cell.release(co.ctx);
      assert.throws(() => cell.backward(co.ctx, { dh: { data: new Float32Array(2), shape: [2] } }), /LSTMCell\.backward: this ctx was released/);
    });

    test('gradients reach a tracked input; an untracked input costs no product', () => {
      const rng = new Random(9);
      const mk = (backend: Backend) => new LSTM({ inputSize: 4, hiddenSize: 3, backend, seed: 2 });
      const data = randomF32(rng, 5 * 2 * 4);
      const results: Float32Array[] = [];
      for (const backend of [jsBackend, be] as Backend[]) {
        const rnn = mk(backend);
        const x = leaf({ data: data.slice(), shape: [5, 2, 4] });
        const out = rnn.apply(x).output;
        out.backward({ data: new Float32Array(out.data.length).fill(1), shape: out.shape });
        results.push(x.grad as Float32Array);
      }
      for (let i = 0; i < data.length; i++) assert.ok(Math.abs((results[0]![i] as number) - (results[1]![i] as number)) < 1e-5);
    });

    test('an unshared memory runs the layers as well, to the same bits', async () => {
      const fixed = await loadWasmBackend({ threads: 1, sharedMemory: false });
      assert.ok(fixed);
      const rng = new Random(4);
      const x: Tensor = { data: randomF32(rng, 7 * 3 * 6), shape: [7, 3, 6] };
      const outs = [be, fixed].map((backend) => new LSTM({ inputSize: 6, hiddenSize: 9, backend, seed: 1 }).forward(x).output.data);
      assert.deepEqual(outs[1], outs[0]);
    });
  });
}
