/**
 * Options typed by mistake are errors that name the key and the closest valid
 * one; modules built without a seed start different from each other yet
 * reproducibly (the default generator, as `torch.manual_seed`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedding, GRU, GRUCell, Linear, LSTM, LSTMCell, manualSeed, ParameterStore, RNN, RNNCell } from '../src/index.js';

describe('unknown option keys', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['a misspelt key', () => new LSTM({ inputSize: 4, hiddenSize: 8, bidirectonal: true } as never), /^Error: LSTM: unknown option 'bidirectonal' \(did you mean 'bidirectional'\?\)/],
    ['a snake_case key', () => new LSTM({ inputSize: 4, hiddenSize: 8, num_layers: 3 } as never), /LSTM: unknown option 'num_layers' \(did you mean 'numLayers'\?\)/],
    ['PyTorch spelling of batchFirst', () => new GRU({ inputSize: 4, hiddenSize: 8, batch_first: true } as never), /GRU: unknown option 'batch_first' \(did you mean 'batchFirst'\?\)/],
    ['an option of another layer', () => new GRU({ inputSize: 4, hiddenSize: 8, projSize: 2 } as never), /GRU: unknown option 'projSize'/],
    ['Keras spelling of resetAfter', () => new GRUCell({ inputSize: 4, hiddenSize: 8, reset_after: false } as never), /GRUCell: unknown option 'reset_after' \(did you mean 'resetAfter'\?\)/],
    ['a key with no near match', () => new RNN({ inputSize: 4, hiddenSize: 8, zzz: 1 } as never), /RNN: unknown option 'zzz'; valid options: inputSize, hiddenSize/],
    ['a cell', () => new LSTMCell({ inputSize: 4, hidden_size: 8 } as never), /LSTMCell: unknown option 'hidden_size' \(did you mean 'hiddenSize'\?\)/],
    ['RNNCell', () => new RNNCell({ inputSize: 4, hiddenSize: 8, nonlinerity: 'relu' } as never), /RNNCell: unknown option 'nonlinerity' \(did you mean 'nonlinearity'\?\)/],
    ['Linear', () => new Linear({ inFeatures: 4, outFeatures: 2, in_features: 4 } as never), /Linear: unknown option 'in_features' \(did you mean 'inFeatures'\?\)/],
    ['Embedding', () => new Embedding({ numEmbeddings: 4, embeddingDim: 2, padding_idx: 0 } as never), /Embedding: unknown option 'padding_idx' \(did you mean 'paddingIdx'\?\)/],
  ];
  for (const [name, build, message] of cases) {
    test(name, () => assert.throws(build, (e: Error) => message.test(String(e))));
  }
  test('keys whose value is undefined are still checked', () => {
    assert.throws(() => new LSTM({ inputSize: 4, hiddenSize: 8, dropuot: undefined } as never), /unknown option 'dropuot' \(did you mean 'dropout'\?\)/);
  });
  test('every documented option is accepted', () => {
    const lstm = new LSTM({ inputSize: 4, hiddenSize: 8, numLayers: 2, bias: true, batchFirst: true, dropout: 0.1, bidirectional: true, projSize: 3, peepholes: true, seed: 1, dtype: 'float64' });
    assert.equal(lstm.outputSize, 3);
    assert.equal(lstm.peepholes, true);
    assert.equal(new LSTMCell({ inputSize: 4, hiddenSize: 8, peepholes: true }).peepholes, true);
    assert.equal(new GRU({ inputSize: 4, hiddenSize: 8, resetAfter: false }).resetAfter, false);
    assert.equal(new GRUCell({ inputSize: 4, hiddenSize: 8, resetAfter: false }).resetAfter, false);
    const rnn = new RNN({ inputSize: 4, hiddenSize: 8, nonlinearity: 'relu', prefix: 'rnn.', params: new ParameterStore('float32') });
    assert.equal(rnn.nonlinearity, 'relu');
    assert.equal(new RNN({ inputSize: 4, hiddenSize: 8, nonlinearity: 'leaky_relu', negativeSlope: 0.2 }).negativeSlope, 0.2);
    assert.equal(new RNNCell({ inputSize: 4, hiddenSize: 8, nonlinearity: 'leaky_relu', negativeSlope: 0.2 }).negativeSlope, 0.2);
    assert.equal(new GRUCell({ inputSize: 2, hiddenSize: 3, bias: false }).bias, false);
  });
});

describe('seeds', () => {
  const weights = (m: { params: ParameterStore }): number[] => Array.from(m.params.data);

  test('two same-shaped layers built without a seed start different', () => {
    const a = new LSTM({ inputSize: 3, hiddenSize: 5 });
    const b = new LSTM({ inputSize: 3, hiddenSize: 5 });
    assert.notEqual(a.seed, b.seed);
    const wa = weights(a);
    const wb = weights(b);
    assert.equal(wa.length, wb.length);
    assert.ok(wa.filter((v, i) => v !== wb[i]).length > wa.length * 0.99, 'weights should differ almost everywhere');
  });

  test('two layers in one store without seeds start different', () => {
    const params = new ParameterStore('float32');
    new GRU({ inputSize: 3, hiddenSize: 4, params, prefix: 'a.' });
    new GRU({ inputSize: 3, hiddenSize: 4, params, prefix: 'b.' });
    const a = Array.from(params.value('a.weight_hh_l0').data);
    const b = Array.from(params.value('b.weight_hh_l0').data);
    assert.notDeepEqual(a, b);
  });

  test('manualSeed makes the default seeds reproducible', () => {
    manualSeed(123);
    const first = [new LSTM({ inputSize: 3, hiddenSize: 5 }), new Linear({ inFeatures: 5, outFeatures: 2 })].map(weights);
    manualSeed(123);
    const second = [new LSTM({ inputSize: 3, hiddenSize: 5 }), new Linear({ inFeatures: 5, outFeatures: 2 })].map(weights);
    assert.deepEqual(first, second);
  });

  test('an explicit seed does not depend on the default generator', () => {
    manualSeed(1);
    const a = weights(new LSTM({ inputSize: 3, hiddenSize: 5, seed: 7 }));
    manualSeed(2);
    new LSTM({ inputSize: 3, hiddenSize: 5 });
    const b = weights(new LSTM({ inputSize: 3, hiddenSize: 5, seed: 7 }));
    assert.deepEqual(a, b);
  });

  test('seeds outside [0, 2³²) or not integers are refused', () => {
    for (const seed of [-1, 4294967296, 1e20, 0.5, Number.NaN]) {
      assert.throws(() => new LSTM({ inputSize: 3, hiddenSize: 5, seed }), /LSTM: seed must be an integer in \[0, 4294967295\]/);
    }
    assert.throws(() => manualSeed(2 ** 32), /manualSeed: seed must be an integer/);
  });
});
