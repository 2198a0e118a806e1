/** Initialisers: each tested for the property that defines it, on real draws. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calculateGain, constantInit, fans, forgetGateBias, identity, kaimingNormal, kaimingUniform, orthogonal,
  xavierNormal, xavierUniform, zerosInit,
} from '../src/init.js';
import { ParameterStore } from '../src/params.js';
import { Random } from '../src/random.js';
import type { DType } from '../src/tensor.js';

function storeWith(shape: number[], dtype: DType = 'float32', name = 'weight'): ParameterStore {
  const store = new ParameterStore(dtype, 'Model');
  store.add('before', [3]);
  store.add(name, shape);
  store.add('after', [3]);
  store.data.fill(7);
  return store;
}

/** Neighbouring parameters keep their values. */
function assertNeighboursUntouched(store: ParameterStore): void {
  assert.deepEqual(Array.from(store.value('before').data), [7, 7, 7]);
  assert.deepEqual(Array.from(store.value('after').data), [7, 7, 7]);
}

/** Largest |(XXᵀ or XᵀX) − scale·I| for a rows×cols row-major matrix; `byRows` picks XXᵀ. */
function gramError(x: ArrayLike<number>, rows: number, cols: number, byRows: boolean, scale = 1): number {
  const k = byRows ? rows : cols;
  const at = (i: number, j: number): number => (byRows ? (x[i * cols + j] as number) : (x[j * cols + i] as number));
  const inner = byRows ? cols : rows;
  let worst = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let dot = 0;
      for (let t = 0; t < inner; t++) dot += at(a, t) * at(b, t);
      worst = Math.max(worst, Math.abs(dot - (a === b ? scale : 0)));
    }
  }
  return worst;
}

function moments(x: ArrayLike<number>): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] as number;
    maxAbs = Math.max(maxAbs, Math.abs(x[i] as number));
  }
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += ((x[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(v / x.length), maxAbs };
}

// ---------------------------------------------------------------------------
// orthogonal

for (const [rows, cols] of [[6, 6], [5, 3], [3, 5], [64, 64], [1, 4], [4, 1]] as const) {
  test(`orthogonal ${rows}×${cols}: orthonormal ${rows >= cols ? 'columns (QᵀQ = I)' : 'rows (QQᵀ = I)'}`, (t) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const store = storeWith([rows, cols], dtype);
      orthogonal(store, 'weight', new Random(rows * 100 + cols));
      const err = gramError(store.value('weight').data, rows, cols, rows < cols);
      assert.ok(err < (dtype === 'float32' ? 1e-5 : 1e-12), `${dtype}: max |gram − I| = ${err}`);
      assertNeighboursUntouched(store);
      t.diagnostic(`${dtype}: max |gram − I| ${err.toExponential(2)}`);
    }
  });
}

test('orthogonal with gain: QᵀQ = gain²·I', () => {
  const store = storeWith([8, 5], 'float64');
  orthogonal(store, 'weight', new Random(3), { gain: 2.5 });
  assert.ok(gramError(store.value('weight').data, 8, 5, false, 6.25) < 1e-12);
});

test('orthogonal on a 3-D weight flattens the trailing dimensions', () => {
  const store = storeWith([4, 3, 2], 'float64');
  orthogonal(store, 'weight', new Random(4));
  assert.ok(gramError(store.value('weight').data, 4, 6, true) < 1e-12);
});

/** Modified Gram–Schmidt on the columns of a row-major m×n matrix: the QR factor with R's diagonal positive. */
function gramSchmidt(a: Float64Array, m: number, n: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += (q[i * n + k] as number) * (q[i * n + j] as number);
      for (let i = 0; i < m; i++) q[i * n + j] = (q[i * n + j] as number) - dot * (q[i * n + k] as number);
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += (q[i * n + j] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) q[i * n + j] = (q[i * n + j] as number) / norm;
  }
  return q;
}

for (const [rows, cols] of [[7, 4], [4, 7]] as const) {
  test(`orthogonal ${rows}×${cols} is torch's sign-corrected QR of the Gaussian draw (= Gram–Schmidt)`, () => {
    const store = storeWith([rows, cols], 'float64');
    orthogonal(store, 'weight', new Random(11));
    // the same draws, row-major rows×cols, decomposed as torch does (transposed when rows < cols)
    const rng = new Random(11);
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    const a = new Float64Array(m * n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[rows >= cols ? i * n + j : j * n + i] = rng.normal();
    const q = gramSchmidt(a, m, n);
    const w = store.value('weight').data;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const expected = rows >= cols ? q[i * n + j]! : q[j * n + i]!;
        assert.ok(Math.abs(w[i * cols + j]! - expected) < 1e-12, `[${i}, ${j}]: ${w[i * cols + j]} vs ${expected}`);
      }
    }
  });
}

test('orthogonal per gate block: each H×H block of a [4H, H] LSTM weight is orthogonal', (t) => {
  const H = 5;
  const store = storeWith([4 * H, H], 'float32', 'weight_hh_l0');
  store.data.fill(7);
  orthogonal(store, 'weight_hh_l0', new Random(1), { blocks: 4 });
  const w = store.value('weight_hh_l0').data;
  let worst = 0;
  for (let b = 0; b < 4; b++) {
    const block = w.subarray(b * H * H, (b + 1) * H * H);
    worst = Math.max(worst, gramError(block, H, H, false), gramError(block, H, H, true));
  }
  assert.ok(worst < 1e-5, `max |gram − I| over blocks ${worst}`);
  // the whole [4H, H] matrix is not orthonormal column-wise (its columns have norm 2)
  assert.ok(gramError(w, 4 * H, H, false) > 0.5);
  t.diagnostic(`max |gram − I| ${worst.toExponential(2)}`);
});

test('orthogonal per block with wide blocks (LSTM with projection: [4H, P], P > H)', () => {
  const store = storeWith([4 * 3, 5], 'float64');
  orthogonal(store, 'weight', new Random(2), { blocks: 4 });
  const w = store.value('weight').data;
  for (let b = 0; b < 4; b++) assert.ok(gramError(w.subarray(b * 15, (b + 1) * 15), 3, 5, true) < 1e-12);
});

test('orthogonal is reproducible from the seed', () => {
  const a = storeWith([6, 4]);
  const b = storeWith([6, 4]);
  orthogonal(a, 'weight', new Random(9));
  orthogonal(b, 'weight', new Random(9));
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
});

// ---------------------------------------------------------------------------
// xavier / kaiming

test('calculateGain and fans follow torch.nn.init', () => {
  assert.equal(calculateGain('linear'), 1);
  assert.equal(calculateGain('sigmoid'), 1);
  assert.equal(calculateGain('conv2d'), 1);
  assert.equal(calculateGain('tanh'), 5 / 3);
  assert.equal(calculateGain('relu'), Math.SQRT2);
  assert.equal(calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
  assert.equal(calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
  assert.equal(calculateGain('selu'), 0.75);
  assert.throws(() => calculateGain('gelu' as never), { message: "calculateGain: unsupported nonlinearity 'gelu'" });
  assert.deepEqual(fans([16, 4]), { fanIn: 4, fanOut: 16 });
  assert.deepEqual(fans([8, 3, 5]), { fanIn: 15, fanOut: 40 });
  assert.throws(() => fans([16]), /fan in and fan out need a weight of 2 or more dimensions, got shape \[16\]/);
});

const cases: Array<{ what: string; shape: [number, number]; std: number; uniform: boolean; run: (s: ParameterStore, r: Random) => void }> = [
  { what: 'xavierUniform', shape: [256, 256], std: Math.sqrt(2 / 512), uniform: true, run: (s, r) => xavierUniform(s, 'weight', r) },
  { what: 'xavierUniform gain 5/3', shape: [256, 256], std: (5 / 3) * Math.sqrt(2 / 512), uniform: true,
    run: (s, r) => xavierUniform(s, 'weight', r, calculateGain('tanh')) },
  { what: 'xavierNormal', shape: [256, 256], std: Math.sqrt(2 / 512), uniform: false, run: (s, r) => xavierNormal(s, 'weight', r) },
  { what: 'xavierNormal [128, 512]', shape: [128, 512], std: Math.sqrt(2 / 640), uniform: false, run: (s, r) => xavierNormal(s, 'weight', r) },
  { what: 'kaimingUniform', shape: [256, 256], std: Math.SQRT2 / 16, uniform: true, run: (s, r) => kaimingUniform(s, 'weight', r) },
  { what: 'kaimingNormal', shape: [256, 256], std: Math.SQRT2 / 16, uniform: false, run: (s, r) => kaimingNormal(s, 'weight', r) },
  { what: 'kaimingUniform fan_in [128, 512]', shape: [128, 512], std: Math.SQRT2 / Math.sqrt(512), uniform: true,
    run: (s, r) => kaimingUniform(s, 'weight', r, { mode: 'fan_in' }) },
  { what: 'kaimingNormal fan_out [128, 512]', shape: [128, 512], std: Math.SQRT2 / Math.sqrt(128), uniform: false,
    run: (s, r) => kaimingNormal(s, 'weight', r, { mode: 'fan_out' }) },
  { what: 'kaimingNormal tanh', shape: [256, 256], std: 5 / 3 / 16, uniform: false,
    run: (s, r) => kaimingNormal(s, 'weight', r, { nonlinearity: 'tanh' }) },
  { what: 'kaimingUniform leaky_relu a=0.2', shape: [256, 256], std: Math.sqrt(2 / 1.04) / 16, uniform: true,
    run: (s, r) => kaimingUniform(s, 'weight', r, { a: 0.2, nonlinearity: 'leaky_relu' }) },
];

for (const c of cases) {
  test(`${c.what}: empirical std within 5% of ${c.std.toPrecision(4)}${c.uniform ? ', within ±√3·std' : ''}`, (t) => {
    const store = storeWith(c.shape);
    c.run(store, new Random(42));
    const { mean, std, maxAbs } = moments(store.value('weight').data);
    assert.ok(Math.abs(std / c.std - 1) < 0.05, `std ${std} vs ${c.std}`);
    assert.ok(Math.abs(mean) < 0.05 * c.std, `mean ${mean}`);
    const bound = Math.sqrt(3) * c.std;
    if (c.uniform) {
      assert.ok(maxAbs <= bound * (1 + 1e-6), `max |w| ${maxAbs} exceeds the bound ${bound}`);
      assert.ok(maxAbs > 0.99 * bound, `max |w| ${maxAbs} should come near the bound ${bound}`);
    } else {
      assert.ok(maxAbs > bound, 'a normal draw exceeds √3·std somewhere');
    }
    assertNeighboursUntouched(store);
    t.diagnostic(`std ${std.toPrecision(5)} (formula ${c.std.toPrecision(5)}, ratio ${(std / c.std).toFixed(4)})`);
  });
}

test('xavier and kaiming refuse biases and bad options', () => {
  const store = storeWith([16], 'float32', 'bias_ih_l0');
  assert.throws(() => xavierUniform(store, 'bias_ih_l0', new Random()), {
    message: "xavierUniform('bias_ih_l0'): fan in and fan out need a weight of 2 or more dimensions, got shape [16]",
  });
  assert.throws(() => kaimingNormal(store, 'bias_ih_l0', new Random()), /kaimingNormal\('bias_ih_l0'\): fan in/);
  const w = storeWith([4, 4]);
  assert.throws(() => kaimingUniform(w, 'weight', new Random(), { mode: 'fanIn' as never }), /mode must be 'fan_in' or 'fan_out'/);
  assert.throws(() => xavierNormal(w, 'weight', new Random(), Number.NaN), /gain must be a finite number, got NaN/);
  assert.throws(() => xavierNormal(w, 'nope', new Random()), /Model: no parameter named 'nope'/);
});

// ---------------------------------------------------------------------------
// identity, forget bias, constants

test('identity: exactly gain·I, leading diagonal for non-square, per block', () => {
  const sq = storeWith([3, 3], 'float64');
  identity(sq, 'weight');
  assert.deepEqual(Array.from(sq.value('weight').data), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  assertNeighboursUntouched(sq);

  const wide = storeWith([2, 3], 'float64');
  identity(wide, 'weight', { gain: 0.5 });
  assert.deepEqual(Array.from(wide.value('weight').data), [0.5, 0, 0, 0, 0.5, 0]);

  const tall = storeWith([3, 2], 'float64');
  identity(tall, 'weight');
  assert.deepEqual(Array.from(tall.value('weight').data), [1, 0, 0, 1, 0, 0]);

  const H = 2;
  const gates = storeWith([4 * H, H], 'float64');
  identity(gates, 'weight', { blocks: 4, gain: 0.9 });
  assert.deepEqual(Array.from(gates.value('weight').data), [0.9, 0, 0, 0.9, 0.9, 0, 0, 0.9, 0.9, 0, 0, 0.9, 0.9, 0, 0, 0.9]);

  assert.throws(() => identity(storeWith([2, 2, 2]), 'weight'), /identity\('weight'\): expected a 2-D weight, got shape \[2, 2, 2\]/);
  assert.throws(() => identity(storeWith([6, 2]), 'weight', { blocks: 4 }), {
    message: "identity('weight'): blocks must be a positive integer dividing the 6 rows, got 4",
  });
  assert.throws(() => orthogonal(storeWith([8, 2]), 'weight', new Random(), { blocks: 3 }), /dividing the 8 rows, got 3/);
  assert.throws(() => orthogonal(storeWith([8], 'float32'), 'weight', new Random()), /expected a weight of 2 or more dimensions, got shape \[8\]/);
});

test('forgetGateBias sets the f-slice [H, 2H) and leaves i, g, o untouched', () => {
  const H = 3;
  const store = storeWith([4 * H], 'float64', 'bias_hh_l0');
  const rng = new Random(5);
  const b = store.value('bias_hh_l0').data;
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-1, 1);
  const before = Array.from(b);
  forgetGateBias(store, 'bias_hh_l0', H, 1);
  const after = Array.from(store.value('bias_hh_l0').data);
  assert.deepEqual(after.slice(H, 2 * H), [1, 1, 1]);
  assert.deepEqual(after.slice(0, H), before.slice(0, H));
  assert.deepEqual(after.slice(2 * H), before.slice(2 * H));
  assertNeighboursUntouched(store);
  forgetGateBias(store, 'bias_hh_l0', H); // default value 1
  assert.deepEqual(Array.from(store.value('bias_hh_l0').data), after);

  assert.throws(() => forgetGateBias(store, 'bias_hh_l0', 4), {
    message: "forgetGateBias('bias_hh_l0'): expected an LSTM bias of shape [16] (4·hiddenSize, gates i|f|g|o), got [12]",
  });
  assert.throws(() => forgetGateBias(store, 'bias_hh_l0', 0), /hiddenSize must be an integer ≥ 1, got 0/);
  assert.throws(() => forgetGateBias(store, 'bias_hh_l0', H, Number.NaN), /value must be a finite number, got NaN/);
});

test('constantInit and zerosInit fill exactly one parameter', () => {
  const store = storeWith([2, 3]);
  constantInit(store, 'weight', 0.25);
  assert.deepEqual(Array.from(store.value('weight').data), [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  zerosInit(store, 'weight');
  assert.deepEqual(Array.from(store.value('weight').data), [0, 0, 0, 0, 0, 0]);
  assertNeighboursUntouched(store);
  assert.throws(() => constantInit(store, 'weight', Infinity), /value must be a finite number, got Infinity/);
});
