/**
 * The WebAssembly training kernels against the reference backend:
 *  - Adam/AdamW (with weight decay, AMSGrad) and SGD (momentum, dampening,
 *    Nesterov): bit for bit on float32, operands in the memory or not;
 *  - the sum of squares (clipping's norm) to float64 rounding, finite
 *    exactly when the values are, and scaling bit for bit;
 *  - softmax cross-entropy forward and backward to float32 precision;
 *  - the PyTorch optimiser and clipping fixtures through stores placed in
 *    the backend's memory, in float32.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { constant, leaf } from '../src/autograd/variable.js';
import type { AdamStepOptions, SgdStepOptions } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { loadWasmBackend, type WasmBackend } from '../src/backend/wasm.js';
import { ParameterStore } from '../src/params.js';
import { Random } from '../src/random.js';
import { clipGradNorm } from '../src/train/clip.js';
import { crossEntropy } from '../src/train/loss.js';
import { Adam, AdamW, type Optimizer, SGD } from '../src/train/optim.js';
import { assertClose, type FixtureTensor, loadFixture } from './helpers.js';

const be = await loadWasmBackend({ threads: 1 });

function randomF32(rng: Random, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** `src` copied into the backend's memory (`inMemory`) or into an ordinary array. */
function place(b: WasmBackend, src: Float32Array, inMemory: boolean): Float32Array {
  const a = inMemory ? (b.allocate('float32', src.length) as Float32Array) : new Float32Array(src.length);
  a.set(src);
  return a;
}

const SIZES = [1, 3, 4, 7, 64, 1001];

if (!be) {
  test('WebAssembly training kernels', { skip: 'WebAssembly SIMD is not available in this runtime' }, () => {});
} else {
  describe(`${be.name} training kernels vs the reference (float32)`, () => {
    test('adamStep: Adam, AdamW, weight decay and AMSGrad, bit for bit over several steps', () => {
      const rng = new Random(41);
      const configs: Omit<AdamStepOptions, 'step'>[] = [
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
        { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false },
        { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05, decoupled: true },
      ];
      let cases = 0;
      for (const inMemory of [true, false]) {
        for (const n of SIZES) {
          for (const cfg of configs) {
            for (const ams of [false, true]) {
              const p0 = randomF32(rng, n);
              const js = { p: p0.slice(), m: new Float32Array(n), v: new Float32Array(n), x: ams ? new Float32Array(n) : null };
              const wa: { p: Float32Array; m: Float32Array; v: Float32Array; x: Float32Array | null } = { p: place(be, p0, inMemory), m: place(be, new Float32Array(n), inMemory), v: place(be, new Float32Array(n), inMemory), x: ams ? place(be, new Float32Array(n), inMemory) : null };
              for (let step = 1; step <= 4; step++) {
                const g = randomF32(rng, n, step === 2 ? 1e-3 : 1);
                jsBackend.adamStep(n, js.p, g, js.m, js.v, js.x, { ...cfg, step });
                be.adamStep(n, wa.p, place(be, g, inMemory), wa.m, wa.v, wa.x, { ...cfg, step });
              }
              assert.deepEqual(wa.p, js.p, `θ, n = ${n}`);
              assert.deepEqual(wa.m, js.m, `m, n = ${n}`);
              assert.deepEqual(wa.v, js.v, `v, n = ${n}`);
              if (ams) assert.deepEqual(wa.x, js.x, `v̂, n = ${n}`);
              cases++;
            }
          }
        }
      }
      assert.equal(cases, 2 * SIZES.length * configs.length * 2);
    });

    test('sgdStep: plain, momentum, dampening, Nesterov and weight decay, bit for bit', () => {
      const rng = new Random(43);
      const configs: Omit<SgdStepOptions, 'first'>[] = [
        { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
        { lr: 0.05, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01 },
        { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
        { lr: 0.1, momentum: 0.9, dampening: 0.3, nesterov: false, weightDecay: 0.02 },
        { lr: 0.01, momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0.001 },
      ];
      for (const inMemory of [true, false]) {
        for (const n of SIZES) {
          for (const cfg of configs) {
            const p0 = randomF32(rng, n);
            const jp = p0.slice();
            const jb = cfg.momentum ? new Float32Array(n) : null;
            const wp = place(be, p0, inMemory);
            const wb: Float32Array | null = cfg.momentum ? place(be, new Float32Array(n), inMemory) : null;
            for (let step = 1; step <= 3; step++) {
              const g = randomF32(rng, n);
              jsBackend.sgdStep(n, jp, g, jb, { ...cfg, first: step === 1 });
              be.sgdStep(n, wp, place(be, g, inMemory), wb, { ...cfg, first: step === 1 });
            }
            assert.deepEqual(wp, jp, `θ, n = ${n}, ${JSON.stringify(cfg)}`);
            if (jb) assert.deepEqual(wb, jb, `momentum buffer, n = ${n}`);
          }
        }
      }
    });

    test('sumSquares to float64 rounding, non-finite exactly when a value is; scale bit for bit', () => {
      const rng = new Random(47);
      for (const inMemory of [true, false]) {
        for (const n of [...SIZES, 100_003]) {
          const a = randomF32(rng, n + 5, 3);
          const w = place(be, a, inMemory);
          const ref = jsBackend.sumSquares(n, a, 5);
          const got = be.sumSquares(n, w, 5);
          assert.ok(Math.abs(got - ref) <= 1e-13 * ref, `n = ${n}: ${got} vs ${ref}`);
          const sa = a.slice();
          jsBackend.scale(n, 0.37, sa, 5);
          be.scale(n, 0.37, w, 5);
          assert.deepEqual(w, sa, `scale n = ${n}`);
        }
      }
      const huge = be.allocate('float32', 9) as Float32Array;
      huge.fill(3.4e38);
      assert.ok(Number.isFinite(be.sumSquares(9, huge, 0)), 'squares of the largest floats do not overflow');
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        huge[7] = bad;
        assert.ok(!Number.isFinite(be.sumSquares(9, huge, 0)), `${bad} is reported`);
      }
    });

    test('softmaxCrossEntropy and its backward to float32 precision, zero-weight rows included', () => {
      const rng = new Random(53);
      for (const inMemory of [true, false]) {
        for (const [rows, V] of [[1, 1], [3, 5], [7, 65], [64, 128], [5, 3]] as const) {
          const z = randomF32(rng, rows * V + 2, 30); // logits up to ±30
          const t = Int32Array.from({ length: rows }, () => rng.int(V));
          const w = Float64Array.from({ length: rows }, (_, i) => (i % 3 === 2 ? 0 : 0.5 + (i % 2)));
          const pj = new Float32Array(rows * V);
          const lossJ = jsBackend.softmaxCrossEntropy(rows, V, z, 2, t, w, pj);
          const pw = place(be, new Float32Array(rows * V), inMemory);
          const lossW = be.softmaxCrossEntropy(rows, V, place(be, z, inMemory), 2, t, w, pw);
          assert.ok(Math.abs(lossW - lossJ) <= 1e-6 * Math.max(1, Math.abs(lossJ)), `loss ${rows}×${V}: ${lossW} vs ${lossJ}`);
          assertClose(pw, { data: pj, shape: [pj.length] }, 1e-6, `softmax ${rows}×${V}`);
          jsBackend.softmaxCrossEntropyBackward(rows, V, 0.25, t, w, pj);
          be.softmaxCrossEntropyBackward(rows, V, 0.25, t, w, pw);
          assertClose(pw, { data: pj, shape: [pj.length] }, 1e-6, `gradient ${rows}×${V}`);
        }
      }
    });
  });

  interface OptimCase {
    name: string;
    optimizer: string;
    options: Record<string, unknown>;
    paramNames: string[];
    initial: Record<string, FixtureTensor>;
    steps: Array<{ grads: Record<string, FixtureTensor>; params: Record<string, FixtureTensor> }>;
  }

  describe('optimisers and clipping on stores in the backend\'s memory (float32)', () => {
    const fixture = loadFixture<{ cases: OptimCase[] }>('optim.json');
    const make = (c: OptimCase, backend: typeof be | typeof jsBackend): [ParameterStore, Optimizer] | null => {
      const store = new ParameterStore('float32', 'Model', backend);
      for (const name of c.paramNames) store.add(name, (c.initial[name] as FixtureTensor).shape);
      store.loadStateDict(c.initial);
      const o = c.options as never;
      const opt = c.optimizer === 'SGD' ? new SGD(store, o) : c.optimizer === 'Adam' ? new Adam(store, o) : c.optimizer === 'AdamW' ? new AdamW(store, o) : null;
      return opt ? [store, opt] : null;
    };

    test('Adam, AdamW and SGD trajectories equal the reference\'s float32 ones bit for bit and torch\'s to 2e-5', (t) => {
      let worst = 0;
      let cases = 0;
      for (const c of fixture.cases) {
        const wasm = make(c, be);
        const js = make(c, jsBackend);
        if (!wasm || !js) continue;
        assert.ok(be.owns(wasm[0].data) && be.owns(wasm[0].grad));
        for (const [k, s] of c.steps.entries()) {
          for (const [store, opt] of [wasm, js]) {
            opt.zeroGrad();
            for (const [name, g] of Object.entries(s.grads)) store.gradient(name).data.set(g.data);
            opt.step();
          }
          assert.deepEqual(Array.from(wasm[0].data), Array.from(js[0].data), `${c.name} step ${k + 1}`);
          for (const name of c.paramNames) worst = Math.max(worst, assertClose(wasm[0].value(name), s.params[name]!, 2e-5, `${c.name} ${name}`).maxAbs);
        }
        // the state survives a round trip through JSON and the memory
        const saved = JSON.parse(JSON.stringify(wasm[1].stateDict()));
        wasm[1].loadStateDict(saved);
        assert.deepEqual(wasm[1].stateDict(), saved);
        cases++;
      }
      assert.ok(cases >= 3, `${cases} cases`);
      t.diagnostic(`${cases} cases; max |diff| vs torch ${worst.toExponential(2)}`);
    });

    test('clipGradNorm matches the clipping fixtures to float32 precision', () => {
      interface ClipCase { name: string; kind: string; normType: number | 'inf'; maxNorm?: number; names?: string[] | null; paramNames: string[]; grads: Record<string, FixtureTensor>; clipped: Record<string, FixtureTensor>; totalNorm?: number }
      const clip = loadFixture<{ cases: ClipCase[] }>('clip.json');
      for (const c of clip.cases.filter((k) => k.kind === 'norm')) {
        const store = new ParameterStore('float32', 'LSTM', be);
        for (const name of c.paramNames) {
          store.add(name, c.grads[name]!.shape);
        }
        for (const name of c.paramNames) store.gradient(name).data.set(c.grads[name]!.data);
        const total = clipGradNorm(store, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType, { names: c.names ?? undefined });
        assert.ok(Math.abs(total - c.totalNorm!) <= 1e-6 * c.totalNorm!, `${c.name}: ${total} vs ${c.totalNorm}`);
        for (const n of c.paramNames) assertClose(store.gradient(n), c.clipped[n]!, 1e-6, `${c.name} ${n}`);
      }
    });

    test('crossEntropy on the backend: value and gradient as the reference\'s, mask and ignoreIndex included', () => {
      const rng = new Random(59);
      const rows = 37;
      const V = 11;
      const z = randomF32(rng, rows * V, 4);
      const targets = { data: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? -100 : rng.int(V))), shape: [rows] };
      const mask = Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 2)));
      for (const reduction of ['mean', 'sum'] as const) {
        const results = [jsBackend, be].map((backend) => {
          const x = leaf({ data: z.slice(), shape: [rows, V] });
          const loss = crossEntropy(x, targets, { ignoreIndex: -100, mask, reduction, backend });
          loss.backward();
          return { value: loss.item(), grad: x.grad as Float32Array };
        });
        const [r0, r1] = results as [{ value: number; grad: Float32Array }, { value: number; grad: Float32Array }];
        assert.ok(Math.abs(r1.value - r0.value) <= 1e-6 * Math.abs(r0.value), `${reduction}: ${r1.value} vs ${r0.value}`);
        assertClose(r1.grad, { data: r0.grad, shape: [r0.grad.length] }, 1e-5, `gradient (${reduction})`);
      }
      // under no recording the probabilities are released at once: nothing stays live
      const live = be.memoryStats().liveBlocks;
      crossEntropy(constant({ data: z, shape: [rows, V] }), targets, { ignoreIndex: -100, backend: be });
      assert.equal(be.memoryStats().liveBlocks, live);
    });
  });
}
