/**
 * Calling the kernels of ./wasm-kernels.ts, the same code for every one.
 * Each table entry is compiled once (names resolved to slots); then a call
 * of the Backend method:
 *   - runs on the reference backend when a float32 operand is a Float64Array;
 *   - does nothing when its first output (for a reduction, its input) is empty;
 *   - takes each operand's address where its array lives, if that is the
 *     memory, else in a reused scratch block, copying inputs in first;
 *   - calls the export with the numbers and one address per operand
 *     (booleans as 0 or 1), or splits it across the threads, each address
 *     advancing by its extent's stride per unit of the split;
 *   - copies outputs that were staged back.
 */
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';
import type { KernelExport } from './threads.js';
import type { Heap } from './wasm-heap.js';
import { type Derived, type Extent, IN, INOUT, KERNEL_NAMES, KERNELS, type KernelName, type KernelSpec, type Mode, type Operand, OUT, SCRATCH, type Split } from './wasm-kernels.js';

/** Extents, compiled (see Extent in ./wasm-kernels.ts). */
const ROWS = 0;
const ROW = 1;
const PER_ROW = 2;
const MATRIX = 3;

/** An operand with its names resolved to number slots: plain data, one shape for all, read by {@link lengthOf} and {@link strideOf}. */
interface CompiledOperand {
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
interface CompiledKernel {
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
function transposed(o: CompiledOperand, x: Float64Array): boolean {
  return o.trans >= 0 && x[o.trans] !== 0;
}

/** Elements operand `o` spans in a call with numbers `x`. */
function lengthOf(k: CompiledKernel, o: CompiledOperand, x: Float64Array): number {
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
function strideOf(k: CompiledKernel, o: CompiledOperand, x: Float64Array, split: number): number {
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
function hasGaps(o: CompiledOperand, x: Float64Array): boolean {
  if (o.kind !== MATRIX) return false;
  const t = transposed(o, x);
  return (x[t ? o.cols : o.rows] as number) > 1 && x[o.ld] !== x[t ? o.rows : o.cols];
}

const COMPILED: Readonly<Record<KernelName, CompiledKernel>> = Object.fromEntries(
  KERNEL_NAMES.map((name, i) => [name, compile(name, i, KERNELS[name])]),
) as Record<KernelName, CompiledKernel>;

// ---------------------------------------------------------------------------
// Calling a kernel.

/** Counters of the data the backend moved (floats, not bytes). */
export interface WasmCopyStats {
  /** Kernel calls that ran in WebAssembly. */
  calls: number;
  /** Floats copied into linear memory. */
  floatsIn: number;
  /** Floats copied back out. */
  floatsOut: number;
  /** Calls handed to the JavaScript backend (float64 operands). */
  fallbacks: number;
  /** Kernel calls split across worker threads. */
  parallel: number;
}

/** Runs a kernel on all threads (see ThreadPool.tryCall); false, having done nothing, if it did not. */
export type ParallelRunner = (kernel: number, fn: KernelExport, args: number[], split: number, strides: Float64Array, align: number, scratch: number) => boolean;

/** The kernel methods of a Backend. */
export type BackendKernels = Pick<Backend, KernelName>;

/** The arrays a kernel takes: float32 data, int32 targets, float64 weights (or float64 data, for the reference). */
type OperandArray = Float32Array | Float64Array | Int32Array;

/** `f(...a)`, with the arities of the exports spelled out (a spread call costs 20–50 ns more on Node 20). */
function invoke(f: KernelExport, a: readonly number[]): unknown {
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
function withReusedParams(body: (params: readonly unknown[]) => unknown): (...params: unknown[]) => unknown {
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

/** Up to this many elements an element loop beats `set` of a fresh subarray (~120 ns on Node 20). */
const SMALL_COPY = 24;
/** Most operands of a kernel. */
const MAX_OPERANDS = 8;

/** Calls the kernels of one module instance on its heap, as {@link KERNELS} declares them. */
export class KernelCaller {
  /** The whole memory as float32 and int32 (re-created after a grow). */
  private f32: Float32Array;
  private i32: Int32Array;
  /** Scratch block for operands that live outside the memory. */
  private scratch = -1;
  private scratchBytes = 0;
  // The operands of the current call copied to the scratch block: array (null: used in place), offset, length, mode, address.
  private readonly opArr: (OperandArray | null)[] = new Array(MAX_OPERANDS).fill(null);
  private readonly opOff = new Float64Array(MAX_OPERANDS);
  private readonly opLen = new Float64Array(MAX_OPERANDS);
  private readonly opMode = new Int32Array(MAX_OPERANDS);
  private readonly opPtr = new Float64Array(MAX_OPERANDS);

  /**
   * @param work byte address of this thread's scratch for the exports that take one.
   * @param parallel splits a call across threads, when there are any.
   */
  constructor(
    private readonly exports: Readonly<Record<KernelName, KernelExport>>,
    private readonly heap: Heap,
    private readonly work: number,
    readonly stats: WasmCopyStats,
    private readonly parallel: ParallelRunner | null,
  ) {
    this.f32 = new Float32Array(heap.buf);
    this.i32 = new Int32Array(heap.buf);
  }

  /** The Backend's kernel methods, each calling its export through {@link run}. */
  methods(): BackendKernels {
    const methods: Partial<Record<KernelName, (...params: unknown[]) => unknown>> = {};
    for (const name of KERNEL_NAMES) {
      const k = COMPILED[name];
      const fn = this.exports[name];
      methods[name] = withReusedParams((params) => this.run(k, fn, params));
    }
    return methods as unknown as BackendKernels;
  }

  /** One call of kernel `k` with the Backend method's arguments `params`. */
  private run(k: CompiledKernel, fn: KernelExport, params: readonly unknown[]): unknown {
    const { x, args, operands } = k;
    const n = operands.length;
    for (let s = 0; s < x.length; s++) {
      const p = k.numberParam[s] as number;
      if (p < 0) continue;
      const v = params[p];
      x[s] = typeof v === 'number' ? v : v ? 1 : 0;
    }
    if (k.derivedParam >= 0) x.set((k.derive as (o: unknown) => readonly number[])(params[k.derivedParam]), k.derivedSlot);
    for (let i = 0; i < n; i++) {
      const a = params[k.arrayParam[i] as number] as OperandArray | null;
      const o = operands[i] as CompiledOperand;
      if (!a) {
        if (!o.optional) throw new TypeError(`${k.name}: ${o.name} must be an array, got ${String(a)}`);
      } else if (o.type === 'f32' && !(a instanceof Float32Array)) {
        this.stats.fallbacks++;
        return (jsBackend[k.name] as (...p: unknown[]) => unknown)(...params);
      }
    }
    if (lengthOf(k, operands[k.guard] as CompiledOperand, x) <= 0) return 0; // nothing to compute
    for (let s = 0; s < x.length; s++) args[k.numberArg[s] as number] = x[s] as number;
    if (k.scratchArg >= 0) args[k.scratchArg] = this.work;
    const staged = this.bind(k, params);
    const split = this.parallel && k.split ? k.split(x) : null;
    let result: unknown;
    if (split && this.splitCall(k, fn, split)) this.stats.parallel++;
    else result = invoke(fn, args);
    if (staged) this.finish(n);
    return result;
  }

  /**
   * Writes each operand's address into the export's arguments: its own
   * place for an array in the memory, else a place in the scratch block,
   * with inputs copied in. Returns whether any operand was copied.
   */
  private bind(k: CompiledKernel, params: readonly unknown[]): boolean {
    const { x, args, operands } = k;
    const heap = this.heap;
    let need = 0;
    let staged = 0;
    for (let i = 0; i < operands.length; i++) {
      const o = operands[i] as CompiledOperand;
      const a = params[k.arrayParam[i] as number] as OperandArray | null;
      const off = k.offsetParam[i] as number >= 0 ? (params[k.offsetParam[i] as number] as number) : 0;
      let ptr = 0;
      this.opArr[i] = null;
      if (a && this.resident(o, a)) ptr = a.byteOffset + off * 4;
      else if (a) {
        const len = Math.max(0, lengthOf(k, o, x));
        let mode: number = o.mode;
        if (o.readIf >= 0 && x[o.readIf] !== 0) mode |= IN;
        if (mode === OUT && hasGaps(o, x)) mode = INOUT;
        this.opArr[i] = a;
        this.opOff[i] = off;
        this.opLen[i] = len;
        this.opMode[i] = mode;
        need += Math.ceil(len / 16) * 64;
        staged++;
      }
      args[k.operandArg[i] as number] = ptr;
    }
    this.stats.calls++;
    if (this.f32.buffer !== heap.buf) {
      this.f32 = new Float32Array(heap.buf);
      this.i32 = new Int32Array(heap.buf);
    }
    if (staged === 0) return false;
    if (need > this.scratchBytes) {
      if (this.scratch >= 0) heap.freeBlock(this.scratch);
      this.scratchBytes = 0;
      this.scratch = heap.mustAlloc(Math.max(need, 1 << 16));
      this.scratchBytes = Math.max(need, 1 << 16);
      if (this.f32.buffer !== heap.buf) {
        this.f32 = new Float32Array(heap.buf);
        this.i32 = new Int32Array(heap.buf);
      }
    }
    let p = this.scratch;
    for (let i = 0; i < operands.length; i++) {
      if (!this.opArr[i]) continue;
      this.opPtr[i] = p;
      args[k.operandArg[i] as number] = p;
      p += Math.ceil((this.opLen[i] as number) / 16) * 64;
      if ((this.opMode[i] as number) & IN) this.put(i);
    }
    return true;
  }

  /** Whether `a` can be used where it is: in the memory, and of the element type the kernel reads. */
  private resident(o: CompiledOperand, a: OperandArray): boolean {
    return (o.type === 'f32' ? a instanceof Float32Array : o.type === 'i32' && a instanceof Int32Array) && this.heap.owns(a);
  }

  /** Hands the call to the threads, with each address's stride per unit of the split. */
  private splitCall(k: CompiledKernel, fn: KernelExport, split: Split): boolean {
    const strides = k.strides;
    strides.fill(0);
    for (let i = 0; i < k.operands.length; i++) {
      // address 0: an absent operand, the same for every block
      if (k.args[k.operandArg[i] as number] !== 0) strides[k.operandArg[i] as number] = strideOf(k, k.operands[i] as CompiledOperand, k.x, split.index);
    }
    return (this.parallel as ParallelRunner)(k.index, fn, k.args, k.numberArg[split.index] as number, strides, split.align, k.scratchArg);
  }

  /** Copies operand `i` (its length from its offset) to its address. */
  private put(i: number): void {
    const src = this.opArr[i] as OperandArray;
    const off = this.opOff[i] as number;
    const len = this.opLen[i] as number;
    const heap = src instanceof Int32Array ? this.i32 : this.f32; // float64 is rounded to float32 on the way
    const dst = (this.opPtr[i] as number) >>> 2;
    if (len <= SMALL_COPY) {
      for (let j = 0; j < len; j++) heap[dst + j] = src[off + j] as number;
    } else if (off === 0 && len === src.length) {
      heap.set(src, dst);
    } else {
      heap.set(src.subarray(off, off + len), dst);
    }
    this.stats.floatsIn += len;
  }

  /** Copies the outputs that were copied in back out, and drops the references. */
  private finish(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.opArr[i] && (this.opMode[i] as number) & OUT) this.take(i);
      this.opArr[i] = null;
    }
  }

  /** Copies operand `i` back from its address (float32 only: the int32 and float64 operands are inputs). */
  private take(i: number): void {
    const dst = this.opArr[i] as Float32Array;
    const len = this.opLen[i] as number;
    const off = this.opOff[i] as number;
    const src = (this.opPtr[i] as number) >>> 2;
    const heap = this.f32;
    if (len <= SMALL_COPY) {
      for (let j = 0; j < len; j++) dst[off + j] = heap[src + j] as number;
    } else {
      dst.set(heap.subarray(src, src + len), off);
    }
    this.stats.floatsOut += len;
  }
}
