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
import { COMPILED, type CompiledKernel, type CompiledOperand, hasGaps, invoke, lengthOf, readNumbers, strideOf, withReusedParams } from './kernel-calls.js';
import { IN, INOUT, KERNEL_NAMES, type KernelName, OUT, type Split } from './wasm-kernels.js';

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
    readNumbers(k, params);
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
