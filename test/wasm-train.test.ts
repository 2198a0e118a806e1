/**
 * The WebAssembly training kernels against the reference backend
 * (./training-kernel-cases.ts), and the PyTorch optimiser and clipping fixtures through stores placed in
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
import { randomF32 } from './kernel-cases.js';
import { runTrainingKernelSuite } from './training-kernel-cases.js';

const be = await loadWasmBackend({ threads: 1 });

if (!be) {
  test('WebAssembly training kernels', { skip: 'WebAssembly SIMD is not available in this runtime' }, () => {});
} else {
  runTrainingKernelSuite(be);

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
