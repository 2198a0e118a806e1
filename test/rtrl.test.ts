/**
 * Forward-mode learning: the one-step Jacobian products against central
 * differences, Real-Time Recurrent Learning against backpropagation through
 * time, online learning on a stream, and UORO's vector–Jacobian product and
 * unbiasedness.
 *
 * Loss for the exact checks: L = Σ_t ⟨g_t, h_t⟩ (+ ⟨g_c, c_T⟩ for LSTM) with
 * random g, i.e. dOutput = g, dcN = g_c in `layer.backward`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, GRU, LSTM, OnlineRTRL, RNN, Random, RTRL, UORO, type ForwardModeLayer } from '../src/index.js';
import { CellJacobians } from '../src/train/cell-jacobians.js';
import { assertClose } from './helpers.js';

function randomArray(rng: Random, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
}

/** Moves every parameter away from the small default range so every path matters. */
function randomiseParams(layer: ForwardModeLayer, rng: Random, scale = 0.6): void {
  const d = layer.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-scale, scale);
}

interface Problem {
  layer: ForwardModeLayer;
  T: number;
  B: number;
  x: Float64Array; // (T, B, I)
  h0: Float64Array; // (B, H)
  c0: Float64Array | null;
  g: Float64Array; // (T, B, H)
  gc: Float64Array | null; // (B, H)
}

function makeProblem(layer: ForwardModeLayer, T: number, B: number, seed: number): Problem {
  const rng = new Random(seed);
  randomiseParams(layer, rng);
  const I = layer.inputSize;
  const H = layer.hiddenSize;
  const isLstm = layer instanceof LSTM;
  return {
    layer, T, B,
    x: randomArray(rng, T * B * I),
    h0: randomArray(rng, B * H, 0.5),
    c0: isLstm ? randomArray(rng, B * H, 0.5) : null,
    g: randomArray(rng, T * B * H),
    gc: isLstm ? randomArray(rng, B * H) : null,
  };
}

/** The BPTT gradient of the problem's loss, from `layer.backward`. */
function bpttGradient(p: Problem): { grad: Float64Array; output: Float64Array } {
  const { layer, T, B, x } = p;
  const I = layer.inputSize;
  const H = layer.hiddenSize;
  layer.zeroGrad();
  const state = { h0: { data: p.h0, shape: [1, B, H] }, c0: p.c0 ? { data: p.c0, shape: [1, B, H] } : null };
  const { output, ctx } = layer.forward({ data: x, shape: [T, B, I] }, state);
  layer.backward(ctx, { dOutput: { data: p.g, shape: [T, B, H] }, dcN: p.gc ? { data: p.gc, shape: [1, B, H] } : null });
  return { grad: Float64Array.from(layer.params.grad), output: Float64Array.from(output.data) };
}

/** The same gradient from RTRL, accumulated step by step. */
function rtrlGradient(p: Problem): { grad: Float64Array; output: Float64Array } {
  const { layer, T, B } = p;
  const I = layer.inputSize;
  const H = layer.hiddenSize;
  const rtrl = new RTRL(layer, { batchSize: B });
  layer.zeroGrad();
  rtrl.reset(p.h0, p.c0);
  const output = new Float64Array(T * B * H);
  for (let t = 0; t < T; t++) {
    const h = rtrl.step(p.x.subarray(t * B * I, (t + 1) * B * I));
    output.set(h, t * B * H);
    rtrl.accumulate(p.g.subarray(t * B * H, (t + 1) * B * H), t === T - 1 ? p.gc : null);
  }
  return { grad: Float64Array.from(layer.params.grad), output };
}

const common = { dtype: 'float64' as const, seed: 5 };
const cells: { name: string; make: () => ForwardModeLayer }[] = [
  { name: 'RNN tanh', make: () => new RNN({ inputSize: 3, hiddenSize: 5, ...common }) },
  { name: 'RNN relu', make: () => new RNN({ inputSize: 3, hiddenSize: 5, nonlinearity: 'relu', ...common }) },
  { name: 'RNN leaky relu (slope 0.25)', make: () => new RNN({ inputSize: 3, hiddenSize: 5, nonlinearity: 'leaky_relu', negativeSlope: 0.25, ...common }) },
  { name: 'LSTM', make: () => new LSTM({ inputSize: 3, hiddenSize: 5, ...common }) },
  { name: 'GRU', make: () => new GRU({ inputSize: 3, hiddenSize: 5, ...common }) },
  { name: 'LSTM with peepholes', make: () => new LSTM({ inputSize: 3, hiddenSize: 5, peepholes: true, ...common }) },
];

function vector(a: Float64Array): { data: Float64Array; shape: number[] } {
  return { data: a, shape: [a.length] };
}

/** The state [h; c] (or h) of every row after one step from (h₋, c₋), (B, S). */
function stepOnce(cj: CellJacobians, x: Float64Array, hPrev: Float64Array, cPrev: Float64Array | null): Float64Array {
  const { B, H, S } = cj;
  cj.setState(hPrev, cPrev);
  cj.step(x);
  const s = new Float64Array(B * S);
  for (let b = 0; b < B; b++) {
    s.set(cj.h.subarray(b * H, (b + 1) * H), b * S);
    if (S > H) s.set(cj.c.subarray(b * H, (b + 1) * H), b * S + H);
  }
  return s;
}

describe('one-step Jacobian products from the cell kernels (float64, B = 2)', () => {
  for (const { name, make } of cells) {
    test(`${name}: D = ∂F/∂θ, uᵀD and J·V against central differences`, (t) => {
      const layer = make();
      const rng = new Random(31);
      randomiseParams(layer, rng);
      const cj = new CellJacobians('test', layer, 2, 'N');
      const { B, I, H, S, N } = cj;
      const x = randomArray(rng, B * I);
      const hPrev = randomArray(rng, B * H, 0.8);
      const cPrev = S > H ? randomArray(rng, B * H, 0.8) : null;
      const u = randomArray(rng, B * S);
      const eps = 1e-6;

      // Central differences over every parameter: the direct Jacobian (B, S, N).
      const numeric = new Float64Array(B * S * N);
      const w = layer.params.data;
      for (let p = 0; p < N; p++) {
        const at = cj.parameterIndex[p] as number;
        const saved = w[at] as number;
        w[at] = saved + eps;
        const plus = stepOnce(cj, x, hPrev, cPrev);
        w[at] = saved - eps;
        const minus = stepOnce(cj, x, hPrev, cPrev);
        w[at] = saved;
        for (let r = 0; r < B * S; r++) numeric[r * N + p] = ((plus[r] as number) - (minus[r] as number)) / (2 * eps);
      }

      stepOnce(cj, x, hPrev, cPrev);
      // D: the tangent step from a zero tangent; uᵀD: the vector–Jacobian product.
      const direct = new Float64Array(B * S * N);
      for (let b = 0; b < B; b++) cj.propagate(b, new Float64Array(S * N), 0, direct, b * S * N, N, true);
      const vjp = new Float64Array(B * N);
      cj.parameterVjp(u, vjp);
      const expectedVjp = new Float64Array(B * N);
      const fromDirect = new Float64Array(B * N);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < S; i++) {
          for (let p = 0; p < N; p++) {
            const ui = u[b * S + i] as number;
            expectedVjp[b * N + p] = (expectedVjp[b * N + p] as number) + ui * (numeric[(b * S + i) * N + p] as number);
            fromDirect[b * N + p] = (fromDirect[b * N + p] as number) + ui * (direct[(b * S + i) * N + p] as number);
          }
        }
      }
      const d = assertClose(direct, vector(numeric), 1e-8, `${name} D`);
      const v = assertClose(vjp, vector(expectedVjp), 1e-8, `${name} uᵀD`);
      const both = assertClose(vjp, vector(fromDirect), 1e-14, `${name} uᵀD, reverse vs forward mode`);

      // J·V for two random tangent columns: central differences along each.
      const C = 2;
      const V = randomArray(rng, B * S * C);
      const jv = new Float64Array(B * S * C);
      for (let b = 0; b < B; b++) cj.propagate(b, V, b * S * C, jv, b * S * C, C, false);
      const numericJv = new Float64Array(B * S * C);
      for (let col = 0; col < C; col++) {
        const shifted = (sign: number): Float64Array => {
          const h = Float64Array.from(hPrev);
          const c = cPrev ? Float64Array.from(cPrev) : null;
          for (let b = 0; b < B; b++) {
            for (let j = 0; j < H; j++) {
              h[b * H + j] = (h[b * H + j] as number) + sign * eps * (V[(b * S + j) * C + col] as number);
              if (c) c[b * H + j] = (c[b * H + j] as number) + sign * eps * (V[(b * S + H + j) * C + col] as number);
            }
          }
          return stepOnce(cj, x, h, c);
        };
        const plus = shifted(1);
        const minus = shifted(-1);
        for (let r = 0; r < B * S; r++) numericJv[r * C + col] = ((plus[r] as number) - (minus[r] as number)) / (2 * eps);
      }
      const j = assertClose(jv, vector(numericJv), 1e-8, `${name} J·V`);
      let scale = 0;
      for (const a of numeric) scale = Math.max(scale, Math.abs(a));
      assert.ok(scale > 0.1, `${name}: the Jacobian should not vanish (max ${scale})`);
      t.diagnostic(
        `${name}: max |diff| vs central differences: D ${d.maxAbs.toExponential(2)}, uᵀD ${v.maxAbs.toExponential(2)}, ` +
          `J·V ${j.maxAbs.toExponential(2)}; uᵀD reverse vs forward mode ${both.maxAbs.toExponential(2)}`,
      );
    });
  }
});

describe('RTRL equals BPTT (float64, T = 7, B = 2)', () => {
  for (const { name, make } of cells) {
    test(name, (t) => {
      const p = makeProblem(make(), 7, 2, 21);
      const bptt = bpttGradient(p);
      const rtrl = rtrlGradient(p);
      const states = assertClose(rtrl.output, { data: bptt.output, shape: [bptt.output.length] }, 1e-12, `${name} h_t`);
      const grads = assertClose(rtrl.grad, { data: bptt.grad, shape: [bptt.grad.length] }, 1e-9, `${name} gradient`);
      let scale = 0;
      for (const v of bptt.grad) scale = Math.max(scale, Math.abs(v));
      assert.ok(scale > 0.1, `${name}: gradient should not vanish (max |g| = ${scale})`);
      t.diagnostic(`${name}: max |h diff| ${states.maxAbs.toExponential(2)}, max |grad diff| ${grads.maxAbs.toExponential(2)} (max |grad| ${scale.toFixed(3)})`);
    });
  }

  test('no-bias GRU in a shared store with a prefix', (t) => {
    const layer = new GRU({ inputSize: 2, hiddenSize: 4, bias: false, ...common });
    const shared = new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64', params: layer.params, prefix: 'other.' });
    const gru = new GRU({ inputSize: 2, hiddenSize: 4, bias: false, dtype: 'float64', params: layer.params, prefix: 'gru.' });
    assert.equal(shared.params, gru.params);
    const p = makeProblem(gru, 6, 2, 8);
    const bptt = bpttGradient(p);
    const rtrl = rtrlGradient(p);
    const r = assertClose(rtrl.grad, { data: bptt.grad, shape: [bptt.grad.length] }, 1e-9, 'gradient');
    assert.equal(new RTRL(gru).parameterCount, 3 * 4 * (2 + 4));
    t.diagnostic(`max |grad diff| ${r.maxAbs.toExponential(2)}`);
  });

  test('float32 layer: float64 sensitivities, gradient within float32 precision', (t) => {
    const layer = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 2 });
    const p = makeProblem(layer, 6, 2, 4);
    const bptt = bpttGradient(p);
    const rtrl = rtrlGradient(p);
    const r = assertClose(rtrl.grad, { data: bptt.grad, shape: [bptt.grad.length] }, 1e-4, 'gradient');
    t.diagnostic(`max |grad diff| ${r.maxAbs.toExponential(2)}`);
  });

  test('sensitivities are ∂h_t/∂θ: central differences on a few parameters', () => {
    const layer = new GRU({ inputSize: 2, hiddenSize: 3, ...common });
    const p = makeProblem(layer, 6, 2, 13);
    const rtrl = new RTRL(layer, { batchSize: 2 });
    const run = (): Float64Array => {
      rtrl.reset(p.h0);
      for (let t = 0; t < p.T; t++) rtrl.step(p.x.subarray(t * 4, (t + 1) * 4));
      return Float64Array.from(rtrl.h);
    };
    run();
    const sens = Float64Array.from(rtrl.sensitivities);
    const { stateSize: S, parameterCount: N } = rtrl;
    const eps = 1e-6;
    for (const col of [0, 7, 20, N - 1]) {
      const at = rtrl.parameterIndex[col] as number;
      const saved = layer.params.data[at] as number;
      layer.params.data[at] = saved + eps;
      const plus = run();
      layer.params.data[at] = saved - eps;
      const minus = run();
      layer.params.data[at] = saved;
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < S; i++) {
          const numeric = ((plus[b * 3 + i] as number) - (minus[b * 3 + i] as number)) / (2 * eps);
          const analytic = sens[(b * S + i) * N + col] as number;
          assert.ok(Math.abs(numeric - analytic) < 1e-8, `column ${col}, row ${b}.${i}: ${analytic} vs ${numeric}`);
        }
      }
    }
  });

  test('errors name the argument and what was expected', () => {
    assert.throws(() => new RTRL(new RNN({ inputSize: 2, hiddenSize: 3, numLayers: 2 })), /RTRL: expected a layer with numLayers 1, got 2/);
    assert.throws(() => new RTRL(new GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true })), /unidirectional/);
    assert.throws(() => new RTRL(new LSTM({ inputSize: 2, hiddenSize: 3, projSize: 2 })), /projSize 2/);
    assert.throws(() => new RTRL(new LSTM({ inputSize: 2, hiddenSize: 3, clip: 1 })), /RTRL: a cell clip is not supported .*got clip 1; use BPTT/);
    assert.throws(() => new RTRL(new GRU({ inputSize: 2, hiddenSize: 3, resetAfter: false })), /RTRL: a GRU with resetAfter false is not supported .*W_hn \(r ⊙ h₋\) couples the units.*use resetAfter true, or BPTT/);
    assert.throws(() => new UORO(new GRU({ inputSize: 2, hiddenSize: 3, resetAfter: false })), /UORO: a GRU with resetAfter false is not supported/);
    assert.throws(() => new RTRL({} as ForwardModeLayer), /expected an RNN, LSTM or GRU layer, got Object/);
    const rtrl = new RTRL(new RNN({ inputSize: 2, hiddenSize: 3 }), { batchSize: 2 });
    assert.throws(() => rtrl.step(new Float64Array(3)), /RTRL.step: x must hold 4 numbers \(batchSize 2 × inputSize 2\), got 3/);
    assert.throws(() => rtrl.reset(null, new Float64Array(6)), /c0 is only for LSTM/);
    assert.throws(() => rtrl.accumulate(new Float64Array(5)), /RTRL.accumulate: dh must hold 6 numbers/);
    assert.throws(() => new RTRL(new RNN({ inputSize: 2, hiddenSize: 3 }), { batchSize: 0 }), /batchSize must be a positive integer/);
  });
});

describe('OnlineRTRL', () => {
  /** Streams x_t ∈ U(−1, 1) with target x_{t−2}; returns the mean loss of the first and last 400 steps. */
  function echoTask(layerLearningRate: number): { first: number; last: number } {
    const delay = 2;
    const steps = 4000;
    const window = 400;
    const rng = new Random(1);
    const layer = new GRU({ inputSize: 1, hiddenSize: 8, dtype: 'float64', seed: 1 });
    const learner = new OnlineRTRL(layer, { outputSize: 1, learningRate: layerLearningRate, readoutLearningRate: 0.1, seed: 1 });
    learner.reset();
    const history = new Float64Array(steps);
    const x = new Float64Array(1);
    const y = new Float64Array(1);
    let first = 0;
    let last = 0;
    for (let s = 0; s < steps; s++) {
      x[0] = history[s] = rng.uniform(-1, 1);
      y[0] = s >= delay ? (history[s - delay] as number) : 0;
      const loss = learner.step(x, y);
      assert.ok(Number.isFinite(loss), `loss at step ${s} is ${loss}`);
      if (s < window) first += loss / window;
      if (s >= steps - window) last += loss / window;
    }
    return { first, last };
  }

  test('a GRU learns to echo its input two steps late, online (loss falls ≥ 5×)', (t) => {
    const { first, last } = echoTask(0.1);
    const control = echoTask(0);
    t.diagnostic(
      `mean loss, steps 1–400 → 3601–4000: RTRL ${first.toFixed(4)} → ${last.toFixed(5)} (÷${(first / last).toFixed(1)}); ` +
        `readout only ${control.first.toFixed(4)} → ${control.last.toFixed(4)} (÷${(control.first / control.last).toFixed(2)})`,
    );
    assert.ok(first > 0.1, `the task is not trivial at the start (mean loss ${first})`);
    assert.ok(last * 5 < first, `online loss should fall at least 5×: first ${first}, last ${last}`);
    // The memory has to be learned: training the readout alone does not get there.
    assert.ok(control.last > 0.5 * control.first, `readout-only control: ${control.first} → ${control.last}`);
    assert.ok(last * 20 < control.last, `RTRL should beat the readout-only control by far: ${last} vs ${control.last}`);
  });

  test('takes its optimisers from the factory: a first Adam step moves every parameter by lr', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64', seed: 4 });
    const lr = 0.01;
    const learner = new OnlineRTRL(layer, { outputSize: 2, learningRate: lr, optimizer: (store, rate) => new Adam(store, { lr: rate }) });
    assert.ok(learner.optimizer instanceof Adam && learner.readoutOptimizer instanceof Adam);
    const before = Float64Array.from(layer.params.data);
    const readoutBefore = Float64Array.from(learner.readout.params.data);
    learner.reset([0.1, -0.2, 0.3], [0.2, 0.1, -0.3]);
    learner.step([0.5, -1], [1, -1]);
    // Adam's first step is lr · g/(|g| + ε): a move of just under lr wherever |g| ≫ ε = 1e-8
    // (an SGD step would move by lr·|g|).
    for (const [what, now, then] of [['layer', layer.params.data, before], ['readout', learner.readout.params.data, readoutBefore]] as const) {
      for (let i = 0; i < now.length; i++) {
        const moved = Math.abs((now[i] as number) - (then[i] as number));
        assert.ok(moved > 0.99 * lr && moved <= lr * (1 + 1e-12), `${what} parameter ${i} moved by ${moved}, expected just under ${lr}`);
      }
    }
    assert.equal(learner.optimizer.stepCount, 1);
    learner.learningRate = 0.5;
    assert.equal(learner.optimizer.lr, 0.5);
    assert.equal(learner.readoutLearningRate, lr);
  });

  test('rejects bad options', () => {
    const layer = new RNN({ inputSize: 1, hiddenSize: 2 });
    assert.throws(() => new OnlineRTRL(layer, { outputSize: 0, learningRate: 0.1 }), /outputSize must be a positive integer, got 0/);
    assert.throws(() => new OnlineRTRL(layer, { outputSize: 1, learningRate: -1 }), /learningRate must be a finite non-negative number/);
    const learner = new OnlineRTRL(layer, { outputSize: 2, learningRate: 0.1 });
    assert.throws(() => learner.step([0], [0]), /target must hold 2 numbers/);
  });
});

describe('UORO', () => {
  test('the mean of its estimates approaches the exact RTRL gradient (unbiased)', (t) => {
    const T = 5;
    const layer = new RNN({ inputSize: 2, hiddenSize: 3, dtype: 'float64', seed: 3 });
    const p = makeProblem(layer, T, 1, 17);
    const exact = rtrlGradient(p).grad;
    const exactNorm = Math.hypot(...exact);
    const uoro = new UORO(layer, { seed: 99 });
    /** One UORO estimate of the gradient of the whole sequence's loss. */
    const estimate = (): Float64Array => {
      layer.zeroGrad();
      uoro.reset(p.h0);
      for (let s = 0; s < T; s++) {
        uoro.step(p.x.subarray(s * 2, (s + 1) * 2));
        uoro.accumulate(p.g.subarray(s * 3, (s + 1) * 3));
      }
      return layer.params.grad as Float64Array;
    };
    const pooled = new Float64Array(exact.length);
    let pooledRuns = 0;
    let squaredError = 0; // of single estimates
    /**
     * ‖mean of n estimates − exact‖ / ‖exact‖, root-mean-square over `groups`
     * independent means (UORO's estimates are heavy-tailed; one mean alone
     * fluctuates too much to compare two sample sizes).
     */
    const errorOfMean = (n: number, groups: number): number => {
      let total = 0;
      for (let k = 0; k < groups; k++) {
        const sum = new Float64Array(exact.length);
        for (let run = 0; run < n; run++) {
          const g = estimate();
          for (let i = 0; i < sum.length; i++) {
            sum[i] = (sum[i] as number) + (g[i] as number);
            squaredError += ((g[i] as number) - (exact[i] as number)) ** 2;
          }
        }
        for (let i = 0; i < sum.length; i++) {
          total += ((sum[i] as number) / n - (exact[i] as number)) ** 2;
          pooled[i] = (pooled[i] as number) + (sum[i] as number);
        }
        pooledRuns += n;
      }
      return Math.sqrt(total / groups) / exactNorm;
    };
    const single = errorOfMean(1, 1);
    const e2000 = errorOfMean(2000, 8);
    const e8000 = errorOfMean(8000, 8);
    let pooledError = 0;
    for (let i = 0; i < exact.length; i++) pooledError += ((pooled[i] as number) / pooledRuns - (exact[i] as number)) ** 2;
    pooledError = Math.sqrt(pooledError) / exactNorm;
    const relStd = Math.sqrt(squaredError / pooledRuns) / exactNorm;
    t.diagnostic(
      `relative error of the mean (rms over 8 groups): 2000 runs ${e2000.toFixed(4)}, 8000 runs ${e8000.toFixed(4)} (ratio ${(e8000 / e2000).toFixed(2)}, 1/√n predicts 0.5); ` +
        `all ${pooledRuns} runs ${pooledError.toFixed(4)}; one run ${single.toFixed(3)}; ` +
        `rms error of one estimate ${relStd.toFixed(2)}·‖exact‖ (1/√n: ${(relStd / Math.sqrt(2000)).toFixed(4)}, ${(relStd / Math.sqrt(8000)).toFixed(4)})`,
    );
    assert.ok(single > 0.1, `one estimate should differ from the exact gradient (rel. error ${single})`);
    assert.ok(e2000 < 0.1, `means of 2000 estimates should be within 10% (rel. error ${e2000})`);
    assert.ok(e8000 < 0.75 * e2000, `4× the samples should shrink the error (½ expected): ${e2000} → ${e8000}`);
    assert.ok(pooledError < 0.03, `the mean of all ${pooledRuns} estimates should be within 3% (rel. error ${pooledError})`);
  });

  test("its first step's factors are ν and νᵀD: δθ = νᵀ S_1 of exact RTRL, for every cell", (t) => {
    for (const { name, make } of cells) {
      const layer = make();
      const p = makeProblem(layer, 2, 2, 41);
      const { B, h0, c0 } = p;
      const x = p.x.subarray(0, B * layer.inputSize);
      const rtrl = new RTRL(layer, { batchSize: B });
      rtrl.reset(h0, c0);
      rtrl.step(x);
      const sens = rtrl.sensitivities; // S_1 = D_1 from a zero start
      const uoro = new UORO(layer, { batchSize: B, seed: 7 });
      const { stateSize: S, parameterCount: N } = uoro;
      let worst = 0;
      // from a fresh learner and after one step (the state in the other buffer)
      for (const warmUp of [false, true]) {
        uoro.reset();
        if (warmUp) uoro.step(p.x.subarray(B * layer.inputSize));
        uoro.reset(h0, c0);
        uoro.step(x);
        // s̃_1 = ρ₁ν and θ̃_1 = δθ/ρ₁ (ρ₁ > 0, ν = ±1), so δθ = |s̃_1,0| θ̃_1.
        const sTilde = uoro.stateFactor;
        const thetaTilde = uoro.parameterFactor;
        for (let b = 0; b < B; b++) {
          const rho1 = Math.abs(sTilde[b * S] as number);
          for (let p2 = 0; p2 < N; p2++) {
            let expected = 0;
            for (let i = 0; i < S; i++) expected += Math.sign(sTilde[b * S + i] as number) * (sens[(b * S + i) * N + p2] as number);
            const got = rho1 * (thetaTilde[b * N + p2] as number);
            const diff = Math.abs(got - expected);
            worst = Math.max(worst, diff);
            assert.ok(diff < 1e-13 * (1 + Math.abs(expected)), `${name} row ${b} parameter ${p2}: ${got} vs ${expected}`);
          }
        }
      }
      t.diagnostic(`${name}: max |δθ − νᵀS_1| ${worst.toExponential(2)}`);
    }
  });

  test('batch rows are independent estimates; LSTM and GRU run too', () => {
    for (const layer of [new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }), new GRU({ inputSize: 2, hiddenSize: 3, dtype: 'float64' })]) {
      const uoro = new UORO(layer, { batchSize: 2, seed: 1 });
      const rtrl = new RTRL(layer, { batchSize: 2 });
      uoro.reset();
      rtrl.reset();
      const rng = new Random(4);
      for (let s = 0; s < 4; s++) {
        const x = randomArray(rng, 4);
        const a = uoro.step(x);
        const b = rtrl.step(x);
        assertClose(a, { data: b, shape: [b.length] }, 1e-14, 'UORO and RTRL run the same forward step');
      }
      const { stateFactor, parameterFactor, stateSize, parameterCount } = uoro;
      assert.equal(stateFactor.length, 2 * stateSize);
      assert.equal(parameterFactor.length, 2 * parameterCount);
      assert.ok(parameterFactor.some((v) => v !== 0));
    }
  });
});
