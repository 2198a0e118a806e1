/**
 * The kernels of the WebAssembly backend, declared once in {@link KERNELS}:
 * for each Backend method, its parameters in order — numbers by name, and
 * operands with what the kernel does to them (reads, writes or both) and
 * how many elements they span — and how threads may split a call. No other
 * TypeScript is written per kernel: ./wasm-calls.ts turns each entry into
 * the Backend method (operand addresses, copies, thread strides, fallback).
 */
import type { AdamStepOptions, Backend, SgdStepOptions } from './backend.js';
import { THREAD_LIMITS } from './threads.js';

/** What a kernel does to an operand. */
export const IN = 1;
export const OUT = 2;
export const INOUT = 3;
export type Mode = typeof IN | typeof OUT | typeof INOUT;

/**
 * The elements an operand spans, in terms of the kernel's shape `count×unit`
 * (its first parameter, and the width named after `×`, else 1).
 */
export type Extent =
  /** `count × width·unit` elements, `width·unit` per row: split with the rows. */
  | { readonly kind: 'rows'; readonly width: number }
  /** `width·unit` elements, the same for every row. */
  | { readonly kind: 'row'; readonly width: number }
  /** One element per row (`count`). */
  | { readonly kind: 'perRow' }
  /** `op(X)` of `rows×cols` (named numbers) stored with row stride `ld`, transposed (`cols×rows`) when `trans` is set. */
  | { readonly kind: 'matrix'; readonly rows: string; readonly cols: string; readonly ld: string; readonly trans: string | null };

export interface OperandOptions {
  /** The Backend method takes the array alone, from element 0, instead of `(array, offset)`. */
  readonly whole?: boolean;
  /** May be null: the export then gets address 0. */
  readonly optional?: boolean;
  /** Element type: float32 (the default; a float64 array sends the call to the reference), int32, or float64 passed as float32. */
  readonly type?: 'f32' | 'i32' | 'f64';
  /** An output that is also read when this number is nonzero (`C = … + beta·C`). */
  readonly readIf?: string;
}

export interface Operand extends OperandOptions {
  readonly name: string;
  readonly mode: Mode;
  readonly extent: Extent;
}

/** Numbers the export takes in place of one Backend parameter (an options object). */
export interface Derived {
  readonly names: string;
  readonly derive: (o: never) => readonly number[];
}

/** The export's scratch address: the caller's own, and each worker's own when split. */
export const SCRATCH = 'scratch';

/** One parameter of a Backend method: numbers by name (space-separated), an operand, derived numbers, or the scratch. */
export type Param = string | Operand | Derived | typeof SCRATCH;

/** Threads may split a call along size `index` (a number) in blocks of `align`; null: one thread. */
export interface Split {
  readonly index: number;
  readonly align: number;
}

/** Chooses how to split a call from its numbers; built once per kernel from its shape and named numbers. */
export type SplitRule = (shape: { count: number; unit: number; number(name: string): number }) => (x: Float64Array) => Split | null;

export interface KernelSpec {
  readonly params: readonly Param[];
  readonly split: SplitRule | null;
}

const rows = (width = 1): Extent => ({ kind: 'rows', width });
const row = (width = 1): Extent => ({ kind: 'row', width });
const perRow: Extent = { kind: 'perRow' };
const matrix = (r: string, c: string, ld: string, trans: string | null = null): Extent => ({ kind: 'matrix', rows: r, cols: c, ld, trans });

function operand(mode: Mode) {
  return (name: string, ...traits: (Extent | OperandOptions)[]): Operand => {
    let extent = rows();
    let options: OperandOptions = {};
    for (const t of traits) {
      if ('kind' in t) extent = t;
      else options = { ...options, ...t };
    }
    return { name, mode, extent, ...options };
  };
}
const input = operand(IN);
const output = operand(OUT);
const inout = operand(INOUT);
const WHOLE: OperandOptions = { whole: true };
const OPTIONAL: OperandOptions = { optional: true };
const TARGETS: OperandOptions = { whole: true, type: 'i32' };
const WEIGHTS: OperandOptions = { whole: true, type: 'f64' };

const derived = <O>(names: string, derive: (o: O) => readonly number[]): Derived => ({ names, derive: derive as (o: never) => readonly number[] });

/** Adam's constants, derived exactly as the reference derives them. */
const adamNumbers = derived('decoupled beta1 beta2 stepSize bias2Sqrt eps wd decay', (o: AdamStepOptions) => {
  const { lr, beta1, beta2, eps, weightDecay: wd, decoupled, step: t } = o;
  return [decoupled ? 1 : 0, beta1, beta2, lr / (1 - beta1 ** t), Math.sqrt(1 - beta2 ** t), eps, wd, 1 - lr * wd];
});

const sgdNumbers = derived('lr momentum dampening nesterov wd first', (o: SgdStepOptions) => [
  o.lr, o.momentum, o.dampening, o.nesterov ? 1 : 0, o.weightDecay, o.first ? 1 : 0,
]);

/** Elementwise kernels: blocks of rows or elements (multiples of `align`), from {@link THREAD_LIMITS.minElements} elements. */
const blocksOfRows = (align: number): SplitRule => ({ count, unit }) => {
  const plan: Split = { index: count, align };
  return (x) => ((x[count] as number) * (unit >= 0 ? (x[unit] as number) : 1) >= THREAD_LIMITS.minElements ? plan : null);
};
const byRows = blocksOfRows(1);
const byElements = blocksOfRows(THREAD_LIMITS.vectorBlock);

/** Products: blocks of columns of C when `n ≥ m`, else of rows, from {@link THREAD_LIMITS.minProductWork} multiply-adds. */
const byBlocksOfC: SplitRule = ({ number }) => {
  const [m, n, k] = [number('m'), number('n'), number('k')];
  const columns: Split = { index: n, align: THREAD_LIMITS.productColumnBlock };
  const rowsOfC: Split = { index: m, align: THREAD_LIMITS.productRowBlock };
  return (x) => {
    const M = x[m] as number;
    const N = x[n] as number;
    if (M < THREAD_LIMITS.minProductRows || M * N * (x[k] as number) < THREAD_LIMITS.minProductWork) return null;
    return N >= M ? columns : rowsOfC;
  };
};

/** Every kernel method of the Backend (all but `name`, `allocate`, `release`). */
export type KernelName = Exclude<keyof Backend, 'name' | 'prefersNT' | 'allocate' | 'release'>;

/**
 * The kernels: each Backend method's parameters in order. The first names
 * the shape `count×unit` (or a count alone) that extents refer to:
 * `rows(k)` (the default) is `count × k·unit` elements, `row(k)` one row of
 * `k·unit`, `perRow` one element per row. An operand is `(array, offset)`
 * in the Backend method unless WHOLE, and one byte address in the export.
 */
export const KERNELS: Record<KernelName, KernelSpec> = {
  gemm: {
    params: [
      'transA transB m n k alpha', input('a', matrix('m', 'k', 'lda', 'transA')), 'lda', input('b', matrix('k', 'n', 'ldb', 'transB')), 'ldb beta',
      output('c', matrix('m', 'n', 'ldc'), { readIf: 'beta' }), 'ldc', SCRATCH,
    ],
    split: byBlocksOfC,
  },
  addRowVector: { params: ['rows×cols', input('v', row()), inout('out')], split: byRows },
  sumRows: { params: ['rows×cols', input('a'), inout('out', row())], split: null },
  lstmForward: { params: ['rows×H clip', inout('gates', rows(4)), input('cPrev'), output('c'), output('m')], split: byRows },
  lstmBackward: {
    params: ['rows×H clip', input('gates', rows(4)), input('cPrev'), input('c'), input('dm'), inout('dc'), output('dGates', rows(4))],
    split: byRows,
  },
  gruForward: { params: ['rows×H clip', inout('xw', rows(3)), input('hw', rows(3)), input('hPrev'), output('h')], split: byRows },
  gruBackward: {
    params: ['rows×H clip', input('xw', rows(3)), input('hw', rows(3)), input('hPrev'), input('dh'), output('dxw', rows(3)), output('dhw', rows(3)), output('dhPrev')],
    split: byRows,
  },
  lstmPeepholeForward: {
    params: ['rows×H clip', inout('gates', rows(4)), input('peep', row(3)), input('cPrev'), output('c'), output('m')],
    split: byRows,
  },
  lstmPeepholeBackward: {
    params: ['rows×H clip', input('gates', rows(4)), input('peep', row(3)), input('cPrev'), input('c'), input('dm'), inout('dc'), output('dGates', rows(4))],
    split: byRows,
  },
  lstmPeepholeGrad: { params: ['rows×H', input('dGates', rows(4)), input('cPrev'), input('c'), inout('dPeep', row(3))], split: null },
  // The GRU halves write some blocks of a row and leave the others: those operands are read as well (inout).
  gruResetForward: { params: ['rows×H clip', inout('gates', rows(3)), input('hPrev'), output('rh')], split: byRows },
  gruCandidateForward: { params: ['rows×H clip', inout('gates', rows(3)), input('hPrev'), output('h')], split: byRows },
  gruCandidateBackward: {
    params: ['rows×H clip', input('gates', rows(3)), input('hPrev'), input('dh'), inout('dGates', rows(3)), output('dhPrev')],
    split: byRows,
  },
  gruResetBackward: {
    params: ['rows×H clip', input('gates', rows(3)), input('hPrev'), input('drh'), inout('dGates', rows(3)), inout('dhPrev')],
    split: byRows,
  },
  rnnForward: { params: ['rows×H slope clip', input('pre'), output('h')], split: byRows },
  rnnBackward: { params: ['rows×H slope clip', input('h'), input('dh'), output('dpre')], split: byRows },
  adamStep: {
    params: ['n', inout('p', WHOLE), input('g', WHOLE), inout('m', WHOLE), inout('v', WHOLE), inout('vMax', WHOLE, OPTIONAL), adamNumbers],
    split: byElements,
  },
  sgdStep: { params: ['n', inout('p', WHOLE), input('g', WHOLE), inout('buf', WHOLE, OPTIONAL), sgdNumbers], split: byElements },
  sumSquares: { params: ['n', input('a')], split: null },
  scale: { params: ['n alpha', inout('a')], split: byElements },
  softmaxCrossEntropy: { params: ['rows×V', input('z'), input('t', perRow, TARGETS), input('w', perRow, WEIGHTS), output('probs', WHOLE)], split: null },
  softmaxCrossEntropyBackward: { params: ['rows×V s', input('t', perRow, TARGETS), input('w', perRow, WEIGHTS), inout('probs', WHOLE)], split: null },
};

/** The kernel names in a fixed order (threads refer to a kernel by its index here). */
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];
