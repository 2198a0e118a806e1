/**
 * The insight tools against independent computations: the probe's
 * ‖∂L/∂h_t‖ against the gradient of a split run (prefix, then the suffix
 * started from h_t), its ‖∂L/∂c_t‖ against central differences, gate
 * statistics against the gate equations, singular values against known
 * matrices; and watching changes nothing and costs nothing when off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmBackend } from '../src/backend/wasm.js';
import {
  ClipStatistics, clipGradNorm, fitDecay, byDistanceFromEnd, gradientNorms, GRU, LSTM, LSTMCell, Random, RNN, recurrentSpectra,
  Sequential, singularValues, watch, type Tensor,
} from '../src/index.js';
import type { Backend } from '../src/backend/backend.js';
import type { RecurrentLayer } from '../src/layers/stack.js';
import { allocate } from '../src/tensor.js';
import { loadFixture } from './helpers.js';

function uniform(rng: Random, shape: number[], scale: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const data = allocate(dtype, shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
  return { data, shape };
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s);
}

/** x[from…to) of a (T, B, I) tensor. */
function steps(x: Tensor, from: number, to: number): Tensor {
  const [, B, I] = x.shape as [number, number, number];
  return { data: x.data.slice(from * B * I, to * B * I), shape: [to - from, B, I] };
}

const T = 7;
const B = 2;
const I = 3;
const H = 4;

/**
 * L = Σ R ⊙ output + Σ S ⊙ h_N (+ Σ Q ⊙ c_N). The gradient of L with respect
 * to h_t, computed without the probe: run x[0…t] to get (h_t, c_t), then
 * x[t+1…] from (h_t, c_t): ∂L/∂h_t = R[t] + ∂L_suffix/∂h_0 (S at the last step).
 */
function splitGradients(layer: RecurrentLayer, x: Tensor, R: Tensor, S: Tensor, Q: Tensor | null): { dh: number[]; dcFiniteDifference: number[] } {
  const lstm = layer.cell.hasCellState;
  const dh: number[] = [];
  const dc: number[] = [];
  for (let t = 0; t < T; t++) {
    const prefix = layer.forward(steps(x, 0, t + 1));
    const ht = prefix.hN;
    const ct = prefix.cN ?? null;
    const Rt = R.data.slice(t * B * H, (t + 1) * B * H);
    /** L − (terms of steps ≤ t other than R[t]·h_t) as a function of (h_t, c_t). */
    const rest = (h: Tensor, c: Tensor | null): { loss: number; dh0: Float64Array; dc0: Float64Array | null } => {
      let loss = 0;
      for (let i = 0; i < Rt.length; i++) loss += (Rt[i] as number) * (h.data[i] as number);
      if (t === T - 1) {
        for (let i = 0; i < S.data.length; i++) loss += (S.data[i] as number) * (h.data[i] as number);
        if (Q && c) for (let i = 0; i < Q.data.length; i++) loss += (Q.data[i] as number) * (c.data[i] as number);
        const dh0 = Float64Array.from(Rt, (v, i) => v + (S.data[i] as number));
        return { loss, dh0, dc0: Q ? Float64Array.from(Q.data) : null };
      }
      const suffix = layer.forward(steps(x, t + 1, T), { h0: h, c0: c } as never);
      for (let i = 0; i < suffix.output.data.length; i++) loss += (R.data[(t + 1) * B * H + i] as number) * (suffix.output.data[i] as number);
      for (let i = 0; i < S.data.length; i++) loss += (S.data[i] as number) * (suffix.hN.data[i] as number);
      if (Q && suffix.cN) for (let i = 0; i < Q.data.length; i++) loss += (Q.data[i] as number) * (suffix.cN.data[i] as number);
      const g = layer.backward(suffix.ctx, { dOutput: steps(R, t + 1, T), dhN: S, ...(Q ? { dcN: Q } : {}) } as never) as { dh0: Tensor; dc0?: Tensor };
      return { loss, dh0: Float64Array.from(g.dh0.data, (v, i) => v + (Rt[i] as number)), dc0: g.dc0 ? Float64Array.from(g.dc0.data) : null };
    };
    dh.push(norm(rest(ht, ct).dh0));
    if (lstm && ct) {
      // c_t moves h_t = o_t ⊙ tanh(c_t) too: o_t = h_t / tanh(c_t), and with
      // peepholes o_t = σ(a_o + p_o c_t) moves with it: a_o = logit(o_t) − p_o c_t.
      const po = layer.peepholes ? layer.params.value('weight_peep_l0').data.subarray(2 * H, 3 * H) : null;
      const grad = new Float64Array(B * H);
      const eps = 1e-6;
      for (let i = 0; i < B * H; i++) {
        const o = (ht.data[i] as number) / Math.tanh(ct.data[i] as number);
        const p = po ? (po[i % H] as number) : 0;
        const aO = Math.log(o / (1 - o)) - p * (ct.data[i] as number);
        const at = (delta: number): number => {
          const c = { data: Float64Array.from(ct.data), shape: ct.shape };
          c.data[i] = (c.data[i] as number) + delta;
          const h = { data: Float64Array.from(ht.data), shape: ht.shape };
          h.data[i] = (1 / (1 + Math.exp(-(aO + p * (c.data[i] as number))))) * Math.tanh(c.data[i] as number);
          return rest(h, c).loss;
        };
        grad[i] = (at(eps) - at(-eps)) / (2 * eps);
      }
      dc.push(norm(grad));
    }
    layer.zeroGrad();
  }
  return { dh, dcFiniteDifference: dc };
}

for (const [name, make] of [
  ['RNN tanh', () => new RNN({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 1 })],
  ['RNN leaky relu', () => new RNN({ inputSize: I, hiddenSize: H, nonlinearity: 'leaky_relu', negativeSlope: 0.2, dtype: 'float64', seed: 2 })],
  ['LSTM', () => new LSTM({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 3 })],
  ['LSTM with peepholes', () => {
    const lstm = new LSTM({ inputSize: I, hiddenSize: H, peepholes: true, dtype: 'float64', seed: 6 });
    lstm.params.value('weight_peep_l0').data.set([0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 1.5, -1.2, 0.9, 2]); // p_o large
    return lstm;
  }],
  ['GRU', () => new GRU({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 4 })],
] as const) {
  test(`${name}: the probe's ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) equal those of a run split at t`, () => {
    const layer = make() as RecurrentLayer;
    const rng = new Random(5);
    const x = uniform(rng, [T, B, I], 1.5);
    const R = uniform(rng, [T, B, H], 1);
    const S = uniform(rng, [1, B, H], 1);
    const Q = layer.cell.hasCellState ? uniform(rng, [1, B, H], 1) : null;
    const probe = watch(layer);
    const out = layer.forward(x);
    layer.backward(out.ctx, { dOutput: R, dhN: S, ...(Q ? { dcN: Q } : {}) } as never);
    const record = probe.record();
    probe.detach();
    assert.ok(record.gradH);
    const expected = splitGradients(layer, x, R, S, Q);
    for (let t = 0; t < T; t++) {
      const got = record.gradH[t] as number;
      const want = expected.dh[t] as number;
      assert.ok(Math.abs(got - want) <= 1e-12 * want, `‖∂L/∂h_${t}‖ = ${got}, split run ${want}`);
    }
    if (Q) {
      assert.ok(record.gradC);
      for (let t = 0; t < T; t++) {
        const got = record.gradC[t] as number;
        const want = expected.dcFiniteDifference[t] as number;
        assert.ok(Math.abs(got - want) <= 1e-7 * want, `‖∂L/∂c_${t}‖ = ${got}, central differences ${want}`);
      }
    } else {
      assert.equal(record.gradC, null);
    }
  });
}

test('gate statistics follow the LSTM gate equations: mean and saturated fraction of i, f, g, o per step', () => {
  const layer = new LSTM({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 8 });
  const rng = new Random(9);
  const x = uniform(rng, [T, B, I], 3);
  const probe = watch(layer, { states: true, saturation: 0.2 });
  layer.forward(x);
  const record = probe.record();
  const p = layer.stateDict();
  const [wih, whh, bih, bhh] = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map((n) => (p[n] as Tensor).data);
  const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
  let saturatedSeen = 0;
  for (let t = 0; t < T; t++) {
    for (const [k, gate] of ['i', 'f', 'g', 'o'].entries()) {
      let sum = 0;
      let saturated = 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const row = k * H + j;
          let a = (bih?.[row] as number) + (bhh?.[row] as number);
          for (let q = 0; q < I; q++) a += (wih?.[row * I + q] as number) * (x.data[(t * B + b) * I + q] as number);
          for (let q = 0; q < H && t > 0; q++) a += (whh?.[row * H + q] as number) * (record.h?.[((t - 1) * B + b) * H + q] as number);
          const v = gate === 'g' ? Math.tanh(a) : sigmoid(a);
          sum += v;
          if (gate === 'g' ? Math.abs(v) > 0.8 : v < 0.2 || v > 0.8) saturated++;
        }
      }
      const stats = record.gates[k];
      assert.equal(stats?.gate, gate);
      assert.ok(Math.abs((stats.mean[t] as number) - sum / (B * H)) < 1e-12, `mean of ${gate} at ${t}`);
      assert.equal(stats.saturated[t], saturated / (B * H), `saturated fraction of ${gate} at ${t}`);
      saturatedSeen += saturated;
    }
  }
  assert.ok(saturatedSeen > 0, 'some activations are saturated');
});

test('the probe records the states each step emitted, in both directions and every layer', () => {
  const layer = new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, dtype: 'float64', seed: 10 });
  const x = uniform(new Random(11), [T, B, I], 1);
  const probe = watch(layer, { states: true });
  const { output } = layer.forward(x);
  assert.equal(probe.records.length, 4);
  for (const direction of [0, 1] as const) {
    const h = probe.record(undefined, 1, direction).h;
    assert.ok(h);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          assert.equal(h[(t * B + b) * H + j], output.data[(t * B + b) * 2 * H + direction * H + j]);
        }
      }
    }
  }
  assert.throws(() => probe.record(undefined, 2, 0), /no layer 2 direction 0/);
  assert.throws(() => probe.record('decoder'), /no watched module 'decoder'/);
});

test('watching changes no number, and a detached probe records nothing more', () => {
  const rng = new Random(12);
  const x = uniform(rng, [T, B, I], 1);
  const dOutput = uniform(rng, [T, B, 2 * H], 1);
  const run = (watched: boolean): { out: Float64Array; grad: Float64Array; dInput: Float64Array } => {
    const layer = new LSTM({ inputSize: I, hiddenSize: H, bidirectional: true, dtype: 'float64', seed: 13 });
    const probe = watched ? watch(layer, { states: true }) : null;
    const f = layer.forward(x);
    const g = layer.backward(f.ctx, { dOutput });
    if (probe) assert.equal(probe.records.length, 2);
    return { out: f.output.data as Float64Array, grad: Float64Array.from(layer.params.grad), dInput: g.dInput.data as Float64Array };
  };
  assert.deepEqual(run(true), run(false));

  const layer = new RNN({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 14 });
  const probe = watch(layer);
  layer.forward(x);
  const first = probe.record();
  probe.detach();
  layer.forward(x);
  assert.equal(probe.record(), first, 'no new record after detach');
});

test('watch finds the recurrent layers of a model, named by their parameter prefix; a cell is watched as one-step scans', () => {
  const model = new Sequential([
    { type: 'lstm', inputSize: I, hiddenSize: H },
    { type: 'gru', hiddenSize: H },
    { type: 'linear', outFeatures: 2 },
  ] as never, { seed: 1 } as never);
  const probe = watch(model);
  assert.deepEqual(probe.modules, ['0', '1']);
  probe.detach();
  assert.throws(() => watch({ nothing: 1 }), /found no RNN, LSTM, GRU layer or cell/);

  const cell = new LSTMCell({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 15 });
  const cellProbe = watch(cell);
  const rng = new Random(16);
  const x = uniform(rng, [B, I], 1);
  const out = cell.forward(x);
  const dh = uniform(rng, [B, H], 1);
  cell.backward(out.ctx, { dh });
  const r = cellProbe.record();
  assert.equal(r.T, 1);
  assert.equal(r.gradH?.[0], norm(dh.data));
});

test('with lengths, rows past their length are left out of every statistic', () => {
  const layer = new LSTM({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 17 });
  const rng = new Random(18);
  const x = uniform(rng, [T, B, I], 1);
  const probe = watch(layer);
  const out = layer.forward(x, { lengths: [T, 3] });
  const dOutput = uniform(rng, [T, B, H], 1);
  layer.backward(out.ctx, { dOutput });
  const withLengths = probe.record();
  // Row 0 alone, run on its own: the statistics past step 3 must be those of row 0 only.
  const x0 = { data: allocate('float64', T * I), shape: [T, 1, I] };
  const d0 = { data: allocate('float64', T * H), shape: [T, 1, H] };
  for (let t = 0; t < T; t++) {
    x0.data.set(x.data.subarray((t * B) * I, (t * B + 1) * I), t * I);
    d0.data.set(dOutput.data.subarray((t * B) * H, (t * B + 1) * H), t * H);
  }
  const one = layer.forward(x0);
  layer.backward(one.ctx, { dOutput: d0 });
  const alone = probe.record();
  for (let t = 3; t < T; t++) {
    assert.ok(Math.abs((withLengths.gradH?.[t] as number) - (alone.gradH?.[t] as number)) < 1e-12, `gradH[${t}]`);
    assert.ok(Math.abs((withLengths.gradC?.[t] as number) - (alone.gradC?.[t] as number)) < 1e-12, `gradC[${t}]`);
    assert.ok(Math.abs((withLengths.gates[1]?.mean[t] as number) - (alone.gates[1]?.mean[t] as number)) < 1e-12, `mean f at ${t}`);
  }
});

async function sameOnBackend(backend: Backend): Promise<void> {
  const rng = new Random(19);
  const x = uniform(rng, [T, B, I], 1, 'float32');
  const dOutput = uniform(rng, [T, B, H], 1, 'float32');
  const records = [undefined, backend].map((be) => {
    const layer = new LSTM({ inputSize: I, hiddenSize: H, seed: 20, backend: be });
    const probe = watch(layer);
    const f = layer.forward(x);
    layer.backward(f.ctx, { dOutput });
    return probe.record();
  });
  const [ref, fast] = records as [ReturnType<typeof watch>['records'][number], ReturnType<typeof watch>['records'][number]];
  for (let t = 0; t < T; t++) {
    for (const [a, b] of [[ref.gradH?.[t], fast.gradH?.[t]], [ref.gradC?.[t], fast.gradC?.[t]], [ref.gates[2]?.mean[t], fast.gates[2]?.mean[t]]] as [number, number][]) {
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a)), `step ${t}: reference ${a}, WebAssembly ${b}`);
    }
  }
}

test('the probe reads the same numbers on the WebAssembly backend', async (t) => {
  const backend = await loadWasmBackend({ threads: 1 });
  if (!backend) return t.skip('WebAssembly SIMD is not available in this runtime');
  await sameOnBackend(backend);
});

test('singular values: of known matrices, and of each gate block of weight_hh', () => {
  // diag(3, 2) rotated: singular values 3, 2.
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const rotated = [3 * c, -2 * s, 3 * s, 2 * c];
  const sv = singularValues(rotated, 2, 2);
  assert.ok(Math.abs((sv[0] as number) - 3) < 1e-14 && Math.abs((sv[1] as number) - 2) < 1e-14, `got ${Array.from(sv)}`);
  // A rank-one 2×3 matrix u vᵀ: one singular value ‖u‖‖v‖, the other 0.
  const u = [1, 2];
  const v = [2, -1, 2];
  const sv2 = singularValues(u.flatMap((a) => v.map((b) => a * b)), 2, 3);
  assert.ok(Math.abs((sv2[0] as number) - Math.sqrt(5) * 3) < 1e-13 && Math.abs(sv2[1] as number) < 1e-13, `got ${Array.from(sv2)}`);
  // Σσ² = ‖A‖_F² for a random 6×4 block.
  const a = uniform(new Random(21), [6, 4], 1).data;
  const sum = singularValues(a, 6, 4).reduce((acc, x) => acc + x * x, 0);
  assert.ok(Math.abs(sum - norm(a) ** 2) < 1e-12);
  assert.throws(() => singularValues([1, NaN], 1, 2), /element \(0, 1\) is NaN/);

  const lstm = new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 22 });
  const spectra = recurrentSpectra(lstm);
  assert.equal(spectra.length, 2 * 2 * 4);
  assert.deepEqual(spectra.slice(0, 4).map((x) => [x.parameter, x.gate]), [['weight_hh_l0', 'i'], ['weight_hh_l0', 'f'], ['weight_hh_l0', 'g'], ['weight_hh_l0', 'o']]);
  assert.equal(spectra[7]?.parameter, 'weight_hh_l0_reverse');
  const whh = lstm.stateDict().weight_hh_l1_reverse as Tensor;
  const block = whh.data.slice(2 * H * H, 3 * H * H); // gate g
  assert.deepEqual(spectra[14]?.singularValues, singularValues(block, H, H));
});

test('gradient norms per parameter and the clip statistics agree with clipGradNorm', () => {
  const layer = new GRU({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 23 });
  const rng = new Random(24);
  const stats = new ClipStatistics();
  for (const scale of [0.1, 10, 100]) {
    layer.zeroGrad();
    const f = layer.forward(uniform(rng, [T, B, I], 1));
    layer.backward(f.ctx, { dOutput: uniform(rng, [T, B, H], scale) });
    const norms = gradientNorms(layer);
    assert.deepEqual(norms.parameters.map((p) => p.name), ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
    const w = layer.params.gradient('weight_hh_l0').data;
    assert.ok(Math.abs((norms.parameters[1]?.norm as number) - norm(w)) < 1e-12);
    const before = clipGradNorm(layer.params, 5);
    assert.ok(Math.abs(before - norms.global) <= 1e-12 * before);
    stats.add(before, 5);
  }
  const summary = stats.summary();
  assert.equal(summary.steps, 3);
  assert.equal(summary.clipped, 2);
  assert.ok(summary.meanFactorWhenClipped < 1 && summary.maxNorm > 50);
});

test('fitDecay recovers the rate of a geometric sequence and skips zeros', () => {
  const g = Array.from({ length: 40 }, (_, k) => 3 * 0.8 ** k);
  g[5] = 0;
  const fit = fitDecay(g);
  assert.ok(Math.abs(fit.rate - 0.8) < 1e-12 && Math.abs(fit.intercept - Math.log(3)) < 1e-12);
  assert.equal(fit.points, 39);
  assert.deepEqual(Array.from(byDistanceFromEnd([1, 2, 3])), [3, 2, 1]);
  assert.throws(() => fitDecay([0, 1]), /at least two/);
});

interface FixtureTensorJson { shape: number[]; data: number[] }
interface InsightCase {
  name: string;
  mode: 'RNN_TANH' | 'RNN_RELU' | 'RNN_LEAKY_RELU' | 'LSTM' | 'GRU';
  options: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; projSize: number; nonlinearity: string | null; negativeSlope: number | null };
  input: FixtureTensorJson;
  lengths: number[] | null;
  stateDict: Record<string, FixtureTensorJson>;
  gradOutput: FixtureTensorJson;
  gradHN: FixtureTensorJson;
  gradCN: FixtureTensorJson | null;
  directions: { layer: number; direction: 0 | 1; gradH: number[]; gradC: number[] | null; gates: Record<string, { mean: number[]; saturated: number[] }>; singularValues: number[][] }[];
  paramGradNorms: Record<string, number>;
  globalGradNorm: number;
}

const fixtureTensor = (f: FixtureTensorJson): Tensor => ({ data: Float64Array.from(f.data), shape: f.shape });

function closeTo(got: number, want: number, rtol: number, what: string): void {
  assert.ok(Math.abs(got - want) <= rtol * Math.max(Math.abs(want), 1e-12), `${what}: ${got}, PyTorch ${want}`);
}

test('PyTorch parity: per-step gradient norms, gate statistics, singular values and parameter gradient norms (test/fixtures/insight.json)', () => {
  const fixture = loadFixture<{ theta: number; cases: InsightCase[] }>('insight.json');
  assert.ok(fixture.cases.length >= 8);
  for (const c of fixture.cases) {
    const o = c.options;
    const common = { inputSize: o.inputSize, hiddenSize: o.hiddenSize, numLayers: o.numLayers, bidirectional: o.bidirectional, dtype: 'float64' as const, seed: 1 };
    const layer: RecurrentLayer =
      c.mode === 'LSTM' ? new LSTM({ ...common, projSize: o.projSize })
      : c.mode === 'GRU' ? new GRU(common)
      : new RNN({ ...common, nonlinearity: c.mode === 'RNN_TANH' ? 'tanh' : c.mode === 'RNN_RELU' ? 'relu' : 'leaky_relu', ...(c.mode === 'RNN_LEAKY_RELU' ? { negativeSlope: o.negativeSlope as number } : {}) });
    layer.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, fixtureTensor(v)])));
    const probe = watch(layer, { saturation: fixture.theta });
    const out = layer.forward(fixtureTensor(c.input), c.lengths ? { lengths: c.lengths } : {});
    layer.backward(out.ctx, { dOutput: fixtureTensor(c.gradOutput), dhN: fixtureTensor(c.gradHN), ...(c.gradCN ? { dcN: fixtureTensor(c.gradCN) } : {}) } as never);
    const spectra = recurrentSpectra(layer);
    const G = layer.cell.gates;
    for (const [k, want] of c.directions.entries()) {
      const where = `${c.name} layer ${want.layer} direction ${want.direction}`;
      const got = probe.record(undefined, want.layer, want.direction);
      want.gradH.forEach((v, t) => closeTo(got.gradH?.[t] as number, v, 1e-10, `${where} gradH[${t}]`));
      if (want.gradC) want.gradC.forEach((v, t) => closeTo(got.gradC?.[t] as number, v, 1e-10, `${where} gradC[${t}]`));
      else assert.equal(got.gradC, null);
      assert.deepEqual(got.gates.map((g) => g.gate), Object.keys(want.gates));
      for (const g of got.gates) {
        const w = want.gates[g.gate] as { mean: number[]; saturated: number[] };
        w.mean.forEach((v, t) => closeTo(g.mean[t] as number, v, 1e-10, `${where} mean ${g.gate}[${t}]`));
        w.saturated.forEach((v, t) => closeTo(g.saturated[t] as number, v, 1e-12, `${where} saturated ${g.gate}[${t}]`));
      }
      for (let gate = 0; gate < G; gate++) {
        const sv = spectra[k * G + gate]?.singularValues as Float64Array;
        (want.singularValues[gate] as number[]).forEach((v, i) => closeTo(sv[i] as number, v, 1e-10, `${where} σ_${i} of block ${gate}`));
      }
    }
    const norms = gradientNorms(layer);
    for (const p of norms.parameters) closeTo(p.norm, c.paramGradNorms[p.name] as number, 1e-10, `${c.name} ‖∇ ${p.name}‖`);
    closeTo(norms.global, c.globalGradNorm, 1e-10, `${c.name} global norm`);
  }
});
