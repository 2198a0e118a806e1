/**
 * Real-Time Recurrent Learning against backpropagation through time, online
 * learning on a stream, and the unbiasedness of UORO.
 *
 * Loss for the exact checks: L = Σ_t ⟨g_t, h_t⟩ (+ ⟨g_c, c_T⟩ for LSTM) with
 * random g, i.e. dOutput = g, dcN = g_c in `layer.backward`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, OnlineRTRL, RNN, Random, RTRL, UORO, type ForwardModeLayer } from '../src/index.js';
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
  { name: 'LSTM', make: () => new LSTM({ inputSize: 3, hiddenSize: 5, ...common }) },
  { name: 'GRU', make: () => new GRU({ inputSize: 3, hiddenSize: 5, ...common }) },
];

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
