/**
 * Seq2Seq against PyTorch (test/fixtures/seq2seq.json, written by
 * scripts/gen_fixtures.py): the same tiny model per attention kind and cell,
 * loaded by name — teacher-forced logits, attention weights and loss, every
 * parameter's gradient, and greedy decoding (tokens, attention weights,
 * log-probability). Float64 within 1e-10; float32 within rtol 1e-5 (values)
 * and 1e-4 (gradients), on the reference backend and on the WebAssembly one
 * (where the runtime has SIMD).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionKind } from '../src/attention/attention.js';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { loadWasmBackend } from '../src/backend/wasm.js';
import type { CellType } from '../src/cells/cell.js';
import type { PairBatch } from '../src/seq2seq/batch.js';
import { EOS } from '../src/seq2seq/batch.js';
import { greedyDecode } from '../src/seq2seq/greedy.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import type { DType } from '../src/tensor.js';
import { assertClose, type FixtureTensor, loadFixture } from './helpers.js';

interface Seq2SeqCase {
  name: string;
  config: {
    sourceVocabSize: number; targetVocabSize: number; embeddingSize: number; hiddenSize: number; numLayers: number;
    cell: CellType; bidirectional: boolean; attention: AttentionKind | 'none'; attentionSize: number; scaled: boolean;
  };
  source: number[][];
  sourceLengths: number[];
  targetIn: number[][];
  targetOut: number[][];
  targetLengths: number[];
  stateDict: Record<string, FixtureTensor>;
  loss: number;
  logits: FixtureTensor;
  weights: FixtureTensor | null;
  grads: Record<string, FixtureTensor>;
  greedy: { maxLength: number; tokens: number[][]; weights: FixtureTensor | null; logProbs: FixtureTensor };
}

export function pairBatch(c: Pick<Seq2SeqCase, 'source' | 'sourceLengths' | 'targetIn' | 'targetOut' | 'targetLengths'>): PairBatch {
  return {
    batchSize: c.source.length,
    sourceSteps: (c.source[0] as number[]).length,
    targetSteps: (c.targetIn[0] as number[]).length,
    source: Int32Array.from(c.source.flat()),
    sourceLengths: Int32Array.from(c.sourceLengths),
    targetIn: Int32Array.from(c.targetIn.flat()),
    targetOut: Int32Array.from(c.targetOut.flat()),
    targetLengths: Int32Array.from(c.targetLengths),
  };
}

function scalar(x: number): FixtureTensor {
  return { shape: [1], data: [x] };
}

const wasm = await loadWasmBackend({ threads: 1 });
const RUNS: { backend: Backend; dtype: DType; valueTol: number; gradTol: number }[] = [
  { backend: jsBackend, dtype: 'float64', valueTol: 1e-10, gradTol: 1e-10 },
  { backend: jsBackend, dtype: 'float32', valueTol: 1e-5, gradTol: 1e-4 },
  ...(wasm ? [{ backend: wasm, dtype: 'float32' as const, valueTol: 1e-5, gradTol: 1e-4 }] : []),
];

const cases = loadFixture<{ cases: Seq2SeqCase[] }>('seq2seq.json').cases;

for (const { backend, dtype, valueTol, gradTol } of RUNS) {
  describe(`Seq2Seq vs PyTorch (${backend.name}, ${dtype})`, () => {
    for (const c of cases) {
      test(c.name, (t) => {
        const model = new Seq2Seq({ ...c.config, dtype, seed: 1 }, { backend });
        assert.deepEqual(Object.keys(model.stateDict()).sort(), Object.keys(c.stateDict).sort(), 'parameter names');
        model.loadStateDict(c.stateDict);
        const batch = pairBatch(c);
        const { logits, weights } = model.forward(batch);
        const worst = { value: 0, grad: 0 };
        const note = (r: { maxRel: number }, kind: 'value' | 'grad'): void => { worst[kind] = Math.max(worst[kind], r.maxRel); };
        note(assertClose(logits.value, c.logits, valueTol, 'logits'), 'value');
        if (c.weights) note(assertClose((weights as NonNullable<typeof weights>).value, c.weights, valueTol, 'attention weights'), 'value');
        else assert.equal(weights, null);
        const loss = model.loss(batch);
        note(assertClose([loss.item()], scalar(c.loss), valueTol, 'loss'), 'value');
        model.zeroGrad();
        loss.backward();
        for (const [name, g] of Object.entries(c.grads)) note(assertClose(model.params.gradient(name), g, gradTol, `grad ${name}`), 'grad');

        const greedy = greedyDecode(model, { data: batch.source, shape: [batch.batchSize, batch.sourceSteps] }, batch.sourceLengths, { maxLength: c.greedy.maxLength });
        const S = batch.sourceSteps;
        const T = c.greedy.maxLength;
        greedy.forEach((h, b) => {
          const row = c.greedy.tokens[b] as number[];
          const end = row.indexOf(EOS);
          const steps = end >= 0 ? end + 1 : T;
          assert.deepEqual(h.tokens, row.slice(0, end >= 0 ? end : T), `row ${b} tokens`);
          assert.equal(h.finished, end >= 0, `row ${b} finished`);
          const logProb = c.greedy.logProbs.data.slice(b * T, b * T + steps).reduce((s, x) => s + x, 0);
          note(assertClose([h.logProb], scalar(logProb), valueTol, `row ${b} log-probability`), 'value');
          if (!c.greedy.weights) return assert.equal(h.attention, null);
          const L = batch.sourceLengths[b] as number;
          const expected: number[] = [];
          for (let s = 0; s < steps; s++) for (let j = 0; j < L; j++) expected.push(c.greedy.weights.data[(b * T + s) * S + j] as number);
          note(assertClose(h.attention as NonNullable<typeof h.attention>, { shape: [steps, L], data: expected }, valueTol, `row ${b} attention`), 'value');
        });
        t.diagnostic(`max relative difference: values ${worst.value.toExponential(2)}, gradients ${worst.grad.toExponential(2)}`);
      });
    }
  });
}
