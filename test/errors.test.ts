/**
 * The bad-input suite: every public entry point rejects malformed arguments
 * with a message naming the module and what was expected, and a failing
 * state-dict load (including one fed from a damaged safetensors file) leaves
 * every parameter exactly as it was.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  GRU, GRUCell, LSTM, LSTMCell, ParameterStore, RNN, RNNCell, SafetensorsError, parseSafetensors,
  type GRUOptions, type LSTMOptions, type RecurrentLayer, type RecurrentOptions, type Tensor, type TensorLike,
} from '../src/index.js';
import type { CellModule } from '../src/layers/cell-module.js';
import { allocate, numel } from '../src/tensor.js';
import { assertClose, type FixtureTensor, fixturePath, loadFixture, toTensor } from './helpers.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** A deterministic float32 tensor with values in (−1, 1). */
function filled(shape: number[], seed = 1): Tensor {
  const data = allocate('float32', numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = 0.9 * Math.sin(seed * 12.9898 + i * 1.618);
  return { data, shape };
}

/** `t` with the value at `index` replaced. */
function withValue(t: Tensor, index: number, value: number): Tensor {
  const data = t.data.slice();
  data[index] = value;
  return { data, shape: t.shape };
}

/**
 * A regex matching an error (as `assert.throws` sees it: `Error: message`)
 * whose message starts with `module: ` followed by `rest` (a regex source).
 */
function msg(module: string, rest: string): RegExp {
  return new RegExp(`^(?:Type)?Error: ${module.replace(/\./g, '\\.')}: ${rest}`);
}

/** Escapes a literal for use inside a regex. */
function lit(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Deep copies of a module's parameters (not live views). */
function copyState(dict: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(dict)) out[k] = { data: v.data.slice(), shape: [...v.shape] };
  return out;
}

/** Asserts that `fn` throws matching `pattern` and that `store` holds exactly the values it had before. */
function throwsUntouched(store: ParameterStore, fn: () => unknown, pattern: RegExp | ((err: unknown) => boolean)): void {
  const before = store.data.slice();
  const gradBefore = store.grad.slice();
  assert.ok(before.length > 0);
  assert.throws(fn, pattern);
  assert.deepEqual(store.data, before, 'parameters changed by a failing call');
  assert.deepEqual(store.grad, gradBefore, 'gradients changed by a failing call');
}

// ---------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------

interface LayerKind {
  name: 'LSTM' | 'GRU' | 'RNN';
  make: (o: RecurrentOptions & { projSize?: number }) => RecurrentLayer;
  hasCell: boolean;
}

const LAYERS: LayerKind[] = [
  { name: 'LSTM', make: (o) => new LSTM(o), hasCell: true },
  { name: 'GRU', make: (o) => new GRU(o), hasCell: false },
  { name: 'RNN', make: (o) => new RNN(o), hasCell: false },
];

// inputSize 3, hiddenSize 4, 2 layers × 2 directions: h0 is (4, B, 4), output (T, B, 8).
const T = 3;
const B = 2;
const I = 3;
const H = 4;
const LD = 4;
const BASE: RecurrentOptions = { inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 3 };

for (const kind of LAYERS) {
  const N = kind.name;
  const make = (extra: Partial<RecurrentOptions> = {}): RecurrentLayer => kind.make({ ...BASE, ...extra });
  const x = filled([T, B, I], 1);

  describe(`${N}: bad inputs`, () => {
    test(`${N}: input rank must be 2 or 3`, () => {
      const m = make();
      assert.equal(m.forward(x).output.shape.length, 3);
      assert.throws(() => m.forward(filled([T * B * I], 2)), msg(N, lit('expected input to be 2D (T, 3) or 3D (T, B, 3), got 1D instead')));
      assert.throws(() => m.forward(filled([1, T, B, I], 2)), msg(N, 'expected input to be 2D .* got 4D instead'));
      const bf = make({ batchFirst: true });
      assert.throws(() => bf.forward(filled([1, 1, 1, I], 2)), msg(N, lit('expected input to be 2D (T, 3) or 3D (B, T, 3), got 4D')));
    });

    test(`${N}: wrong feature size`, () => {
      const m = make();
      assert.throws(() => m.forward(filled([T, B, I + 2], 2)), msg(N, 'input\\.size\\(-1\\) must be equal to inputSize\\. Expected 3, got 5'));
      assert.throws(() => m.forward(filled([T, I - 1], 2)), msg(N, 'input\\.size\\(-1\\) must be equal to inputSize\\. Expected 3, got 2'));
    });

    test(`${N}: empty sequence or batch`, () => {
      const m = make();
      assert.throws(() => m.forward({ data: new Float32Array(0), shape: [0, B, I] }), msg(N, lit('input must have at least one time step and one sequence, got shape [0, 2, 3]')));
      assert.throws(() => m.forward({ data: new Float32Array(0), shape: [T, 0, I] }), msg(N, lit('input must have at least one time step and one sequence, got shape [3, 0, 3]')));
    });

    test(`${N}: h0 of the wrong batch size or layer count`, () => {
      const m = make();
      assert.deepEqual(m.forward(x, { h0: filled([LD, B, H], 4) }).hN.shape, [LD, B, H]);
      assert.throws(() => m.forward(x, { h0: filled([LD, B + 1, H], 4) }), msg(N, lit('expected h0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [4, 3, 4]')));
      assert.throws(() => m.forward(x, { h0: filled([2, B, H], 4) }), msg(N, lit('expected h0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [2, 2, 4]')));
      assert.throws(() => m.forward(x, { h0: filled([LD, H], 4) }), msg(N, lit('expected h0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [4, 4]')));
      // Unbatched input wants an unbatched h0.
      assert.throws(() => m.forward(filled([T, I], 1), { h0: filled([LD, 1, H], 4) }), msg(N, lit('expected h0 of shape (numLayers·D, hiddenSize) = [4, 4], got [4, 1, 4]')));
    });

    if (kind.hasCell) {
      test(`${N}: c0 of the wrong shape; h0 of projSize width`, () => {
        const m = make();
        assert.ok(m.forward(x, { c0: filled([LD, B, H], 5) }).cN);
        assert.throws(() => m.forward(x, { c0: filled([LD, B + 1, H], 5) }), msg(N, lit('expected c0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [4, 3, 4]')));
        assert.throws(() => m.forward(x, { c0: filled([2, B, H], 5) }), msg(N, lit('expected c0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [2, 2, 4]')));
        const p = new LSTM({ ...BASE, projSize: 2 });
        assert.deepEqual(p.forward(x, { h0: filled([LD, B, 2], 4), c0: filled([LD, B, H], 5) }).hN.shape, [LD, B, 2]);
        assert.throws(() => p.forward(x, { h0: filled([LD, B, H], 4) }), msg(N, lit('expected h0 of shape (numLayers·D, B, projSize) = [4, 2, 2], got [4, 2, 4]')));
        assert.throws(() => p.forward(x, { c0: filled([LD, B, 2], 4) }), msg(N, lit('expected c0 of shape (numLayers·D, B, hiddenSize) = [4, 2, 4], got [4, 2, 2]')));
      });
    } else {
      test(`${N}: c0 is rejected`, () => {
        const m = make();
        assert.throws(() => m.forward(x, { c0: filled([LD, B, H], 5) }), msg(N, 'c0 is only for LSTM'));
      });
    }

    test(`${N}: lengths out of range or of the wrong count`, () => {
      const m = make();
      assert.deepEqual(m.forward(x, { lengths: [T, 1] }).output.shape, [T, B, 2 * H]);
      assert.throws(() => m.forward(x, { lengths: [T] }), msg(N, 'expected 2 lengths \\(one per sequence\\), got 1'));
      assert.throws(() => m.forward(x, { lengths: [T, T, T] }), msg(N, 'expected 2 lengths \\(one per sequence\\), got 3'));
      assert.throws(() => m.forward(x, { lengths: [T, 0] }), msg(N, lit('lengths[1] = 0 is out of range; each length must be an integer in [1, 3] (the sequence length)')));
      assert.throws(() => m.forward(x, { lengths: [T + 1, T] }), msg(N, lit('lengths[0] = 4 is out of range; each length must be an integer in [1, 3]')));
      assert.throws(() => m.forward(x, { lengths: [1.5, T] }), msg(N, lit('lengths[0] = 1.5 is out of range; each length must be an integer in [1, 3]')));
      assert.throws(() => m.forward(x, { lengths: [T, -2] }), msg(N, lit('lengths[1] = -2 is out of range; each length must be an integer in [1, 3]')));
      assert.throws(() => m.forward(x, { lengths: [T, NaN] }), msg(N, lit('lengths[1] = NaN is out of range')));
      assert.throws(() => m.forward(x, { lengths: new Float64Array([2, 2.25]) }), msg(N, lit('lengths[1] = 2.25 is out of range')));
    });

    test(`${N}: NaN and Infinity in input and states`, () => {
      const m = make();
      assert.throws(() => m.forward(withValue(x, 7, NaN)), msg(N, lit('input contains a non-finite value (NaN) at flat index 7; inputs must be finite')));
      assert.throws(() => m.forward(withValue(x, 0, Infinity)), msg(N, lit('input contains a non-finite value (Infinity) at flat index 0')));
      assert.throws(() => m.forward(withValue(x, 17, -Infinity)), msg(N, lit('input contains a non-finite value (-Infinity) at flat index 17')));
      const h0 = filled([LD, B, H], 4);
      assert.throws(() => m.forward(x, { h0: withValue(h0, 3, NaN) }), msg(N, lit('h0 contains a non-finite value (NaN) at flat index 3')));
      assert.throws(() => m.forward(x, { h0: withValue(h0, 31, Infinity) }), msg(N, lit('h0 contains a non-finite value (Infinity) at flat index 31')));
      if (kind.hasCell) {
        const c0 = filled([LD, B, H], 5);
        assert.throws(() => m.forward(x, { c0: withValue(c0, 9, NaN) }), msg(N, lit('c0 contains a non-finite value (NaN) at flat index 9')));
        assert.throws(() => m.forward(x, { h0, c0: withValue(c0, 30, -Infinity) }), msg(N, lit('c0 contains a non-finite value (-Infinity) at flat index 30')));
      }
      // Float64 data into a float32 module is checked too.
      const x64: Tensor = { data: Float64Array.from(x.data), shape: x.shape };
      x64.data[4] = NaN;
      assert.throws(() => m.forward(x64), msg(N, lit('input contains a non-finite value (NaN) at flat index 4')));
    });

    test(`${N}: non-tensor input and data not filling the shape`, () => {
      const m = make();
      const notTensor = msg(N, lit('input must be a tensor { data: Float32Array | Float64Array, shape: number[] }'));
      assert.throws(() => m.forward([[1, 2, 3]] as unknown as Tensor), (e: unknown) => e instanceof TypeError && notTensor.test(String(e)));
      assert.throws(() => m.forward(null as unknown as Tensor), notTensor);
      assert.throws(() => m.forward(undefined as unknown as Tensor), notTensor);
      assert.throws(() => m.forward({ data: [1, 2, 3], shape: [1, 1, 3] } as unknown as Tensor), notTensor);
      assert.throws(() => m.forward({ data: new Float32Array(3) } as unknown as Tensor), notTensor);
      assert.throws(() => m.forward({ data: new Float32Array(17), shape: [T, B, I] }), msg(N, lit('input has 17 values but shape [3, 2, 3] needs 18')));
      assert.throws(() => m.forward({ data: new Float32Array(19), shape: [T, B, I] }), msg(N, lit('input has 19 values but shape [3, 2, 3] needs 18')));
      assert.throws(() => m.forward({ data: new Float32Array(18), shape: [T, -2, -I] }), msg(N, lit('input has an invalid shape [3, -2, -3]')));
      assert.throws(() => m.forward(x, { h0: { data: new Float32Array(5), shape: [LD, B, H] } }), msg(N, lit('h0 has 5 values but shape [4, 2, 4] needs 32')));
      assert.throws(() => m.forward(x, { h0: [0, 0] as unknown as Tensor }), msg(N, 'h0 must be a tensor'));
    });

    test(`${N}.backward: gradients of the wrong shape or non-finite leave grads untouched`, () => {
      const m = make();
      const { ctx } = m.forward(x);
      const dOut = filled([T, B, 2 * H], 6);
      const dhN = filled([LD, B, H], 7);
      const bw = `${N}.backward`;
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: filled([T, B, H], 6) }), msg(bw, lit('expected dOutput of shape (T, B, F) = [3, 2, 8], got [3, 2, 4]')));
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: filled([B, T, 2 * H], 6) }), msg(bw, lit('expected dOutput of shape (T, B, F) = [3, 2, 8], got [2, 3, 8]')));
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: dOut, dhN: filled([2, B, H], 7) }), msg(bw, lit('expected dhN of shape (numLayers·D, B, width) = [4, 2, 4], got [2, 2, 4]')));
      throwsUntouched(m.params, () => m.backward(ctx, { dhN: filled([LD, B + 1, H], 7) }), msg(bw, lit('expected dhN of shape (numLayers·D, B, width) = [4, 2, 4], got [4, 3, 4]')));
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: withValue(dOut, 5, NaN) }), msg(bw, lit('dOutput contains a non-finite value (NaN) at flat index 5; inputs must be finite')));
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: dOut, dhN: withValue(dhN, 2, Infinity) }), msg(bw, lit('dhN contains a non-finite value (Infinity) at flat index 2')));
      throwsUntouched(m.params, () => m.backward(ctx, { dOutput: { data: new Float32Array(3), shape: [T, B, 2 * H] } }), msg(bw, lit('dOutput has 3 values but shape [3, 2, 8] needs 48')));
      if (kind.hasCell) {
        throwsUntouched(m.params, () => m.backward(ctx, { dcN: filled([LD, B, H + 1], 8) }), msg(bw, lit('expected dcN of shape (numLayers·D, B, width) = [4, 2, 4], got [4, 2, 5]')));
      } else {
        throwsUntouched(m.params, () => m.backward(ctx, { dcN: filled([LD, B, H], 8) }), msg(bw, 'dcN is only for LSTM'));
      }
      // The same ctx still works afterwards, and accumulates gradients.
      const g = m.backward(ctx, { dOutput: dOut, dhN });
      assert.deepEqual(g.dInput.shape, [T, B, I]);
      assert.ok(m.params.grad.some((v) => v !== 0));
    });

    test(`${N}.backward: a ctx from a different module configuration`, () => {
      const m = make();
      const dOut = filled([T, B, 2 * H], 6);
      const bw = `${N}.backward`;
      const foreign = msg(bw, 'ctx does not come from a forward call of this module');
      const fromOther = (o: Partial<RecurrentOptions>) => make(o).forward(o.inputSize === undefined ? x : filled([T, B, o.inputSize], 1)).ctx;
      throwsUntouched(m.params, () => m.backward(fromOther({ numLayers: 1 }), { dOutput: dOut }), foreign);
      throwsUntouched(m.params, () => m.backward(fromOther({ bidirectional: false, numLayers: 4 }), { dOutput: dOut }), foreign);
      throwsUntouched(m.params, () => m.backward(fromOther({ hiddenSize: 5 }), { dOutput: dOut }), msg(bw, 'ctx does not come from a forward call of this module .*hiddenSize 5, expected 4'));
      throwsUntouched(m.params, () => m.backward(fromOther({ inputSize: 5 }), { dOutput: dOut }), msg(bw, 'ctx does not come from a forward call of this module .*input size 5, expected 3'));
      throwsUntouched(m.params, () => m.backward(make({ bias: false }).forward(x).ctx, { dOutput: dOut }), foreign);
      const otherKind = LAYERS.find((k) => k.name !== N) as LayerKind;
      throwsUntouched(m.params, () => m.backward(otherKind.make(BASE).forward(x).ctx, { dOutput: dOut }), msg(bw, `ctx does not come from a forward call of this module .*${otherKind.name}.* expected ${N}`));
      if (N === 'RNN') {
        const relu = new RNN({ ...BASE, nonlinearity: 'relu' }).forward(x).ctx;
        throwsUntouched(m.params, () => m.backward(relu, { dOutput: dOut }), msg(bw, 'ctx does not come from a forward call of this module \\(scan 0 is RNN with another nonlinearity, expected RNN\\)'));
      }
      throwsUntouched(m.params, () => m.backward(null as unknown as never), msg(bw, 'ctx must be the ctx returned by forward'));
      throwsUntouched(m.params, () => m.backward({} as unknown as never), msg(bw, 'ctx must be the ctx returned by forward'));
    });

    test(`${N}: constructor rejects bad options`, () => {
      assert.throws(() => make({ hiddenSize: 0 }), msg(N, 'hiddenSize must be a positive integer, got 0'));
      assert.throws(() => make({ inputSize: -1 }), msg(N, 'inputSize must be a positive integer, got -1'));
      assert.throws(() => make({ numLayers: 1.5 }), msg(N, 'numLayers must be a positive integer, got 1\\.5'));
      assert.throws(() => make({ numLayers: 0 }), msg(N, 'numLayers must be a positive integer, got 0'));
      assert.throws(() => make({ dropout: 1.5 }), msg(N, lit('dropout must be a probability in [0, 1], got 1.5')));
      assert.throws(() => make({ dropout: -0.1 }), msg(N, lit('dropout must be a probability in [0, 1], got -0.1')));
      assert.throws(() => make({ dropout: NaN }), msg(N, lit('dropout must be a probability in [0, 1], got NaN')));
      assert.throws(() => make({ hiddenSize: '4' as unknown as number }), msg(N, 'hiddenSize must be a positive integer, got 4'));
      assert.doesNotThrow(() => make({ dropout: 1 }));
    });
  });
}

test('LSTM: projSize must be an integer in [0, hiddenSize)', () => {
  assert.equal(new LSTM({ ...BASE, projSize: 3 }).outputSize, 3);
  assert.throws(() => new LSTM({ ...BASE, projSize: 4 }), /^Error: LSTM: projSize \(4\) must be smaller than hiddenSize \(4\)/);
  assert.throws(() => new LSTM({ ...BASE, projSize: 9 }), /^Error: LSTM: projSize \(9\) must be smaller than hiddenSize \(4\)/);
  assert.throws(() => new LSTM({ ...BASE, projSize: -1 }), /^Error: LSTM: projSize must be a non-negative integer, got -1/);
  assert.throws(() => new LSTM({ ...BASE, projSize: 1.5 }), /^Error: LSTM: projSize must be a non-negative integer, got 1\.5/);
});

test('GRU and GRUCell: resetAfter is true (the default) or false; the context of one form is refused by the other', () => {
  const cell = { inputSize: I, hiddenSize: H };
  assert.equal(new GRU(BASE).resetAfter, true);
  assert.equal(new GRUCell({ ...cell, resetAfter: false }).resetAfter, false);
  for (const [bad, shown] of [[0, '0'], ['false', 'false']] as const) {
    assert.throws(() => new GRU({ ...BASE, resetAfter: bad as unknown as boolean }), new RegExp(`^Error: GRU: resetAfter must be true or false, got ${shown}$`));
    assert.throws(() => new GRUCell({ ...cell, resetAfter: bad as unknown as boolean }), new RegExp(`^Error: GRUCell: resetAfter must be true or false, got ${shown}$`));
  }
  assert.throws(() => new GRU({ ...BASE, reset_after: false } as unknown as GRUOptions), /^Error: GRU: unknown option 'reset_after' \(did you mean 'resetAfter'\?\)/);
  assert.throws(() => new LSTM({ ...BASE, resetAfter: false } as unknown as LSTMOptions), /^Error: LSTM: unknown option 'resetAfter'/);
  const x = filled([2, 3, I], 0.5);
  const before = new GRU({ ...BASE, resetAfter: false, seed: 1 });
  const after = new GRU({ ...BASE, seed: 1 });
  throwsUntouched(before.params, () => before.backward(after.forward(x).ctx, {}), /GRU\.backward: ctx does not come from a forward call of this module \(scan 0 is GRU with the reset gate elsewhere, expected GRU\)/);
  const c = new GRUCell({ ...cell, resetAfter: false });
  assert.throws(() => c.backward(new GRUCell(cell).forward(filled([2, I], 0.5)).ctx, {}), /GRUCell\.backward: ctx does not come from a forward call of this module \(it is GRU with the reset gate elsewhere, expected GRU\)/);
});

test('LSTM and LSTMCell: peepholes are true or false (default false); weight_peep is (3, H) per layer and direction', () => {
  const cell = { inputSize: I, hiddenSize: H };
  assert.equal(new LSTM(BASE).peepholes, false);
  assert.deepEqual(Object.keys(new LSTM(BASE).stateDict()).filter((n) => n.startsWith('weight_peep')), []);
  const lstm = new LSTM({ ...BASE, numLayers: 2, bidirectional: true, peepholes: true });
  const peeps = Object.entries(lstm.stateDict()).filter(([n]) => n.startsWith('weight_peep'));
  assert.deepEqual(peeps.map(([n, v]) => [n, v.shape]), [
    ['weight_peep_l0', [3, H]], ['weight_peep_l0_reverse', [3, H]], ['weight_peep_l1', [3, H]], ['weight_peep_l1_reverse', [3, H]],
  ]);
  assert.deepEqual(new LSTMCell({ ...cell, peepholes: true }).params.value('weight_peep').shape, [3, H]);
  for (const [bad, shown] of [[1, '1'], ['yes', 'yes']] as const) {
    assert.throws(() => new LSTM({ ...BASE, peepholes: bad as unknown as boolean }), new RegExp(`^Error: LSTM: peepholes must be true or false, got ${shown}$`));
    assert.throws(() => new LSTMCell({ ...cell, peepholes: bad as unknown as boolean }), new RegExp(`^Error: LSTMCell: peepholes must be true or false, got ${shown}$`));
  }
  assert.throws(() => new GRU({ ...BASE, peepholes: true } as unknown as GRUOptions), /^Error: GRU: unknown option 'peepholes'/);
  const x = filled([2, 3, I], 0.5);
  const plain = new LSTM({ ...BASE, seed: 1 });
  const peep = new LSTM({ ...BASE, peepholes: true, seed: 1 });
  throwsUntouched(peep.params, () => peep.backward(plain.forward(x).ctx, {}), /LSTM\.backward: ctx does not come from a forward call of this module \(scan 0 uses other parameters \(bias, peepholes or prefix differ\)\)/);
});

test("RNN: nonlinearity must be 'tanh', 'relu' or 'leaky_relu'", () => {
  assert.equal(new RNN({ ...BASE, nonlinearity: 'relu' }).nonlinearity, 'relu');
  assert.throws(() => new RNN({ ...BASE, nonlinearity: 'sigmoid' as unknown as 'tanh' }), /^Error: RNN: nonlinearity must be 'tanh', 'relu' or 'leaky_relu', got 'sigmoid'/);
});

test('RNN and RNNCell: negativeSlope must be a finite number in [0, 1), and only with leaky_relu', () => {
  const cell = { inputSize: I, hiddenSize: H };
  assert.equal(new RNN({ ...BASE, nonlinearity: 'leaky_relu' }).negativeSlope, 0.01, 'default as in torch.nn.LeakyReLU');
  assert.equal(new RNNCell({ ...cell, nonlinearity: 'leaky_relu', negativeSlope: 0 }).negativeSlope, 0);
  for (const [bad, shown] of [[-1, '-1'], [1, '1'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['x', "'x'"]] as const) {
    const message = (m: string): RegExp => new RegExp(`^Error: ${m}: negativeSlope must be a finite number in \\[0, 1\\), got ${shown}$`);
    assert.throws(() => new RNN({ ...BASE, nonlinearity: 'leaky_relu', negativeSlope: bad as number }), message('RNN'));
    assert.throws(() => new RNNCell({ ...cell, nonlinearity: 'leaky_relu', negativeSlope: bad as number }), message('RNNCell'));
  }
  assert.throws(() => new RNN({ ...BASE, negativeSlope: 0.1 }), /^Error: RNN: negativeSlope is only for nonlinearity 'leaky_relu', got nonlinearity 'tanh'$/);
  assert.throws(() => new RNNCell({ ...cell, nonlinearity: 'relu', negativeSlope: 0.1 }), /^Error: RNNCell: negativeSlope is only for nonlinearity 'leaky_relu', got nonlinearity 'relu'$/);
});

// ---------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------

interface CellKindCase {
  name: 'LSTMCell' | 'GRUCell' | 'RNNCell';
  make: (o: { inputSize: number; hiddenSize: number; bias?: boolean }) => CellModule;
  hasCell: boolean;
}

const CELLS: CellKindCase[] = [
  { name: 'LSTMCell', make: (o) => new LSTMCell(o), hasCell: true },
  { name: 'GRUCell', make: (o) => new GRUCell(o), hasCell: false },
  { name: 'RNNCell', make: (o) => new RNNCell(o), hasCell: false },
];

for (const kind of CELLS) {
  const N = kind.name;
  describe(`${N}: bad inputs`, () => {
    const cell = kind.make({ inputSize: I, hiddenSize: H });
    const x = filled([B, I], 1);

    test(`${N}: input rank and size`, () => {
      assert.deepEqual(cell.forward(x).h.shape, [B, H]);
      assert.deepEqual(cell.forward(filled([I], 1)).h.shape, [H]);
      assert.throws(() => cell.forward(filled([1, B, I], 1)), msg(N, 'Expected input to be 1D or 2D, got 3D instead'));
      assert.throws(() => cell.forward(filled([B, I + 1], 1)), msg(N, lit('expected input of shape (B, inputSize) = [2, 3], got [2, 4]')));
      assert.throws(() => cell.forward(filled([I + 1], 1)), msg(N, lit('expected input of shape (inputSize) = [3], got [4]')));
      assert.throws(() => cell.forward(null as unknown as Tensor), msg(N, 'input must be a tensor'));
    });

    test(`${N}: wrong h0 (and c0) shape`, () => {
      assert.throws(() => cell.forward(x, { h0: filled([B + 1, H], 2) }), msg(N, lit('expected h0 of shape (B, hiddenSize) = [2, 4], got [3, 4]')));
      assert.throws(() => cell.forward(x, { h0: filled([1, B, H], 2) }), msg(N, lit('expected h0 of shape (B, hiddenSize) = [2, 4], got [1, 2, 4]')));
      assert.throws(() => cell.forward(filled([I], 1), { h0: filled([1, H], 2) }), msg(N, lit('expected h0 of shape (hiddenSize) = [4], got [1, 4]')));
      if (kind.hasCell) {
        assert.throws(() => cell.forward(x, { c0: filled([B, H - 1], 2) }), msg(N, lit('expected c0 of shape (B, hiddenSize) = [2, 4], got [2, 3]')));
      } else {
        assert.throws(() => cell.forward(x, { c0: filled([B, H], 2) }), msg(N, 'c0 is only for LSTMCell'));
      }
    });

    test(`${N}: NaN and Infinity`, () => {
      assert.throws(() => cell.forward(withValue(x, 4, NaN)), msg(N, lit('input contains a non-finite value (NaN) at flat index 4')));
      assert.throws(() => cell.forward(x, { h0: withValue(filled([B, H], 2), 6, Infinity) }), msg(N, lit('h0 contains a non-finite value (Infinity) at flat index 6')));
      if (kind.hasCell) {
        assert.throws(() => cell.forward(x, { c0: withValue(filled([B, H], 2), 1, NaN) }), msg(N, lit('c0 contains a non-finite value (NaN) at flat index 1')));
      }
    });

    test(`${N}.backward: bad gradients and a foreign ctx leave grads untouched`, () => {
      const c = kind.make({ inputSize: I, hiddenSize: H });
      const { ctx } = c.forward(x);
      const bw = `${N}.backward`;
      throwsUntouched(c.params, () => c.backward(ctx, { dh: filled([B, H + 1], 3) }), msg(bw, lit('expected dh of shape (B, hiddenSize) = [2, 4], got [2, 5]')));
      throwsUntouched(c.params, () => c.backward(ctx, { dh: withValue(filled([B, H], 3), 0, NaN) }), msg(bw, lit('dh contains a non-finite value (NaN) at flat index 0')));
      const other = kind.make({ inputSize: I, hiddenSize: H + 1 }).forward(x).ctx;
      throwsUntouched(c.params, () => c.backward(other, { dh: filled([B, H + 1], 3) }), msg(bw, 'ctx does not come from a forward call of this module .*hiddenSize 5, expected 4'));
      const otherKind = CELLS.find((k) => k.name !== N) as CellKindCase;
      throwsUntouched(c.params, () => c.backward(otherKind.make({ inputSize: I, hiddenSize: H }).forward(x).ctx, { dh: filled([B, H], 3) }), msg(bw, 'ctx does not come from a forward call of this module'));
      throwsUntouched(c.params, () => c.backward(null as unknown as never), msg(bw, 'ctx must be the ctx returned by forward'));
      c.backward(ctx, { dh: filled([B, H], 3) });
      assert.ok(c.params.grad.some((v) => v !== 0));
    });

    test(`${N}: constructor rejects bad sizes`, () => {
      assert.throws(() => kind.make({ inputSize: I, hiddenSize: 0 }), msg(N, 'hiddenSize must be a positive integer, got 0'));
      assert.throws(() => kind.make({ inputSize: 2.5, hiddenSize: H }), msg(N, 'inputSize must be a positive integer, got 2\\.5'));
    });
  });
}

// ---------------------------------------------------------------------------
// State dicts
// ---------------------------------------------------------------------------

describe('loadStateDict: bad dicts are rejected whole', () => {
  const OPTS = { inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true };
  /** A complete, valid dict with values different from a seed-0 model's. */
  const donor = (): Record<string, Tensor> => copyState(new LSTM({ ...OPTS, seed: 99 }).stateDict());

  test('a valid dict loads every value (the baseline the failures are measured against)', () => {
    const m = new LSTM(OPTS);
    const d = donor();
    assert.notDeepEqual(m.stateDict()['weight_ih_l0']?.data, d['weight_ih_l0']?.data);
    m.loadStateDict(d);
    for (const [k, v] of Object.entries(d)) assert.deepEqual(m.stateDict()[k]?.data, v.data, k);
    // Plain arrays are accepted as data too.
    const plain: Record<string, TensorLike> = {};
    for (const [k, v] of Object.entries(copyState(m.stateDict()))) plain[k] = { data: Array.from(v.data, (e) => e / 2), shape: v.shape };
    m.loadStateDict(plain);
    assert.equal(m.stateDict()['bias_hh_l1']?.data[3], (d['bias_hh_l1']?.data[3] as number) / 2);
  });

  test('missing key: listed, nothing written', () => {
    const m = new LSTM(OPTS);
    const d = donor();
    delete d['weight_hh_l1_reverse'];
    delete d['bias_ih_l0'];
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: missing keys: bias_ih_l0, weight_hh_l1_reverse$/);
    throwsUntouched(m.params, () => m.loadStateDict({}), /^Error: LSTM\.loadStateDict: missing keys: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l0_reverse, /);
    throwsUntouched(m.params, () => m.loadStateDict(null as unknown as Record<string, Tensor>), /^TypeError: LSTM\.loadStateDict: expected an object or Map of tensors, got null$/);
  });

  test('unexpected key: listed, nothing written', () => {
    const m = new LSTM(OPTS);
    const d = donor();
    d['weight_hr_l0'] = filled([2, H], 1);
    d['module.weight_ih_l0'] = filled([4 * H, I], 1);
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: unexpected keys: weight_hr_l0, module\.weight_ih_l0$/);
  });

  test('mis-shaped key: names the shape expected and got, nothing written', () => {
    const m = new LSTM(OPTS);
    const d = donor();
    d['weight_ih_l1'] = filled([4 * H, I], 1); // layer 1 takes 2·H = 8 features
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: 'weight_ih_l1' has shape \[16, 3\], expected \[16, 8\]$/);
    d['weight_ih_l1'] = { data: new Float32Array(5), shape: [16, 8] };
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: 'weight_ih_l1' has 5 values for shape \[16, 8\]$/);
    d['weight_ih_l1'] = { data: new Float32Array(128).fill(0.5), shape: [128] };
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: 'weight_ih_l1' has shape \[128\], expected \[16, 8\]$/);
    d['weight_ih_l1'] = [1, 2] as unknown as Tensor;
    throwsUntouched(m.params, () => m.loadStateDict(d), /^Error: LSTM\.loadStateDict: 'weight_ih_l1' is not a tensor \(\{ data, shape \}\)$/);
  });

  test('non-finite value: names key and index; the keys before it are not written either', () => {
    const m = new GRU(OPTS);
    const d = copyState(new GRU({ ...OPTS, seed: 5 }).stateDict());
    // Every key is valid except the last one in iteration order.
    const keys = Object.keys(d);
    const last = keys[keys.length - 1] as string;
    d[last] = withValue(d[last] as Tensor, 2, NaN);
    throwsUntouched(m.params, () => m.loadStateDict(d), new RegExp(`^Error: GRU\\.loadStateDict: '${last}' holds a non-finite value \\(NaN\\) at flat index 2$`));
    d[last] = withValue(d[last] as Tensor, 2, -Infinity);
    throwsUntouched(m.params, () => m.loadStateDict(d), new RegExp(`^Error: GRU\\.loadStateDict: '${last}' holds a non-finite value \\(-Infinity\\) at flat index 2$`));
    const plain = { ...d, [last]: { data: Array.from((d[last] as Tensor).data, () => 'x'), shape: (d[last] as Tensor).shape } };
    throwsUntouched(m.params, () => m.loadStateDict(plain as unknown as Record<string, TensorLike>), new RegExp(`^Error: GRU\\.loadStateDict: '${last}' holds a non-finite value \\(x\\) at flat index 0$`));
  });

  test('several problems are reported together, nothing written (Map input)', () => {
    const m = new RNN(OPTS);
    const d = new Map(Object.entries(copyState(new RNN({ ...OPTS, seed: 8 }).stateDict())));
    d.delete('bias_hh_l0');
    d.set('extra', filled([1], 1));
    d.set('weight_hh_l0', filled([H, H + 1], 1));
    d.set('bias_ih_l1', withValue(d.get('bias_ih_l1') as Tensor, 0, NaN));
    throwsUntouched(
      m.params,
      () => m.loadStateDict(d),
      /^Error: RNN\.loadStateDict: missing keys: bias_hh_l0; unexpected keys: extra; 'weight_hh_l0' has shape \[4, 5\], expected \[4, 4\]; 'bias_ih_l1' holds a non-finite value \(NaN\) at flat index 0$/,
    );
  });

  test('cells: same checks, same all-or-nothing', () => {
    const c = new LSTMCell({ inputSize: I, hiddenSize: H });
    const d = copyState(new LSTMCell({ inputSize: I, hiddenSize: H, seed: 4 }).stateDict());
    d['weight_hh'] = filled([4 * H, H + 1], 1);
    throwsUntouched(c.params, () => c.loadStateDict(d), /^Error: LSTMCell\.loadStateDict: 'weight_hh' has shape \[16, 5\], expected \[16, 4\]$/);
    delete d['weight_hh'];
    throwsUntouched(c.params, () => c.loadStateDict(d), /^Error: LSTMCell\.loadStateDict: missing keys: weight_hh$/);
  });

  test('shared store with prefixes: each module loads only its own keys', () => {
    const store = new ParameterStore('float32', 'Model');
    const enc = new LSTM({ ...OPTS, params: store, prefix: 'enc.' });
    const dec = new GRU({ inputSize: 2 * H, hiddenSize: H, params: store, prefix: 'dec.' });
    const head = new RNNCell({ inputSize: H, hiddenSize: 2, params: store, prefix: 'head.' });
    assert.deepEqual(Object.keys(enc.stateDict()), Object.keys(new LSTM(OPTS).stateDict()));
    assert.deepEqual(Object.keys(dec.stateDict()).sort(), ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']);

    const slice = (names: readonly string[]): number[] => names.flatMap((n) => [...store.value(n).data]);
    const decBefore = slice(dec.parameterNames);
    const headBefore = slice(head.parameterNames);
    const d = donor();
    enc.loadStateDict(d);
    for (const [k, v] of Object.entries(d)) assert.deepEqual(store.value(`enc.${k}`).data, v.data, k);
    assert.deepEqual(slice(dec.parameterNames), decBefore, 'dec changed by enc.loadStateDict');
    assert.deepEqual(slice(head.parameterNames), headBefore, 'head changed by enc.loadStateDict');

    // Another module's keys, with or without its prefix, are unexpected here.
    const decDict = copyState(dec.stateDict());
    throwsUntouched(store, () => enc.loadStateDict({ ...d, ...copyState(head.stateDict()) }), /^Error: LSTM\.loadStateDict: unexpected keys: weight_ih, weight_hh, bias_ih, bias_hh$/);
    throwsUntouched(store, () => enc.loadStateDict({ ...d, 'dec.weight_ih_l0': decDict['weight_ih_l0'] as Tensor }), /^Error: LSTM\.loadStateDict: unexpected keys: dec\.weight_ih_l0$/);
    // The GRU's same-named weights do not fit the LSTM; shapes are named under the module's own keys.
    throwsUntouched(store, () => enc.loadStateDict({ ...d, ...decDict }), /^Error: LSTM\.loadStateDict: 'weight_ih_l0' has shape \[12, 8\], expected \[16, 3\]; 'weight_hh_l0' has shape \[12, 4\], expected \[16, 4\]; 'bias_ih_l0' has shape \[12\], expected \[16\]; 'bias_hh_l0' has shape \[12\], expected \[16\]$/);
    // Missing keys are reported without the prefix; only the module's own keys are required.
    const partial = copyState(dec.stateDict());
    delete partial['bias_ih_l0'];
    throwsUntouched(store, () => dec.loadStateDict(partial), /^Error: GRU\.loadStateDict: missing keys: bias_ih_l0$/);
    partial['bias_ih_l0'] = filled([2], 1);
    throwsUntouched(store, () => dec.loadStateDict(partial), /^Error: GRU\.loadStateDict: 'bias_ih_l0' has shape \[2\], expected \[12\]$/);
    const headDict = copyState(head.stateDict());
    (headDict['weight_ih'] as Tensor).data.fill(0.25);
    head.loadStateDict(headDict);
    assert.ok(store.value('head.weight_ih').data.every((v) => v === 0.25));
    assert.deepEqual(slice(dec.parameterNames), decBefore);
  });

  test('shared store: a module without prefix does not claim the prefixed modules\' keys', () => {
    const store = new ParameterStore('float32', 'Model');
    const main = new LSTM({ ...OPTS, params: store });
    const aux = new GRU({ inputSize: I, hiddenSize: 2, params: store, prefix: 'aux.' });
    assert.deepEqual(Object.keys(main.stateDict()), Object.keys(new LSTM(OPTS).stateDict()));
    const auxBefore = aux.parameterNames.flatMap((n) => [...store.value(n).data]);
    const d = donor();
    main.loadStateDict(d);
    assert.deepEqual(store.value('weight_hh_l1').data, d['weight_hh_l1']?.data);
    assert.deepEqual(aux.parameterNames.flatMap((n) => [...store.value(n).data]), auxBefore);
    throwsUntouched(store, () => main.loadStateDict({ ...d, 'aux.weight_ih_l0': filled([6, I], 1) }), /^Error: LSTM\.loadStateDict: unexpected keys: aux\.weight_ih_l0$/);
  });
});

// ---------------------------------------------------------------------------
// Safetensors into a model
// ---------------------------------------------------------------------------

interface SafetensorsFixture {
  module: { inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; projSize: number; bias: boolean; batchFirst: boolean };
  stateDict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
  hN: FixtureTensor;
  cN: FixtureTensor;
}

describe('safetensors into a model', () => {
  const bytes = new Uint8Array(readFileSync(fixturePath('torch_lstm.safetensors')));
  const fixture = loadFixture<SafetensorsFixture>('torch_safetensors.json');
  const model = (): LSTM => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2 });
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const dataLength = bytes.length - 8 - headerLength;

  /** Asserts loading `image` into a fresh model fails with a SafetensorsError matching `pattern`, and changes nothing. */
  const rejects = (image: Uint8Array, pattern: RegExp): void => {
    const m = model();
    throwsUntouched(m.params, () => m.loadStateDict(parseSafetensors(image).tensors), (err: unknown) => {
      assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    });
  };

  test('the valid file loads and reproduces torch\'s forward (float32, rtol 1e-5)', () => {
    assert.equal(headerLength, 1512);
    assert.equal(dataLength, 2048);
    const m = model();
    const { tensors, metadata } = parseSafetensors(bytes);
    assert.deepEqual(metadata, { format: 'pt' });
    m.loadStateDict(tensors);
    for (const [k, v] of Object.entries(fixture.stateDict)) assertClose(m.stateDict()[k] as Tensor, v, 1e-7, k);
    const out = m.forward(toTensor(fixture.input, 'float32'));
    assertClose(out.output, fixture.output, 1e-5, 'output');
    assertClose(out.hN, fixture.hN, 1e-5, 'hN');
    assertClose(out.cN as Tensor, fixture.cN, 1e-5, 'cN');
  });

  test('truncated copies throw SafetensorsError and load nothing', () => {
    rejects(bytes.slice(0, 4), /^safetensors: file is 4 bytes, shorter than the 8-byte header length prefix$/);
    rejects(bytes.slice(0, 8), /^safetensors: header length 1512 runs past the end of the file \(8 bytes\)$/);
    rejects(bytes.slice(0, 100), /^safetensors: header length 1512 runs past the end of the file \(100 bytes\)$/);
    rejects(bytes.slice(0, 8 + headerLength), /^safetensors: tensor "bias_hh_l0": data_offsets end 64 runs past the end of the data buffer \(0 bytes\)$/);
    rejects(bytes.slice(0, bytes.length - 1), /^safetensors: tensor "weight_ih_l1_reverse": data_offsets end 2048 runs past the end of the data buffer \(2047 bytes\)$/);
    rejects(new Uint8Array(0), /^safetensors: file is 0 bytes/);
  });

  test('a header length field past the end throws SafetensorsError', () => {
    const patched = bytes.slice();
    new DataView(patched.buffer).setBigUint64(0, BigInt(bytes.length), true);
    rejects(patched, /^safetensors: header length 3568 runs past the end of the file \(3568 bytes\)$/);
    new DataView(patched.buffer).setBigUint64(0, 1n << 40n, true);
    rejects(patched, /^safetensors: header length 1099511627776 exceeds the 100 MB limit \(file is 3568 bytes\)$/);
    // Shorter than the real header: the JSON is cut.
    new DataView(patched.buffer).setBigUint64(0, 100n, true);
    rejects(patched, /^safetensors: header is not valid JSON/);
  });

  test('damaged header JSON throws SafetensorsError', () => {
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    const colon = text.indexOf(':', text.indexOf('"bias_hh_l0"'));
    const broken = bytes.slice();
    broken[8 + colon] = 0x3b; // ':' → ';'
    rejects(broken, /^safetensors: header is not valid JSON: /);
    const binary = bytes.slice();
    binary.fill(0xff, 8 + 40, 8 + 44);
    rejects(binary, /^safetensors: header \(1512 bytes\) is not valid UTF-8$/);
    const notObject = bytes.slice();
    notObject.set(new TextEncoder().encode('[1]'.padEnd(headerLength, ' ')), 8);
    rejects(notObject, /^safetensors: header must be a JSON object, found \[1\]$/);
  });

  test('a data_offsets end beyond the buffer throws SafetensorsError', () => {
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    const at = text.indexOf('[1792,2048]');
    assert.ok(at > 0);
    const patched = bytes.slice();
    patched.set(new TextEncoder().encode('[1792,9048]'), 8 + at);
    rejects(patched, /^safetensors: tensor "weight_ih_l1_reverse": data_offsets end 9048 runs past the end of the data buffer \(2048 bytes\)$/);
    const shrunk = bytes.slice();
    shrunk.set(new TextEncoder().encode('[1792,2044]'), 8 + at);
    rejects(shrunk, /^safetensors: tensor "weight_ih_l1_reverse": F32 shape \[16, 4\] needs 256 bytes \(64 × 4\), but data_offsets \[1792, 2044\] span 252 bytes$/);
  });

  test('a well-formed file with a NaN in its last tensor loads nothing', () => {
    const patched = bytes.slice();
    // The last 4 bytes are the last element of weight_ih_l1_reverse, the last key in header order.
    new DataView(patched.buffer).setFloat32(patched.length - 4, NaN, true);
    const { tensors } = parseSafetensors(patched);
    assert.equal([...tensors.keys()].at(-1), 'weight_ih_l1_reverse');
    const m = model();
    throwsUntouched(m.params, () => m.loadStateDict(tensors), /^Error: LSTM\.loadStateDict: 'weight_ih_l1_reverse' holds a non-finite value \(NaN\) at flat index 63$/);
  });

  test('the file into a model of another configuration loads nothing', () => {
    const { tensors } = parseSafetensors(bytes);
    const noProj = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    throwsUntouched(noProj.params, () => noProj.loadStateDict(tensors), /^Error: LSTM\.loadStateDict: unexpected keys: weight_hr_l0, weight_hr_l0_reverse, weight_hr_l1, weight_hr_l1_reverse; 'weight_hh_l0' has shape \[16, 2\], expected \[16, 4\]/);
    const oneWay = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, projSize: 2 });
    throwsUntouched(oneWay.params, () => oneWay.loadStateDict(tensors), /^Error: LSTM\.loadStateDict: unexpected keys: bias_hh_l0_reverse, bias_hh_l1_reverse, .*; 'weight_ih_l1' has shape \[16, 4\], expected \[16, 2\]$/);
  });
});
