/**
 * The training kernels of a fast backend against the reference backend:
 *  - Adam/AdamW (with weight decay, AMSGrad) and SGD (momentum, dampening,
 *    Nesterov): bit for bit on float32, operands from the backend's
 *    `allocate` or ordinary arrays;
 *  - the sum of squares (clipping's norm) to float64 rounding, finite
 *    exactly when the values are, and scaling bit for bit;
 *  - softmax cross-entropy forward and backward to float32 precision.
 * Run for the WebAssembly backend (wasm-train.test.ts) and every native
 * build (native.test.ts).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AdamStepOptions, Backend, SgdStepOptions } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { randomF32 } from './kernel-cases.js';

/** `src` copied into an array of the backend's (`inMemory`) or into an ordinary one. */
function place(b: Backend, src: Float32Array, inMemory: boolean): Float32Array {
  const a = inMemory ? (b.allocate('float32', src.length) as Float32Array) : new Float32Array(src.length);
  a.set(src);
  return a;
}

const SIZES = [1, 3, 4, 7, 64, 1001];

/** Registers the training-kernel tests for `be`. */
export function runTrainingKernelSuite(be: Backend): void {
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
}
