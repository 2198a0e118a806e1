/**
 * The PyTorch parity cases (test/fixtures/layers.json and cells.json,
 * written by scripts/gen_fixtures.py from torch in float64) as a suite that
 * any backend can run: `runParitySuites(backend, precisions, label)` registers
 * one `describe` per precision for layers and one for cells, and the same for
 * the variants PyTorch lacks — the GRU with `resetAfter: false` and the LSTM
 * with peepholes — from test/fixtures/variants.json (scripts/gen_variant_fixtures.py:
 * their equations in torch ops, float64, gradients by autograd). Used by
 * parity.test.ts (reference backend) and wasm.test.ts.
 *
 * No tests are registered on import; fixtures are read on first use.
 */
import { test, describe } from 'node:test';
import { GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, type RecurrentLayer } from '../src/index.js';
import type { Backend } from '../src/backend/backend.js';
import type { CellModule } from '../src/layers/cell-module.js';
import type { DType, Tensor } from '../src/tensor.js';
import { assertClose, type FixtureTensor, loadFixture, toTensor } from './helpers.js';

export interface LayerCase {
  name: string;
  mode: 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
  options: {
    inputSize: number; hiddenSize: number; numLayers: number; bias: boolean; batchFirst: boolean; bidirectional: boolean;
    projSize: number; nonlinearity: 'tanh' | 'relu'; dropout: number; resetAfter?: boolean; peepholes?: boolean;
  };
  training: boolean;
  input: FixtureTensor;
  lengths: number[] | null;
  h0: FixtureTensor | null;
  c0: FixtureTensor | null;
  stateDict: Record<string, FixtureTensor>;
  output: FixtureTensor;
  hN: FixtureTensor;
  cN: FixtureTensor | null;
  gradOutput: FixtureTensor;
  gradHN: FixtureTensor;
  gradCN: FixtureTensor | null;
  gradInput: FixtureTensor;
  gradH0: FixtureTensor;
  gradC0: FixtureTensor | null;
  grads: Record<string, FixtureTensor>;
}

export interface CellCase {
  name: string;
  mode: 'RNNCell' | 'LSTMCell' | 'GRUCell';
  options: { inputSize: number; hiddenSize: number; bias: boolean; nonlinearity: 'tanh' | 'relu'; resetAfter?: boolean; peepholes?: boolean };
  input: FixtureTensor;
  h0: FixtureTensor | null;
  c0: FixtureTensor | null;
  stateDict: Record<string, FixtureTensor>;
  h1: FixtureTensor;
  c1: FixtureTensor | null;
  gradH1: FixtureTensor;
  gradC1: FixtureTensor | null;
  gradInput: FixtureTensor;
  gradH0: FixtureTensor;
  gradC0: FixtureTensor | null;
  grads: Record<string, FixtureTensor>;
}

/** A precision to replay the fixtures in, with its tolerances (relative to each tensor's scale). */
export interface ParityPrecision {
  dtype: DType;
  valueTol: number;
  gradTol: number;
}

let layerCache: LayerCase[] | null = null;
let cellCache: CellCase[] | null = null;
let variantCache: { layers: LayerCase[]; cells: CellCase[] } | null = null;

/** The layer cases of test/fixtures/layers.json. */
export function layerCases(): LayerCase[] {
  layerCache ??= loadFixture<{ cases: LayerCase[] }>('layers.json').cases;
  return layerCache;
}

/** The cell cases of test/fixtures/cells.json. */
export function cellCases(): CellCase[] {
  cellCache ??= loadFixture<{ cases: CellCase[] }>('cells.json').cases;
  return cellCache;
}

/** The variant cases of test/fixtures/variants.json: GRU reset-before and LSTM with peepholes. */
export function variantCases(): { layers: LayerCase[]; cells: CellCase[] } {
  variantCache ??= loadFixture<{ layers: LayerCase[]; cells: CellCase[] }>('variants.json');
  return variantCache;
}

/** The layer of a case, in `dtype`, on `backend` (the default backend when undefined). */
export function buildLayer(c: LayerCase, dtype: DType, backend?: Backend): RecurrentLayer {
  // The fixtures list every option of every mode; each layer takes only its own.
  const { projSize, nonlinearity: _, resetAfter, peepholes, ...common } = c.options;
  const o = backend ? { ...common, dtype, backend } : { ...common, dtype };
  if (c.mode === 'LSTM') return new LSTM({ ...o, projSize, ...(peepholes === undefined ? {} : { peepholes }) });
  if (c.mode === 'GRU') return new GRU({ ...o, ...(resetAfter === undefined ? {} : { resetAfter }) });
  return new RNN({ ...o, nonlinearity: c.mode === 'RNN_RELU' ? 'relu' : 'tanh' });
}

/** The cell of a case, in `dtype`, on `backend` (the default backend when undefined). */
export function buildCell(c: CellCase, dtype: DType, backend?: Backend): CellModule {
  const { nonlinearity, resetAfter, peepholes, ...common } = c.options;
  const o = backend ? { ...common, dtype, backend } : { ...common, dtype };
  if (c.mode === 'LSTMCell') return new LSTMCell({ ...o, ...(peepholes === undefined ? {} : { peepholes }) });
  if (c.mode === 'GRUCell') return new GRUCell({ ...o, ...(resetAfter === undefined ? {} : { resetAfter }) });
  return new RNNCell({ ...o, nonlinearity });
}

const t = (f: FixtureTensor | null, dtype: DType): Tensor | null => (f ? toTensor(f, dtype) : null);

type Diagnostic = { diagnostic(message: string): void };

/** Replays a layer case: forward values, then backward input, state and parameter gradients. */
function checkLayerCase(c: LayerCase, { dtype, valueTol, gradTol }: ParityPrecision, backend: Backend | undefined, ctx: Diagnostic): void {
  const layer = buildLayer(c, dtype, backend);
  layer.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, toTensor(v, dtype)])));
  layer.train(c.training);
  const out = layer.forward(toTensor(c.input, dtype), { h0: t(c.h0, dtype), c0: t(c.c0, dtype), lengths: c.lengths });
  let worst = 0;
  const track = (r: { maxRel: number }): void => {
    worst = Math.max(worst, r.maxRel);
  };
  track(assertClose(out.output, c.output, valueTol, 'output'));
  track(assertClose(out.hN, c.hN, valueTol, 'hN'));
  if (c.cN) track(assertClose(out.cN as Tensor, c.cN, valueTol, 'cN'));
  const g = layer.backward(out.ctx, { dOutput: toTensor(c.gradOutput, dtype), dhN: toTensor(c.gradHN, dtype), dcN: t(c.gradCN, dtype) });
  track(assertClose(g.dInput, c.gradInput, gradTol, 'dInput'));
  track(assertClose(g.dh0, c.gradH0, gradTol, 'dh0'));
  if (c.gradC0) track(assertClose(g.dc0 as Tensor, c.gradC0, gradTol, 'dc0'));
  for (const [name, expected] of Object.entries(c.grads)) track(assertClose(layer.params.gradient(name), expected, gradTol, `grad ${name}`));
  ctx.diagnostic(`max difference relative to tensor scale: ${worst.toExponential(2)}`);
}

/** Replays a cell case: the step's values, then its input, state and parameter gradients. */
function checkCellCase(c: CellCase, { dtype, valueTol, gradTol }: ParityPrecision, backend: Backend | undefined, ctx: Diagnostic): void {
  const cell = buildCell(c, dtype, backend);
  cell.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, toTensor(v, dtype)])));
  const out = cell.forward(toTensor(c.input, dtype), { h0: t(c.h0, dtype), c0: t(c.c0, dtype) });
  let worst = assertClose(out.h, c.h1, valueTol, 'h1').maxRel;
  if (c.c1) worst = Math.max(worst, assertClose(out.c as Tensor, c.c1, valueTol, 'c1').maxRel);
  const g = cell.backward(out.ctx, { dh: toTensor(c.gradH1, dtype), dc: t(c.gradC1, dtype) });
  worst = Math.max(worst, assertClose(g.dInput, c.gradInput, gradTol, 'dInput').maxRel);
  worst = Math.max(worst, assertClose(g.dh0, c.gradH0, gradTol, 'dh0').maxRel);
  if (c.gradC0) worst = Math.max(worst, assertClose(g.dc0 as Tensor, c.gradC0, gradTol, 'dc0').maxRel);
  for (const [name, expected] of Object.entries(c.grads)) {
    worst = Math.max(worst, assertClose(cell.params.gradient(name), expected, gradTol, `grad ${name}`).maxRel);
  }
  ctx.diagnostic(`max difference relative to tensor scale: ${worst.toExponential(2)}`);
}

/**
 * Registers the parity suites: for each precision, every layer case
 * (forward values, then backward input, state and parameter gradients) and
 * every cell case, of PyTorch's modules and of the variants. Suite names are
 * `PyTorch parity, layers, <dtype>`, `PyTorch parity, cells, <dtype>` and
 * `Variants (torch equations), layers | cells, <dtype>`, prefixed by `label` when given.
 */
export function runParitySuites(backend: Backend | undefined, precisions: readonly ParityPrecision[], label = ''): void {
  const prefix = label ? `${label}: ` : '';
  for (const precision of precisions) {
    const { dtype } = precision;
    describe(`${prefix}PyTorch parity, layers, ${dtype}`, () => {
      for (const c of layerCases()) test(c.name, (ctx) => checkLayerCase(c, precision, backend, ctx));
    });
    describe(`${prefix}PyTorch parity, cells, ${dtype}`, () => {
      for (const c of cellCases()) test(c.name, (ctx) => checkCellCase(c, precision, backend, ctx));
    });
    describe(`${prefix}Variants (torch equations), layers, ${dtype}`, () => {
      for (const c of variantCases().layers) test(c.name, (ctx) => checkLayerCase(c, precision, backend, ctx));
    });
    describe(`${prefix}Variants (torch equations), cells, ${dtype}`, () => {
      for (const c of variantCases().cells) test(c.name, (ctx) => checkCellCase(c, precision, backend, ctx));
    });
  }
}
