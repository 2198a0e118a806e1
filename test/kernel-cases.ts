/**
 * The kernels of a fast backend against the reference TypeScript backend,
 * on random float32 inputs of awkward sizes (not multiples of the tiles,
 * past the packing blocks), with nonzero offsets and leading dimensions
 * wider than the rows; tolerance rtol 1e-5 relative to each tensor's scale
 * (exact where the kernel keeps the reference's order). Run for every
 * WebAssembly build (wasm.test.ts) and every native build (native.test.ts).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { type Backend, ELMAN_TANH } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';

/** Float32 values uniform in [−scale, scale). */
export function randomF32(rng: Random, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** Compares whole buffers (gaps and margins included) at rtol relative to scale. */
function close(actual: Float32Array, expected: Float32Array, rtol: number, what: string): void {
  assertClose(actual, { data: expected, shape: [expected.length] }, rtol, what);
}

/** Runs a kernel on copies of the buffers on both backends and returns both results. */
/** Copies of `inputs` (for the WebAssembly backend, of `wasmInputs`: its own results of an earlier call) through `call` on each backend. */
function both<T extends [Float32Array, ...Float32Array[]]>(
  be: Backend, inputs: T, call: (b: Backend, bufs: T) => void, wasmInputs: T = inputs,
): { js: T; wasm: T } {
  const js = inputs.map((a) => a.slice()) as T;
  const wasm = wasmInputs.map((a) => a.slice()) as T;
  call(jsBackend, js);
  call(be, wasm);
  return { js, wasm };
}

/** Registers the kernel tests for `be` (named by `be.name`). */
export function runKernelSuite(be: Backend): void {
  describe(`${be.name} kernels vs the reference backend (float32)`, () => {
    const transposes: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
    // (m, n, k): below, at and past the 4×8 tile; k past one 384-deep slice; m past one 128-row block.
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 7, 5], [2, 9, 3], [3, 17, 33], [4, 8, 8], [5, 13, 7], [7, 3, 1], [1, 40, 9],
      [9, 31, 40], [33, 65, 70], [6, 50, 391], [131, 21, 19],
    ];

    for (const [tA, tB] of transposes) {
      const op = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
      test(`gemm ${op}: sizes, offsets, leading dimensions, alpha and beta`, (ctx) => {
        const rng = new Random(7);
        let cases = 0;
        for (const [m, n, k] of shapes) {
          for (const [alpha, beta] of [[1, 0], [1, 1], [0.7, -0.5]] as const) {
            const aRows = tA ? k : m;
            const aCols = tA ? m : k;
            const bRows = tB ? n : k;
            const bCols = tB ? k : n;
            const lda = aCols + 3;
            const ldb = bCols + 2;
            const ldc = n + 1;
            const aOff = 5;
            const bOff = 3;
            const cOff = 7;
            const a = randomF32(rng, aOff + aRows * lda + 4);
            const b = randomF32(rng, bOff + bRows * ldb + 4);
            const c = randomF32(rng, cOff + m * ldc + 4);
            // With beta = 0 the old C must be ignored, even NaN (gaps keep finite values).
            if (beta === 0) for (let i = 0; i < m; i++) c.fill(Number.NaN, cOff + i * ldc, cOff + i * ldc + n);
            const r = both(be, [a, b, c], (x, [a_, b_, c_]) => x.gemm(tA, tB, m, n, k, alpha, a_, aOff, lda, b_, bOff, ldb, beta, c_, cOff, ldc));
            close(r.wasm[2], r.js[2], 1e-5, `gemm ${op} ${m}×${n}×${k} alpha ${alpha} beta ${beta}`);
            assert.deepEqual(r.wasm[0], a, 'A is not written');
            assert.deepEqual(r.wasm[1], b, 'B is not written');
            cases++;
          }
        }
        ctx.diagnostic(`${cases} products`);
      });

      test(`gemm ${op}: blocked sizes (m > 128, n > 2048, k > 384)`, () => {
        const rng = new Random(11);
        const [m, n, k] = [133, 2053, 397];
        const a = randomF32(rng, m * k);
        const b = randomF32(rng, k * n);
        const c = randomF32(rng, m * n);
        const r = both(be, [a, b, c], (x, [a_, b_, c_]) => x.gemm(tA, tB, m, n, k, 1, a_, 0, tA ? m : k, b_, 0, tB ? k : n, 0.5, c_, 0, n));
        close(r.wasm[2], r.js[2], 1e-5, `gemm ${op} ${m}×${n}×${k}`);
      });
    }

    test('gemm: k = 0 and alpha = 0 only scale C', () => {
      const rng = new Random(3);
      for (const [k, alpha] of [[0, 1], [5, 0]] as const) {
        const a = randomF32(rng, 40);
        const b = randomF32(rng, 40);
        const c = randomF32(rng, 30);
        const r = both(be, [a, b, c], (x, [a_, b_, c_]) => x.gemm(false, true, 3, 5, k, alpha, a_, 0, 5, b_, 0, 5, 0.25, c_, 2, 6));
        assert.deepEqual(r.wasm[2], r.js[2]);
      }
    });

    test('addRowVector and sumRows match exactly', () => {
      const rng = new Random(5);
      for (const [rows, cols] of [[1, 1], [3, 5], [4, 16], [7, 37], [64, 1030]] as const) {
        const v = randomF32(rng, cols + 9);
        const out = randomF32(rng, rows * cols + 11);
        const add = both(be, [v, out], (x, [v_, o_]) => x.addRowVector(rows, cols, v_, 9, o_, 11));
        assert.deepEqual(add.wasm[1], add.js[1], `addRowVector ${rows}×${cols}`);
        const a = randomF32(rng, rows * cols + 4);
        const acc = randomF32(rng, cols + 6);
        const sum = both(be, [a, acc], (x, [a_, s_]) => x.sumRows(rows, cols, a_, 4, s_, 6));
        assert.deepEqual(sum.wasm[1], sum.js[1], `sumRows ${rows}×${cols}`);
      }
    });

    const gateSizes: [number, number][] = [[1, 1], [2, 3], [3, 5], [1, 8], [4, 13], [5, 64]];
    // no cell clip, and one that clamps many of the pre-activations (drawn from ±4 or ±6)
    const clips = [Infinity, 1.5];

    test('lstmForward and lstmBackward', () => {
      const rng = new Random(13);
      for (const clip of clips) for (const [rows, H] of gateSizes) {
        const n = rows * H;
        // Scan-like layout: c₋ and c are two slots of one state buffer.
        const gates = randomF32(rng, 3 + 4 * n, 6);
        const cs = randomF32(rng, 2 + 2 * n, 2);
        const m = randomF32(rng, 1 + n);
        const fwd = both(be, [gates, cs, m], (x, [g, c, m_]) => x.lstmForward(rows, H, clip, g, 3, c, 2, c, 2 + n, m_, 1));
        close(fwd.wasm[0], fwd.js[0], 1e-5, `lstmForward gates ${rows}×${H}`);
        close(fwd.wasm[1], fwd.js[1], 1e-5, `lstmForward c ${rows}×${H}`);
        close(fwd.wasm[2], fwd.js[2], 1e-5, `lstmForward m ${rows}×${H}`);

        const dm = randomF32(rng, 4 + n);
        const dc = randomF32(rng, 5 + n);
        const dGates = randomF32(rng, 6 + 4 * n);
        // each backend from its own forward (the clip's mask compares with its own activations)
        const bwd = both(be, [fwd.js[0], fwd.js[1], dm, dc, dGates], (x, [g, c, dm_, dc_, dg]) =>
          x.lstmBackward(rows, H, clip, g, 3, c, 2, c, 2 + n, dm_, 4, dc_, 5, dg, 6), [fwd.wasm[0], fwd.wasm[1], dm, dc, dGates]);
        close(bwd.wasm[4], bwd.js[4], 1e-5, `lstmBackward dGates ${rows}×${H}`);
        close(bwd.wasm[3], bwd.js[3], 1e-5, `lstmBackward dc ${rows}×${H}`);
      }
    });

    test('gruForward and gruBackward', () => {
      const rng = new Random(17);
      for (const clip of clips) for (const [rows, H] of gateSizes) {
        const n = rows * H;
        const xw = randomF32(rng, 2 + 3 * n, 4);
        const hw = randomF32(rng, 3 + 3 * n, 4);
        const hs = randomF32(rng, 1 + 2 * n);
        const fwd = both(be, [xw, hw, hs], (x, [xw_, hw_, hs_]) => x.gruForward(rows, H, clip, xw_, 2, hw_, 3, hs_, 1, hs_, 1 + n));
        close(fwd.wasm[0], fwd.js[0], 1e-5, `gruForward xw ${rows}×${H}`);
        close(fwd.wasm[2], fwd.js[2], 1e-5, `gruForward h ${rows}×${H}`);
        assert.deepEqual(fwd.wasm[1], hw, 'hw is left as is');

        const dh = randomF32(rng, 4 + n);
        const dxw = randomF32(rng, 5 + 3 * n);
        const dhw = randomF32(rng, 6 + 3 * n);
        const dhPrev = randomF32(rng, 7 + n);
        const bwd = both(be, [fwd.js[0], hw, fwd.js[2], dh, dxw, dhw, dhPrev], (x, [xw_, hw_, hs_, dh_, dxw_, dhw_, dhp]) =>
          x.gruBackward(rows, H, clip, xw_, 2, hw_, 3, hs_, 1, dh_, 4, dxw_, 5, dhw_, 6, dhp, 7), [fwd.wasm[0], hw, fwd.wasm[2], dh, dxw, dhw, dhPrev]);
        close(bwd.wasm[4], bwd.js[4], 1e-5, `gruBackward dxw ${rows}×${H}`);
        close(bwd.wasm[5], bwd.js[5], 1e-5, `gruBackward dhw ${rows}×${H}`);
        close(bwd.wasm[6], bwd.js[6], 1e-5, `gruBackward dhPrev ${rows}×${H}`);
      }
    });

    test('lstmPeepholeForward, lstmPeepholeBackward and lstmPeepholeGrad', () => {
      const rng = new Random(41);
      for (const clip of clips) for (const [rows, H] of gateSizes) {
        const n = rows * H;
        const gates = randomF32(rng, 3 + 4 * n, 6);
        const peep = randomF32(rng, 2 + 3 * H, 2);
        const cs = randomF32(rng, 2 + 2 * n, 2);
        const m = randomF32(rng, 1 + n);
        const fwd = both(be, [gates, peep, cs, m], (x, [g, p, c, m_]) => x.lstmPeepholeForward(rows, H, clip, g, 3, p, 2, c, 2, c, 2 + n, m_, 1));
        close(fwd.wasm[0], fwd.js[0], 1e-5, `lstmPeepholeForward gates ${rows}×${H}`);
        close(fwd.wasm[2], fwd.js[2], 1e-5, `lstmPeepholeForward c ${rows}×${H}`);
        close(fwd.wasm[3], fwd.js[3], 1e-5, `lstmPeepholeForward m ${rows}×${H}`);
        assert.deepEqual(fwd.wasm[1], peep, 'the peepholes are only read');

        const dm = randomF32(rng, 4 + n);
        const dc = randomF32(rng, 5 + n);
        const dGates = randomF32(rng, 6 + 4 * n);
        const bwd = both(be, [fwd.js[0], peep, fwd.js[2], dm, dc, dGates], (x, [g, p, c, dm_, dc_, dg]) =>
          x.lstmPeepholeBackward(rows, H, clip, g, 3, p, 2, c, 2, c, 2 + n, dm_, 4, dc_, 5, dg, 6), [fwd.wasm[0], peep, fwd.wasm[2], dm, dc, dGates]);
        close(bwd.wasm[5], bwd.js[5], 1e-5, `lstmPeepholeBackward dGates ${rows}×${H}`);
        close(bwd.wasm[4], bwd.js[4], 1e-5, `lstmPeepholeBackward dc ${rows}×${H}`);

        const dPeep = randomF32(rng, 7 + 3 * H);
        const grad = both(be, [bwd.js[5], fwd.js[2], dPeep], (x, [dg, c, dp]) => x.lstmPeepholeGrad(rows, H, dg, 6, c, 2, c, 2 + n, dp, 7));
        close(grad.wasm[2], grad.js[2], 1e-5, `lstmPeepholeGrad ${rows}×${H}`);
      }
    });

    test('GRU reset-before: gruResetForward, gruCandidateForward, gruCandidateBackward, gruResetBackward', () => {
      const rng = new Random(43);
      for (const clip of clips) for (const [rows, H] of gateSizes) {
        const n = rows * H;
        // Scan-like layout: h₋ and h are two slots of one state buffer.
        const gates = randomF32(rng, 2 + 3 * n, 4);
        const hs = randomF32(rng, 1 + 2 * n);
        const rh = randomF32(rng, 3 + n);
        const reset = both(be, [gates, hs, rh], (x, [g, hs_, rh_]) => x.gruResetForward(rows, H, clip, g, 2, hs_, 1, rh_, 3));
        close(reset.wasm[0], reset.js[0], 1e-5, `gruResetForward gates ${rows}×${H}`);
        close(reset.wasm[2], reset.js[2], 1e-5, `gruResetForward rh ${rows}×${H}`);
        const candidate = both(be, [reset.js[0], hs], (x, [g, hs_]) => x.gruCandidateForward(rows, H, clip, g, 2, hs_, 1, hs_, 1 + n), [reset.wasm[0], hs]);
        close(candidate.wasm[0], candidate.js[0], 1e-5, `gruCandidateForward gates ${rows}×${H}`);
        close(candidate.wasm[1], candidate.js[1], 1e-5, `gruCandidateForward h ${rows}×${H}`);

        const dh = randomF32(rng, 4 + n);
        const dGates = randomF32(rng, 5 + 3 * n);
        const dhPrev = randomF32(rng, 6 + n);
        const dn = both(be, [candidate.js[0], hs, dh, dGates, dhPrev], (x, [g, hs_, dh_, dg, dhp]) => x.gruCandidateBackward(rows, H, clip, g, 2, hs_, 1, dh_, 4, dg, 5, dhp, 6), [candidate.wasm[0], hs, dh, dGates, dhPrev]);
        close(dn.wasm[3], dn.js[3], 1e-5, `gruCandidateBackward dGates ${rows}×${H} (its r block left as is)`);
        close(dn.wasm[4], dn.js[4], 1e-5, `gruCandidateBackward dhPrev ${rows}×${H}`);
        const drh = randomF32(rng, 7 + n);
        const dr = both(be, [candidate.js[0], hs, drh, dn.js[3], dn.js[4]], (x, [g, hs_, drh_, dg, dhp]) => x.gruResetBackward(rows, H, clip, g, 2, hs_, 1, drh_, 7, dg, 5, dhp, 6), [candidate.wasm[0], hs, drh, dn.wasm[3], dn.wasm[4]]);
        close(dr.wasm[3], dr.js[3], 1e-5, `gruResetBackward dGates ${rows}×${H} (its z, n blocks left as is)`);
        close(dr.wasm[4], dr.js[4], 1e-5, `gruResetBackward dhPrev ${rows}×${H}`);
      }
    });

    test('rnnForward and rnnBackward, tanh, relu and leaky relu', () => {
      const rng = new Random(19);
      for (const slope of [ELMAN_TANH, 0, 0.01, 0.3]) {
        const act = slope === ELMAN_TANH ? 'tanh' : `slope ${slope}`;
        for (const clip of clips) for (const [rows, H] of gateSizes) {
          const n = rows * H;
          const pre = randomF32(rng, 3 + n, 4);
          const h = randomF32(rng, 2 + n);
          const fwd = both(be, [pre, h], (x, [p, h_]) => x.rnnForward(rows, H, slope, clip, p, 3, h_, 2));
          close(fwd.wasm[1], fwd.js[1], 1e-5, `rnnForward ${act} ${rows}×${H}`);
          const dh = randomF32(rng, 1 + n);
          const dpre = randomF32(rng, 4 + n);
          const bwd = both(be, [fwd.js[1], dh, dpre], (x, [h_, dh_, dp]) => x.rnnBackward(rows, H, slope, clip, h_, 2, dh_, 1, dp, 4), [fwd.wasm[1], dh, dpre]);
          close(bwd.wasm[2], bwd.js[2], 1e-5, `rnnBackward ${act} ${rows}×${H}`);
        }
      }
    });

    test('a missing operand is refused, naming the kernel and the operand', () => {
      const h = new Float32Array(2);
      assert.throws(() => be.rnnForward(1, 2, ELMAN_TANH, Infinity, null as unknown as Float32Array, 0, h, 0), /rnnForward: pre must be an array, got null/);
      be.sgdStep(2, h, new Float32Array([1, 1]), null, { lr: 0.5, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, first: true });
      assert.deepEqual(h, new Float32Array([-0.5, -0.5]), 'SGD without a momentum buffer is plain SGD, as in the reference');
    });

  });
}
