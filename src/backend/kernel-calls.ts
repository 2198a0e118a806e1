/**
 * The kernel table of ./wasm-kernels.ts compiled for calling: each entry's
 * names resolved to number slots, the elements each operand spans in a call
 * ({@link lengthOf}), its stride per unit of a thread split ({@link strideOf}),
 * and the allocation-free way of passing a Backend method's parameters on.
 * Shared by the backends that run the table's kernels: WebAssembly
 * (./wasm-calls.ts) and native (./native.ts).
 */
import type { KernelExport } from './threads.js';
import { type Derived, type Extent, KERNEL_NAMES, KERNELS, type KernelName, type KernelSpec, type Mode, type Operand, OUT, SCRATCH, type Split } from './wasm-kernels.js';

/** Extents, compiled (see Extent in ./wasm-kernels.ts). */
export const ROWS = 0;
export const ROW = 1;
export const PER_ROW = 2;
export const MATRIX = 3;

/** An operand with its names resolved to number slots: plain data, one shape for all, read by {@link lengthOf} and {@link strideOf}. */
export interface CompiledOperand {
  readonly name: string;
  readonly mode: Mode;
  readonly type: 'f32' | 'i32' | 'f64';
  readonly optional: boolean;
  /** Number slot of the flag that makes an output read as well, or −1. */
  readonly readIf: number;
  readonly kind: typeof ROWS | typeof ROW | typeof PER_ROW | typeof MATRIX;
  /** Rows and row: elements per row in units. */
  readonly width: number;
  /** Matrix: number slots of op(X)'s rows, columns, row stride, and transpose flag (−1: never transposed). */
  readonly rows: number;
  readonly cols: number;
  readonly ld: number;
  readonly trans: number;
}

/** A table entry with its names resolved: where each number and operand comes from and goes to. */
export interface CompiledKernel {
  readonly name: KernelName;
  readonly index: number;
  readonly operands: readonly CompiledOperand[];
  /** Number slots of the shape `count×unit` (unit −1: none). */
  readonly count: number;
  readonly unit: number;
  /** Per number slot: the Backend parameter it is (−1: derived), and its export argument. */
  readonly numberParam: Int32Array;
  readonly numberArg: Int32Array;
  /** The Backend parameter derived numbers come from (−1: none), their first slot, and how. */
  readonly derivedParam: number;
  readonly derivedSlot: number;
  readonly derive: ((o: never) => readonly number[]) | null;
  /** Per operand: the Backend parameters of its array and offset (−1: whole), and its export argument. */
  readonly arrayParam: Int32Array;
  readonly offsetParam: Int32Array;
  readonly operandArg: Int32Array;
  /** Export argument of the scratch address (−1: none). */
  readonly scratchArg: number;
  /** The operand whose emptiness makes a call do nothing: the first written one (a reduction: the first one). */
  readonly guard: number;
  /** The numbers of the current call, by slot, and the export's arguments (both reused). */
  readonly x: Float64Array;
  readonly args: number[];
  /** Byte strides per unit of a split, per export argument (reused). */
  readonly strides: Float64Array;
  readonly split: ((x: Float64Array) => Split | null) | null;
}

function compile(name: KernelName, index: number, spec: KernelSpec): CompiledKernel {
  const numbers: string[] = [];
  const numberParam: number[] = [];
  const numberArg: number[] = [];
  const operands: Operand[] = [];
  const arrayParam: number[] = [];
  const offsetParam: number[] = [];
  const operandArg: number[] = [];
  let derive: Derived['derive'] | null = null;
  let derivedParam = -1;
  let derivedSlot = -1;
  let scratchArg = -1;
  let count = -1;
  let unit = -1;
  let param = 0;
  let arg = 0;
  const addNumber = (n: string, from: number): number => {
    if (numbers.includes(n)) throw new Error(`wasm kernels: ${name} names ${n} twice`);
    numbers.push(n);
    numberParam.push(from);
    numberArg.push(arg++);
    return numbers.length - 1;
  };
  for (const p of spec.params) {
    if (p === SCRATCH) scratchArg = arg++;
    else if (typeof p === 'string') {
      for (const word of p.split(' ')) {
        const [c, u] = word.split('×') as [string, string | undefined];
        const at = addNumber(c, param++);
        if (count < 0) count = at;
        if (u !== undefined) unit = addNumber(u, param++);
      }
    } else if ('derive' in p) {
      derive = p.derive;
      derivedParam = param++;
      derivedSlot = numbers.length;
      for (const n of p.names.split(' ')) addNumber(n, -1);
    } else {
      operands.push(p);
      arrayParam.push(param++);
      offsetParam.push(p.whole ? -1 : param++);
      operandArg.push(arg++);
    }
  }
  const slot = (n: string): number => {
    const i = numbers.indexOf(n);
    if (i < 0) throw new Error(`wasm kernels: ${name} has no number ${n}`);
    return i;
  };
  const written = operands.findIndex((o) => o.mode & OUT);
  return {
    name, index, operands: operands.map((o) => compileOperand(o, slot)), count, unit,
    numberParam: Int32Array.from(numberParam), numberArg: Int32Array.from(numberArg),
    derivedParam, derivedSlot, derive,
    arrayParam: Int32Array.from(arrayParam), offsetParam: Int32Array.from(offsetParam), operandArg: Int32Array.from(operandArg),
    scratchArg, guard: written >= 0 ? written : 0,
    x: new Float64Array(numbers.length), args: new Array<number>(arg).fill(0), strides: new Float64Array(arg),
    split: spec.split ? spec.split({ count, unit, number: slot }) : null,
  };
}

/** Elements from the first to the last of a `rows×cols` block with row stride `ld`. */
function span(r: number, c: number, ld: number): number {
  return r <= 0 || c <= 0 ? 0 : (r - 1) * ld + c;
}

function compileOperand(o: Operand, slot: (n: string) => number): CompiledOperand {
  const e: Extent = o.extent;
  const matrix = e.kind === 'matrix';
  return {
    name: o.name, mode: o.mode, type: o.type ?? 'f32', optional: o.optional ?? false, readIf: o.readIf ? slot(o.readIf) : -1,
    kind: e.kind === 'rows' ? ROWS : e.kind === 'row' ? ROW : e.kind === 'perRow' ? PER_ROW : MATRIX,
    width: e.kind === 'rows' || e.kind === 'row' ? e.width : 0,
    rows: matrix ? slot(e.rows) : -1,
    cols: matrix ? slot(e.cols) : -1,
    ld: matrix ? slot(e.ld) : -1,
    trans: matrix && e.trans ? slot(e.trans) : -1,
  };
}

/** The kernel's row width unit (1 without one). */
function unitOf(k: CompiledKernel, x: Float64Array): number {
  return k.unit >= 0 ? (x[k.unit] as number) : 1;
}

/** Whether a matrix operand is stored transposed in this call. */
export function transposed(o: CompiledOperand, x: Float64Array): boolean {
  return o.trans >= 0 && x[o.trans] !== 0;
}

/** Elements operand `o` spans in a call with numbers `x`. */
export function lengthOf(k: CompiledKernel, o: CompiledOperand, x: Float64Array): number {
  switch (o.kind) {
    case ROWS:
      return (x[k.count] as number) * o.width * unitOf(k, x);
    case ROW:
      return o.width * unitOf(k, x);
    case PER_ROW:
      return x[k.count] as number;
    case MATRIX: {
      const r = x[o.rows] as number;
      const c = x[o.cols] as number;
      const ld = x[o.ld] as number;
      return transposed(o, x) ? span(c, r, ld) : span(r, c, ld); // stored rows×cols, or cols×rows
    }
  }
}

/** Bytes operand `o`'s address advances per unit of number `split` (0: every block reads the same). */
export function strideOf(k: CompiledKernel, o: CompiledOperand, x: Float64Array, split: number): number {
  switch (o.kind) {
    case ROWS:
      return split === k.count ? 4 * o.width * unitOf(k, x) : 0;
    case ROW:
      return 0;
    case PER_ROW:
      return split === k.count ? 4 : 0;
    case MATRIX: {
      // a block of rows of op(X) starts `ld` further per row (1 when stored transposed); of columns, 1 (`ld`)
      const ld = 4 * (x[o.ld] as number);
      if (split === o.rows) return transposed(o, x) ? 4 : ld;
      return split === o.cols ? (transposed(o, x) ? ld : 4) : 0;
    }
  }
}

/** Whether a stored copy of output `o` has gaps between rows, which survive the copy back only if it is read first. */
export function hasGaps(o: CompiledOperand, x: Float64Array): boolean {
  if (o.kind !== MATRIX) return false;
  const t = transposed(o, x);
  return (x[t ? o.cols : o.rows] as number) > 1 && x[o.ld] !== x[t ? o.rows : o.cols];
}

export const COMPILED: Readonly<Record<KernelName, CompiledKernel>> = Object.fromEntries(
  KERNEL_NAMES.map((name, i) => [name, compile(name, i, KERNELS[name])]),
) as Record<KernelName, CompiledKernel>;


/** `f(...a)`, with the arities of the exports spelled out (a spread call costs 20–50 ns more on Node 20). */
export function invoke(f: KernelExport, a: readonly number[]): unknown {
  switch (a.length) {
    case 2: return f(a[0]!, a[1]!);
    case 3: return f(a[0]!, a[1]!, a[2]!);
    case 4: return f(a[0]!, a[1]!, a[2]!, a[3]!);
    case 5: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    case 6: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
    case 7: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!);
    case 8: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!);
    case 9: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!);
    case 14: return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!);
    default: return f(...a);
  }
}

/** Most parameters of a Backend kernel method (gruBackward's and lstmPeepholeBackward's 17). */
const MAX_PARAMS = 17;

/**
 * A function of up to {@link MAX_PARAMS} parameters that hands them to
 * `body` in one reused array (a rest parameter would allocate an array per
 * kernel call). The array is cleared when the call returns, so it keeps
 * no operand alive.
 */
export function withReusedParams(body: (params: readonly unknown[]) => unknown): (...params: unknown[]) => unknown {
  const p: unknown[] = new Array(MAX_PARAMS).fill(undefined);
  return (p0?: unknown, p1?: unknown, p2?: unknown, p3?: unknown, p4?: unknown, p5?: unknown, p6?: unknown, p7?: unknown,
    p8?: unknown, p9?: unknown, p10?: unknown, p11?: unknown, p12?: unknown, p13?: unknown, p14?: unknown, p15?: unknown,
    p16?: unknown) => {
    p[0] = p0; p[1] = p1; p[2] = p2; p[3] = p3; p[4] = p4; p[5] = p5; p[6] = p6; p[7] = p7;
    p[8] = p8; p[9] = p9; p[10] = p10; p[11] = p11; p[12] = p12; p[13] = p13; p[14] = p14; p[15] = p15; p[16] = p16;
    const result = body(p);
    for (let i = 0; i < MAX_PARAMS; i++) p[i] = undefined;
    return result;
  };
}

/** Writes a call's numbers into `k.x` by slot: the Backend method's numbers (booleans as 0 or 1), then any derived from its options. */
export function readNumbers(k: CompiledKernel, params: readonly unknown[]): void {
  const x = k.x;
  for (let s = 0; s < x.length; s++) {
    const p = k.numberParam[s] as number;
    if (p < 0) continue;
    const v = params[p];
    x[s] = typeof v === 'number' ? v : v ? 1 : 0;
  }
  if (k.derivedParam >= 0) x.set((k.derive as (o: unknown) => readonly number[])(params[k.derivedParam]), k.derivedSlot);
}
