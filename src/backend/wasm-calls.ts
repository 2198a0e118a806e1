/**
 * Calling the kernels of ./wasm-kernels.ts, the same code for every one.
 * Each table entry is compiled once (names resolved to slots); then a call
 * of the Backend method:
 *   - runs on the reference backend when a float32 operand is a Float64Array;
 *   - does nothing when every output (for a reduction, every input) is empty;
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

/** How a Backend parameter is taken in. */
const TO_NUMBER = 0;
const TO_ARRAY = 1;
const TO_OFFSET = 2;
const TO_DERIVED = 3;

/** Where an export argument comes from. */
const FROM_NUMBER = 0;
const FROM_OPERAND = 1;
const FROM_SCRATCH = 2;

interface CompiledOperand {
  readonly name: string;
  readonly mode: Mode;
  readonly type: 'f32' | 'i32' | 'f64';
  readonly optional: boolean;
  /** Number slot of the flag that makes an output read as well, or −1. */
  readonly readIf: number;
  /** Elements spanned, from the numbers. */
  readonly length: (x: Float64Array) => number;
  /** Bytes the address advances per unit of number `split`. */
  readonly stride: (x: Float64Array, split: number) => number;
  /** Whether a stored copy has gaps between rows (so a copied output must be read first, to keep them). */
  readonly gaps: (x: Float64Array) => boolean;
}

interface CompiledKernel {
  readonly name: KernelName;
  readonly index: number;
  /** The numbers of a call, by slot. */
  readonly x: Float64Array;
  readonly operands: readonly CompiledOperand[];
  /** Per Backend parameter: how it is taken in, and its slot (number, operand, or first derived number). */
  readonly paramTo: Int32Array;
  readonly paramSlot: Int32Array;
  readonly derived: ((o: never) => readonly number[]) | null;
  /** Per export argument: where it comes from, and its slot. */
  readonly argFrom: Int32Array;
  readonly argSlot: Int32Array;
  /** The export's arguments of the current call (reused). */
  readonly args: number[];
  /** Byte strides per unit of a split, per export argument (reused). */
  readonly strides: Float64Array;
  /** Export argument of each number slot, and of the scratch (−1: none). */
  readonly argOfNumber: Int32Array;
  readonly scratchArg: number;
  readonly split: ((x: Float64Array) => Split | null) | null;
}

function compile(name: KernelName, index: number, spec: KernelSpec): CompiledKernel {
  const numbers: string[] = [];
  const operands: Operand[] = [];
  const paramTo: number[] = [];
  const paramSlot: number[] = [];
  const argFrom: number[] = [];
  const argSlot: number[] = [];
  let derived: Derived | null = null;
  let count = -1;
  let unit = -1;
  const addNumber = (n: string): number => {
    if (numbers.includes(n)) throw new Error(`wasm kernels: ${name} names ${n} twice`);
    numbers.push(n);
    argFrom.push(FROM_NUMBER);
    argSlot.push(numbers.length - 1);
    return numbers.length - 1;
  };
  for (const p of spec.params) {
    if (p === SCRATCH) {
      argFrom.push(FROM_SCRATCH);
      argSlot.push(-1);
    } else if (typeof p === 'string') {
      for (const word of p.split(' ')) {
        const [c, u] = word.split('×') as [string, string | undefined];
        paramTo.push(TO_NUMBER);
        paramSlot.push(addNumber(c));
        if (count < 0) count = numbers.length - 1;
        if (u !== undefined) {
          paramTo.push(TO_NUMBER);
          paramSlot.push((unit = addNumber(u)));
        }
      }
    } else if ('derive' in p) {
      derived = p;
      paramTo.push(TO_DERIVED);
      paramSlot.push(numbers.length);
      for (const n of p.names.split(' ')) addNumber(n);
    } else {
      operands.push(p);
      paramTo.push(TO_ARRAY);
      paramSlot.push(operands.length - 1);
      if (!p.whole) {
        paramTo.push(TO_OFFSET);
        paramSlot.push(operands.length - 1);
      }
      argFrom.push(FROM_OPERAND);
      argSlot.push(operands.length - 1);
    }
  }
  const slot = (n: string): number => {
    const i = numbers.indexOf(n);
    if (i < 0) throw new Error(`wasm kernels: ${name} has no number ${n}`);
    return i;
  };
  const argOfNumber = new Int32Array(numbers.length);
  argFrom.forEach((from, j) => {
    if (from === FROM_NUMBER) argOfNumber[argSlot[j] as number] = j;
  });
  return {
    name, index, x: new Float64Array(numbers.length),
    operands: operands.map((o) => compileOperand(o, count, unit, slot)),
    paramTo: Int32Array.from(paramTo), paramSlot: Int32Array.from(paramSlot),
    derived: derived ? (derived as Derived).derive : null,
    argFrom: Int32Array.from(argFrom), argSlot: Int32Array.from(argSlot),
    args: argFrom.map(() => 0), strides: new Float64Array(argFrom.length),
    argOfNumber, scratchArg: argFrom.indexOf(FROM_SCRATCH),
    split: spec.split ? spec.split({ count, unit, number: slot }) : null,
  };
}

/** Elements from the first to the last of a `rows×cols` block with row stride `ld`. */
function span(r: number, c: number, ld: number): number {
  return r <= 0 || c <= 0 ? 0 : (r - 1) * ld + c;
}

function compileOperand(o: Operand, count: number, unit: number, slot: (n: string) => number): CompiledOperand {
  const e = o.extent;
  const unitOf = (x: Float64Array): number => (unit >= 0 ? (x[unit] as number) : 1);
  const never = (): boolean => false;
  const base = { name: o.name, mode: o.mode, type: o.type ?? 'f32', optional: o.optional ?? false, readIf: o.readIf ? slot(o.readIf) : -1 } as const;
  switch (e.kind) {
    case 'rows':
      return {
        ...base,
        length: (x) => (x[count] as number) * e.width * unitOf(x),
        stride: (x, s) => (s === count ? 4 * e.width * unitOf(x) : 0),
        gaps: never,
      };
    case 'row':
      return { ...base, length: (x) => e.width * unitOf(x), stride: () => 0, gaps: never };
    case 'perRow':
      return { ...base, length: (x) => x[count] as number, stride: (_x, s) => (s === count ? 4 : 0), gaps: never };
    case 'matrix': {
      const [r, c, ld] = [slot(e.rows), slot(e.cols), slot(e.ld)];
      const trans = e.trans ? slot(e.trans) : -1;
      const transposed = (x: Float64Array): boolean => trans >= 0 && x[trans] !== 0;
      return {
        ...base,
        // stored: rows×cols, or cols×rows when transposed
        length: (x) => (transposed(x) ? span(x[c] as number, x[r] as number, x[ld] as number) : span(x[r] as number, x[c] as number, x[ld] as number)),
        // a block of rows of op(X) starts `ld` further per row (1 when transposed); of columns, 1 further (`ld`)
        stride: (x, s) => (s === r ? (transposed(x) ? 4 : 4 * (x[ld] as number)) : s === c ? (transposed(x) ? 4 * (x[ld] as number) : 4) : 0),
        gaps: (x) => (transposed(x) ? (x[c] as number) > 1 && x[ld] !== x[r] : (x[r] as number) > 1 && x[ld] !== x[c]),
      };
    }
  }
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
  // The operands of the current call: array, element offset, length, mode, address.
  private ops: readonly CompiledOperand[] = [];
  private readonly opArr: (OperandArray | null)[] = new Array(MAX_OPERANDS).fill(null);
  private readonly opOff = new Float64Array(MAX_OPERANDS);
  private readonly opLen = new Float64Array(MAX_OPERANDS);
  private readonly opMode = new Int32Array(MAX_OPERANDS);
  private readonly opPtr = new Float64Array(MAX_OPERANDS);
  /** Whether the operand was copied to the scratch block (rather than used in place). */
  private readonly opStaged = new Uint8Array(MAX_OPERANDS);

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
    const methods: Partial<Record<KernelName, (...args: unknown[]) => unknown>> = {};
    for (const name of KERNEL_NAMES) {
      const k = COMPILED[name];
      const fn = this.exports[name];
      methods[name] = (...args: unknown[]) => this.run(k, fn, args);
    }
    return methods as unknown as BackendKernels;
  }

  /** One call of kernel `k` with the Backend method's arguments `params`. */
  private run(k: CompiledKernel, fn: KernelExport, params: unknown[]): unknown {
    const { x, operands } = k;
    const n = operands.length;
    this.ops = operands;
    let reference = false;
    for (let i = 0; i < k.paramTo.length; i++) {
      const p = params[i];
      const s = k.paramSlot[i] as number;
      switch (k.paramTo[i]) {
        case TO_NUMBER:
          x[s] = Number(p);
          break;
        case TO_ARRAY: {
          const a = p as OperandArray | null;
          const o = operands[s] as CompiledOperand;
          if (!a && !o.optional) throw new TypeError(`${k.name}: ${o.name} must be an array, got ${String(a)}`);
          this.opArr[s] = a;
          this.opOff[s] = 0;
          if (a && o.type === 'f32' && !(a instanceof Float32Array)) reference = true;
          break;
        }
        case TO_OFFSET:
          this.opOff[s] = p as number;
          break;
        case TO_DERIVED:
          x.set((k.derived as (o: unknown) => readonly number[])(p), s);
          break;
      }
    }
    if (reference) {
      this.dropReferences(n);
      this.stats.fallbacks++;
      return (jsBackend[k.name] as (...a: unknown[]) => unknown)(...params);
    }
    // Lengths and modes; nothing to do when every output (or, for a reduction, every input) is empty.
    let written = 0;
    let nonEmptyWritten = 0;
    let nonEmpty = 0;
    for (let i = 0; i < n; i++) {
      const o = operands[i] as CompiledOperand;
      const len = this.opArr[i] ? Math.max(0, o.length(x)) : 0;
      this.opLen[i] = len;
      let mode: number = o.mode;
      if (o.readIf >= 0 && x[o.readIf] !== 0) mode |= IN;
      if (mode === OUT && o.gaps(x)) mode = INOUT; // a copied output's gaps survive the copy back only if read first
      this.opMode[i] = mode;
      if (len > 0) nonEmpty++;
      if (mode & OUT) {
        written++;
        if (len > 0) nonEmptyWritten++;
      }
    }
    if (written > 0 ? nonEmptyWritten === 0 : nonEmpty === 0) {
      this.dropReferences(n);
      return 0;
    }
    this.bind(n);
    const args = k.args;
    for (let j = 0; j < args.length; j++) {
      const from = k.argFrom[j];
      const s = k.argSlot[j] as number;
      args[j] = from === FROM_NUMBER ? (x[s] as number) : from === FROM_OPERAND ? (this.opPtr[s] as number) : this.work;
    }
    const split = this.parallel && k.split ? k.split(x) : null;
    let result: unknown;
    if (split && this.splitCall(k, fn, split)) this.stats.parallel++;
    else result = fn(...args);
    this.finish(n);
    return result;
  }

  /** Hands the call to the threads, with each address's stride per unit of the split. */
  private splitCall(k: CompiledKernel, fn: KernelExport, split: Split): boolean {
    const strides = k.strides;
    for (let j = 0; j < k.args.length; j++) {
      const s = k.argSlot[j] as number;
      strides[j] = k.argFrom[j] === FROM_OPERAND && this.opArr[s] ? (k.operands[s] as CompiledOperand).stride(k.x, split.index) : 0;
    }
    return (this.parallel as ParallelRunner)(k.index, fn, k.args, k.argOfNumber[split.index] as number, strides, split.align, k.scratchArg);
  }

  /**
   * Resolves the operands' addresses: in place for arrays in the memory,
   * else in the scratch block (inputs copied in).
   */
  private bind(n: number): void {
    const heap = this.heap;
    let need = 0;
    for (let i = 0; i < n; i++) {
      const a = this.opArr[i];
      this.opStaged[i] = a && !this.resident(i) ? 1 : 0;
      if (!a) this.opPtr[i] = 0;
      else if (!this.opStaged[i]) this.opPtr[i] = a.byteOffset + (this.opOff[i] as number) * 4;
      else need += Math.ceil((this.opLen[i] as number) / 16) * 64;
    }
    if (need > this.scratchBytes) {
      if (this.scratch >= 0) heap.freeBlock(this.scratch);
      this.scratchBytes = 0;
      this.scratch = heap.mustAlloc(Math.max(need, 1 << 16));
      this.scratchBytes = Math.max(need, 1 << 16);
    }
    if (this.f32.buffer !== heap.buf) {
      this.f32 = new Float32Array(heap.buf);
      this.i32 = new Int32Array(heap.buf);
    }
    if (need > 0) {
      let p = this.scratch;
      for (let i = 0; i < n; i++) {
        if (!this.opStaged[i]) continue;
        this.opPtr[i] = p;
        p += Math.ceil((this.opLen[i] as number) / 16) * 64;
        if ((this.opMode[i] as number) & IN) this.put(i);
      }
    }
    this.stats.calls++;
  }

  /** Whether operand `i` can be used where it is: in the memory, and of the element type the kernel reads. */
  private resident(i: number): boolean {
    const a = this.opArr[i] as OperandArray;
    const type = (this.ops[i] as CompiledOperand).type;
    return (type === 'f32' ? a instanceof Float32Array : type === 'i32' && a instanceof Int32Array) && this.heap.owns(a);
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

  /** Copies written operands that live outside the memory back, and drops the references. */
  private finish(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.opStaged[i] && (this.opMode[i] as number) & OUT) this.take(i);
    }
    this.dropReferences(n);
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

  /** Drops the references to the current call's arrays. */
  private dropReferences(n: number): void {
    for (let i = 0; i < n; i++) this.opArr[i] = null;
  }
}
